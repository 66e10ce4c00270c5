//! `public_keys`: the keys that verify access tokens, for the gateway.

use bikestore_contracts::identity::{PublicKeySet, PublicKeys};
use bikestore_runtime::{Ctx, now_ms};

use crate::Identity;
use crate::error::IdentityError;
use crate::store::signing_keys;

/// The current key first, then every retired key whose tokens may still be valid.
pub async fn handle(
    ctx: Ctx<Identity>,
    _request: PublicKeys,
) -> Result<PublicKeySet, IdentityError> {
    let now_ms = now_ms();
    ctx.db
        .query(move |connection| {
            Ok(PublicKeySet {
                keys: signing_keys::valid(connection, now_ms)?,
            })
        })
        .await
}
