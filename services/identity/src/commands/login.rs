//! `login`: a password for a session.
//!
//! The attempt is first claimed against the username's throttle (counted as a failure until
//! it succeeds), then the password is checked with argon2id off the runtime: against the
//! account's hash, or against a decoy hash when the username is unknown or the account
//! deactivated, so every refusal costs the same time and says the same thing.

use bikestore_contracts::identity::{Login, LoginReply};
use bikestore_runtime::Ctx;
use tracing::{info, instrument};

use crate::error::IdentityError;
use crate::store::{login_attempts, staff};
use crate::throttle::Decision;
use crate::{Identity, domain, password, sessions};

/// Checks the password and starts a session; see the module documentation.
#[instrument(skip_all)]
pub async fn handle(ctx: Ctx<Identity>, request: Login) -> Result<LoginReply, IdentityError> {
    let session_key = sessions::session_key(&request.session_public_key)?;
    let Some(username_key) = domain::login_key(&request.username) else {
        // No account can have this name: spend the hashing time anyway, then refuse.
        password::verify(request.password, ctx.decoy_hash.clone()).await?;
        return Err(IdentityError::InvalidCredentials);
    };
    if !domain::plausible_password(&request.password) {
        return Err(IdentityError::InvalidCredentials);
    }
    let policy = ctx.policy;
    let claimed_key = username_key.clone();
    let decision = ctx
        .db
        .transact(move |transaction| {
            login_attempts::claim(
                transaction.connection(),
                &policy,
                &claimed_key,
                transaction.now_ms(),
            )
        })
        .await?;
    if let Decision::Throttled { until_ms } = decision {
        info!(until_ms, "login throttled");
        return Err(IdentityError::TooManyAttempts);
    }
    let lookup_key = username_key.clone();
    let credentials = ctx
        .db
        .query(move |connection| staff::credentials(connection, &lookup_key))
        .await?;
    let (stored_hash, account) = match credentials {
        Some(found) if found.staff.active => (found.password_hash, Some(found.staff)),
        _ => (ctx.decoy_hash.clone(), None),
    };
    let matches = password::verify(request.password, stored_hash).await?;
    let Some(account) = account.filter(|_| matches) else {
        info!("login refused");
        return Err(IdentityError::InvalidCredentials);
    };
    let reply = sessions::start(&ctx, username_key, account.staff_id, &session_key).await?;
    info!(staff_id = %reply.staff.staff_id, role = %reply.staff.role, "logged in");
    Ok(reply)
}
