//! `unlock_username`: an admin lifts a username's login lock before it ends by itself.
//!
//! The same change is made by `bikestore-identity unlock <username>` on identity's machine
//! ([`unlock_in`]), for when no admin can log in (the admin's own username is the one locked).
//! Neither ends a session: a lock refuses new logins only, and lifting it changes nothing else.

use bikestore_contracts::identity::{UnlockUsername, UsernameUnlocked};
use bikestore_runtime::Ctx;
use bikestore_storage::Database;
use tracing::{info, instrument};

use crate::config::IdentityConfig;
use crate::error::IdentityError;
use crate::store::login_attempts;
use crate::throttle::ThrottlePolicy;
use crate::{Identity, domain};

/// Forgets the username's failed logins, through the single writer.
#[instrument(skip_all)]
pub async fn handle(
    ctx: Ctx<Identity>,
    request: UnlockUsername,
) -> Result<UsernameUnlocked, IdentityError> {
    let username_key = domain::username(&request.username)?;
    let policy = ctx.policy;
    let reply = ctx
        .db
        .command(&ctx.meta, move |transaction| {
            let cleared_failures = login_attempts::unlock(
                transaction.connection(),
                &policy,
                &username_key,
                transaction.now_ms(),
            )?;
            Ok::<_, IdentityError>(UsernameUnlocked { cleared_failures })
        })
        .await?;
    info!(
        cleared_failures = reply.cleared_failures,
        "username unlocked"
    );
    Ok(reply)
}

/// Lifts the lock of `username` straight in identity's `database`, as the local `unlock`
/// subcommand does; the running service reads the same table, so the next login goes ahead.
pub async fn unlock_in(
    database: &Database,
    config: &IdentityConfig,
    username: &str,
) -> Result<UsernameUnlocked, IdentityError> {
    let policy = ThrottlePolicy::from_config(config);
    let username_key = domain::username(username)?;
    let now_ms = bikestore_runtime::now_ms();
    database
        .write(move |connection| {
            let cleared_failures =
                login_attempts::unlock(connection, &policy, &username_key, now_ms)?;
            Ok(UsernameUnlocked { cleared_failures })
        })
        .await
}
