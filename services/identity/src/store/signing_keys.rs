//! The public halves of identity's signing keys and which one is current.

use bikestore_contracts::identity::PublicKeyInfo;
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::IdentityError;

/// The current key's ID, if there is one.
pub fn current(connection: &Connection) -> Result<Option<String>, IdentityError> {
    Ok(connection
        .prepare_cached("SELECT kid FROM signing_keys WHERE retired_at_ms IS NULL")?
        .query_row([], |row| row.get(0))
        .optional()?)
}

/// Retires the current key (valid until `not_after_ms`) and makes `kid` current. Answers the
/// retired key's ID.
pub fn replace_current(
    connection: &Connection,
    kid: &str,
    public_key_base64: &str,
    now_ms: i64,
    not_after_ms: i64,
) -> Result<Option<String>, IdentityError> {
    let previous = current(connection)?;
    connection
        .prepare_cached(
            "UPDATE signing_keys SET retired_at_ms = ?1, not_after_ms = ?2
             WHERE retired_at_ms IS NULL",
        )?
        .execute(params![now_ms, not_after_ms])?;
    connection
        .prepare_cached(
            "INSERT INTO signing_keys (kid, public_key, created_at_ms) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![kid, public_key_base64, now_ms])?;
    Ok(previous)
}

/// Forgets retired keys whose last token has expired; answers their IDs, so their files can go.
pub fn prune(connection: &Connection, now_ms: i64) -> Result<Vec<String>, IdentityError> {
    let expired = connection
        .prepare_cached("DELETE FROM signing_keys WHERE not_after_ms <= ?1 RETURNING kid")?
        .query_map(params![now_ms], |row| row.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    Ok(expired)
}

/// Every key that may still verify a token at `now_ms`, the current one first.
pub fn valid(connection: &Connection, now_ms: i64) -> Result<Vec<PublicKeyInfo>, IdentityError> {
    let keys = connection
        .prepare_cached(
            "SELECT kid, public_key, not_after_ms FROM signing_keys
             WHERE not_after_ms IS NULL OR not_after_ms > ?1
             ORDER BY retired_at_ms IS NOT NULL, created_at_ms DESC, kid",
        )?
        .query_map(params![now_ms], |row| {
            Ok(PublicKeyInfo {
                kid: row.get(0)?,
                public_key_base64: row.get(1)?,
                not_after_ms: row.get(2)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(keys)
}
