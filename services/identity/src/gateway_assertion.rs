//! Identity takes staff administration, key rotation and logout only from the gateway: each
//! such request must carry the gateway's caller assertion (`bikestore_auth::CallerAssertion`),
//! signed with the gateway's own key over the caller, the subject, the body's digest and an
//! expiry. [`admit`] is the gate `commands` puts before those handlers, so a refused request
//! changes nothing.
//!
//! Identity knows only the gateway's public key, from a file (`--gateway-key`, by default
//! where the gateway writes it under the data folder). It is read when the first asserted
//! request arrives, not at start, so identity may start before the gateway ever has; and read
//! again when an assertion does not verify with the key held, so a gateway that made itself a
//! new key is followed without a restart. File IO goes through `tokio::fs`, off the runtime.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bikestore_auth::{AuthError, CallerAssertion, PublicKey, verify_assertion};
use tracing::debug;

use crate::Identity;
use crate::error::IdentityError;

/// The gateway's public caller-assertion key: where it is, and the copy last read.
pub struct GatewayKey {
    path: PathBuf,
    held: Mutex<Option<PublicKey>>,
}

impl GatewayKey {
    /// The key in the file at `path`, not read yet.
    pub fn new(path: PathBuf) -> GatewayKey {
        GatewayKey {
            path,
            held: Mutex::new(None),
        }
    }

    /// The key held, or the file's if none is held yet.
    async fn current(&self) -> Result<PublicKey, IdentityError> {
        let held = self.held.lock().ok().and_then(|held| *held);
        match held {
            Some(key) => Ok(key),
            None => self.read().await,
        }
    }

    /// The file's key, held from now on.
    async fn read(&self) -> Result<PublicKey, IdentityError> {
        let text = tokio::fs::read_to_string(&self.path)
            .await
            .map_err(|error| {
                IdentityError::GatewayKey(format!("read {}: {error}", self.path.display()))
            })?;
        let key = PublicKey::from_base64(text.trim()).map_err(|_| {
            IdentityError::GatewayKey(format!("{} holds no public key", self.path.display()))
        })?;
        if let Ok(mut held) = self.held.lock() {
            *held = Some(key);
        }
        Ok(key)
    }
}

/// Admits `message` only with a caller assertion the gateway made for this very request, still
/// valid; the body's digest is computed only for an assertion that passed everything else.
pub async fn admit(
    identity: Arc<Identity>,
    message: async_nats::Message,
) -> Result<(), IdentityError> {
    let assertion = CallerAssertion::from_headers(|name| {
        message
            .headers
            .as_ref()?
            .get(name)
            .map(|value| value.as_str())
    })
    .map_err(IdentityError::CallerAssertion)?;
    let now_ms = bikestore_runtime::now_ms();
    let verify = |key: &PublicKey| {
        verify_assertion(
            key,
            &assertion,
            message.subject.as_str(),
            &message.payload,
            now_ms,
        )
    };
    let held = identity.gateway_key.current().await?;
    let verified = match verify(&held) {
        Err(AuthError::BadSignature) => {
            let on_file = identity.gateway_key.read().await?;
            if on_file == held {
                Err(AuthError::BadSignature)
            } else {
                verify(&on_file)
            }
        }
        verified => verified,
    };
    let staff_id = verified.map_err(IdentityError::CallerAssertion)?;
    debug!(caller = ?staff_id, "the gateway's caller assertion holds");
    Ok(())
}
