//! `rotate_signing_key`: a new key signs from now on; the old one verifies until its last token
//! expires.

use bikestore_contracts::identity::{RotateSigningKey, SigningKeyReply, SigningKeyRotated};
use bikestore_runtime::Ctx;
use tracing::{info, instrument};

use crate::Identity;
use crate::error::IdentityError;
use crate::store::signing_keys;

/// Writes the new private key's file, then records the new key as current and the old one as
/// retired until now plus the access-token lifetime, in one transaction with the event. Keys
/// past their `not_after` are forgotten and their files removed. A repeated idempotency key is
/// answered from the inbox before any key is made.
#[instrument(skip_all)]
pub async fn handle(
    ctx: Ctx<Identity>,
    _request: RotateSigningKey,
) -> Result<SigningKeyReply, IdentityError> {
    if let Some(recorded) = ctx.db.recorded(&ctx.meta).await? {
        return recorded;
    }
    let pair = ctx.keys.create().await?;
    let kid = pair.key_id().0;
    let public = pair.public_key().to_base64();
    let token_ttl_ms = ctx.access_token_ttl_ms;
    let new_kid = kid.clone();
    let reply = ctx
        .db
        .command(&ctx.meta, move |transaction| {
            let connection = transaction.connection();
            let now_ms = transaction.now_ms();
            let not_after_ms = now_ms.saturating_add(token_ttl_ms);
            let previous =
                signing_keys::replace_current(connection, &new_kid, &public, now_ms, not_after_ms)?;
            transaction.emit(&SigningKeyRotated {
                kid: new_kid.clone(),
                previous_not_after_ms: previous.as_ref().map(|_| not_after_ms),
                previous_kid: previous,
                at_ms: now_ms,
            })?;
            Ok(SigningKeyReply { kid: new_kid })
        })
        .await;
    if reply.is_err() {
        // The key was never recorded; its file must not linger.
        ctx.keys.remove(vec![kid]).await?;
        return reply;
    }
    let expired = ctx
        .db
        .transact(|transaction| signing_keys::prune(transaction.connection(), transaction.now_ms()))
        .await?;
    ctx.keys.remove(expired).await?;
    info!(kid = %pair.key_id(), "signing key rotated");
    reply
}
