//! Counting failed logins per username, for throttling.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::IdentityError;
use crate::throttle::{Decision, ThrottlePolicy};

/// Decides whether a login for `username_key` may go ahead at `now_ms` and, if so, counts it
/// as a failure already (a success clears it through [`clear`]). Runs on the writer, so two
/// concurrent guesses are counted one after the other. Failures older than the lock are
/// forgotten on the way.
pub fn claim(
    connection: &Connection,
    policy: &ThrottlePolicy,
    username_key: &str,
    now_ms: i64,
) -> Result<Decision, IdentityError> {
    connection
        .prepare_cached("DELETE FROM login_attempts WHERE last_failure_ms <= ?1")?
        .execute(params![now_ms.saturating_sub(policy.lock_ms)])?;
    let previous: Option<(u32, i64)> = connection
        .prepare_cached(
            "SELECT failures, last_failure_ms FROM login_attempts WHERE username_key = ?1",
        )?
        .query_row(params![username_key], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let (failures, last_failure_ms) = previous.unwrap_or((0, now_ms));
    let failures = policy.live_failures(failures, last_failure_ms, now_ms);
    let decision = policy.decide(failures, last_failure_ms, now_ms);
    if decision == Decision::Allowed {
        connection
            .prepare_cached(
                "INSERT INTO login_attempts (username_key, failures, last_failure_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (username_key) DO UPDATE SET failures = excluded.failures,
                     last_failure_ms = excluded.last_failure_ms",
            )?
            .execute(params![username_key, failures.saturating_add(1), now_ms])?;
    }
    Ok(decision)
}

/// Lifts the lock of `username_key` (an admin's `unlock_username`, or `bikestore-identity
/// unlock` on identity's machine) by forgetting its failures; answers how many still counted at
/// `now_ms`. Sessions are not touched: a lock only ever refuses new logins.
pub fn unlock(
    connection: &Connection,
    policy: &ThrottlePolicy,
    username_key: &str,
    now_ms: i64,
) -> Result<u32, IdentityError> {
    let previous: Option<(u32, i64)> = connection
        .prepare_cached(
            "SELECT failures, last_failure_ms FROM login_attempts WHERE username_key = ?1",
        )?
        .query_row(params![username_key], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    clear(connection, username_key)?;
    Ok(previous.map_or(0, |(failures, last_failure_ms)| {
        policy.live_failures(failures, last_failure_ms, now_ms)
    }))
}

/// Forgets the failures of `username_key`: after a successful login or a password reset.
pub fn clear(connection: &Connection, username_key: &str) -> Result<(), IdentityError> {
    connection
        .prepare_cached("DELETE FROM login_attempts WHERE username_key = ?1")?
        .execute(params![username_key])?;
    Ok(())
}
