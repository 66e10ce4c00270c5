//! `refresh`: a refresh token for new tokens, bound to the (possibly new) session key.
//!
//! The request must carry a proof signed by the session key the token's family is bound to,
//! naming the key the family moves to; without it (a copied token alone) the refresh is refused
//! and nothing is spent. The presented token is spent and replaced by a new one of the same
//! family, bound to the named key.
//!
//! A spent token presented again is usually a copy: the whole family is revoked, so the thief's
//! and the owner's newer tokens stop working alike. The one exception is a retry of a refresh
//! whose reply was lost (a network cut, identity or nats-server killed after the commit): the
//! same token, proved by its key, within the grace period (`--refresh-retry-grace-ms`, 60 s by
//! default) and while the token that lost reply carried is still unused. Then that token is
//! spent instead and a new one issued, so the tokens of the lost reply are dead and the session
//! goes on; see [`refresh_tokens::rotate`].

use bikestore_auth::{PublicKey, secret_digest, verify_refresh};
use bikestore_contracts::identity::{LoginReply, Refresh};
use bikestore_runtime::Ctx;
use tracing::{info, instrument, warn};

use crate::Identity;
use crate::error::IdentityError;
use crate::sessions::{self, FreshSecret};
use crate::store::refresh_tokens::{self, Lifetimes, Presentation, Rotation};
use crate::store::signing_keys;

/// The longest refresh token accepted; ours are 43 characters.
const MAX_REFRESH_TOKEN_CHARS: usize = 128;

/// Rotates the refresh token and signs a new access token; see the module documentation.
#[instrument(skip_all)]
pub async fn handle(ctx: Ctx<Identity>, request: Refresh) -> Result<LoginReply, IdentityError> {
    let session_key = sessions::session_key(&request.session_public_key)?;
    let presented = request.refresh_token.expose();
    if presented.is_empty() || presented.len() > MAX_REFRESH_TOKEN_CHARS {
        return Err(IdentityError::InvalidRefreshToken);
    }
    let presented_digest = secret_digest(presented);
    let next = FreshSecret::new()?;
    let next_digest = next.digest.clone();
    let next_session_key = request.session_public_key.clone();
    let proof = request.session_proof;
    let lifetimes = Lifetimes {
        ttl_ms: ctx.refresh_token_ttl_ms,
        retry_grace_ms: ctx.refresh_retry_grace_ms,
    };
    let access_token_ttl_ms = ctx.access_token_ttl_ms;
    let (rotation, kid, now_ms) = ctx
        .db
        .transact(move |transaction| {
            let connection = transaction.connection();
            let now_ms = transaction.now_ms();
            let proves = |bound_key: &str| {
                PublicKey::from_base64url(bound_key).is_ok_and(|bound_key| {
                    verify_refresh(&bound_key, &presented_digest, &next_session_key, &proof).is_ok()
                })
            };
            let presentation = Presentation {
                token_hash: &presented_digest,
                next_hash: &next_digest,
                next_session_key: &next_session_key,
            };
            let rotation =
                refresh_tokens::rotate(connection, &presentation, proves, now_ms, lifetimes)?;
            if let Rotation::Reused {
                staff_id,
                ended: Some(family),
            } = &rotation
            {
                sessions::end_sessions(
                    transaction,
                    *staff_id,
                    vec![family.clone()],
                    access_token_ttl_ms,
                )?;
            }
            let kid = signing_keys::current(connection)?;
            Ok::<_, IdentityError>((rotation, kid, now_ms))
        })
        .await?;
    let (member, family) = match rotation {
        Rotation::Rotated { member, family } => (member, family),
        Rotation::Retried { member, family } => {
            info!(staff_id = %member.staff_id, "a refresh whose reply was lost is retried; the token that reply carried is spent instead");
            (member, family)
        }
        Rotation::Reused { staff_id, .. } => {
            warn!(%staff_id, "a spent refresh token was presented again; its whole family is revoked");
            return Err(IdentityError::InvalidRefreshToken);
        }
        Rotation::Refused => {
            info!("refresh refused");
            return Err(IdentityError::InvalidRefreshToken);
        }
        Rotation::Unproven => {
            warn!("a refresh token was presented without its session key's proof; refused");
            return Err(IdentityError::InvalidRefreshToken);
        }
    };
    let signer = sessions::current_signer(&ctx, kid).await?;
    let session = sessions::Session {
        session_id: family,
        session_key: &session_key,
        refresh_token: next.token,
    };
    let reply = sessions::reply(&ctx, &signer, member, session, now_ms)?;
    info!(staff_id = %reply.staff.staff_id, "session refreshed");
    Ok(reply)
}
