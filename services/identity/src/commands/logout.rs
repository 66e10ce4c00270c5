//! `logout`: ends a session by revoking its refresh-token family, and announces it so the
//! gateway refuses the session's access tokens at once.
//!
//! An unknown token is answered like a known one, so logout tells nothing about tokens.

use bikestore_auth::secret_digest;
use bikestore_contracts::identity::{LoggedOut, Logout};
use bikestore_runtime::Ctx;
use tracing::{info, instrument};

use crate::Identity;
use crate::error::IdentityError;
use crate::sessions;
use crate::store::refresh_tokens;

/// Revokes the family of the presented token and announces its end.
#[instrument(skip_all)]
pub async fn handle(ctx: Ctx<Identity>, request: Logout) -> Result<LoggedOut, IdentityError> {
    let digest = secret_digest(request.refresh_token.expose());
    let access_token_ttl_ms = ctx.access_token_ttl_ms;
    ctx.db
        .command(&ctx.meta, move |transaction| {
            let revoked = refresh_tokens::revoke_family_of(
                transaction.connection(),
                &digest,
                transaction.now_ms(),
            )?;
            if let Some((staff_id, Some(family))) = revoked {
                sessions::end_sessions(transaction, staff_id, vec![family], access_token_ttl_ms)?;
            }
            Ok::<_, IdentityError>(LoggedOut {})
        })
        .await?;
    info!("logged out");
    Ok(LoggedOut {})
}
