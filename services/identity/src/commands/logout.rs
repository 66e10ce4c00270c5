//! `logout`: ends a session by revoking its refresh-token family.
//!
//! An unknown token is answered like a known one, so logout tells nothing about tokens. The
//! session's access token is short-lived and is not revoked; it simply expires.

use bikestore_auth::secret_digest;
use bikestore_contracts::identity::{LoggedOut, Logout};
use bikestore_runtime::Ctx;
use tracing::{info, instrument};

use crate::Identity;
use crate::error::IdentityError;
use crate::store::refresh_tokens;

/// Revokes the family of the presented token.
#[instrument(skip_all)]
pub async fn handle(ctx: Ctx<Identity>, request: Logout) -> Result<LoggedOut, IdentityError> {
    let digest = secret_digest(request.refresh_token.expose());
    ctx.db
        .command(&ctx.meta, move |transaction| {
            refresh_tokens::revoke_family_of(
                transaction.connection(),
                &digest,
                transaction.now_ms(),
            )?;
            Ok::<_, IdentityError>(LoggedOut {})
        })
        .await?;
    info!("logged out");
    Ok(LoggedOut {})
}
