//! The public keys that verify access tokens, fetched from identity's `public_keys`.
//!
//! The ring is fetched at start, again when a token names a key the ring does not hold (at most
//! once per refresh interval, so unknown key IDs cannot make the gateway hammer identity), and
//! when identity announces a rotation.
//!
//! Each ring remembers the tokens it has verified, so a console's later requests skip the
//! token's signature check (one of the two Ed25519 verifications per request) and only have
//! their expiry and key checked again. The memory goes with the ring: a token is verified anew
//! by every ring identity publishes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bikestore_auth::{AuthError, KeyRing, VerifiedAccess};
use bikestore_contracts::identity::PublicKeys;
use bikestore_contracts::{ErrorCode, WireError};
use bikestore_runtime::call::Caller;
use tracing::{debug, warn};

use crate::error::GatewayError;

/// More verified tokens than this and a ring forgets the expired ones, or else all of them.
const MAX_VERIFIED_TOKENS: usize = 16_384;

/// The current key ring and when it was last fetched.
pub struct KeyCache {
    caller: Caller,
    refresh_interval: Duration,
    state: Mutex<KeyState>,
}

struct KeyState {
    ring: Arc<VerifyingRing>,
    fetched_at: Option<Instant>,
}

/// A key ring and the tokens whose signatures it has verified, by token text.
struct VerifyingRing {
    keys: KeyRing,
    verified: Mutex<HashMap<String, VerifiedAccess>>,
}

impl VerifyingRing {
    fn new(keys: KeyRing) -> VerifyingRing {
        VerifyingRing {
            keys,
            verified: Mutex::new(HashMap::new()),
        }
    }

    fn verify(&self, token: &str, now_ms: i64) -> Result<VerifiedAccess, AuthError> {
        let remembered = self
            .verified
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(token)
            .cloned();
        if let Some(access) = remembered {
            self.keys.check_current(&access, now_ms)?;
            return Ok(access);
        }
        let access = self.keys.verify_access_token(token, now_ms)?;
        let mut verified = self
            .verified
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if verified.len() >= MAX_VERIFIED_TOKENS {
            verified.retain(|_, access| access.claims.expires_at_ms > now_ms);
            if verified.len() >= MAX_VERIFIED_TOKENS {
                verified.clear();
            }
        }
        verified.insert(token.to_owned(), access.clone());
        Ok(access)
    }
}

impl KeyCache {
    /// An empty cache that fetches through `caller`.
    pub fn new(caller: Caller, refresh_interval: Duration) -> KeyCache {
        KeyCache {
            caller,
            refresh_interval,
            state: Mutex::new(KeyState {
                ring: Arc::new(VerifyingRing::new(KeyRing::new())),
                fetched_at: None,
            }),
        }
    }

    fn ring(&self) -> Arc<VerifyingRing> {
        match self.state.lock() {
            Ok(state) => Arc::clone(&state.ring),
            Err(poisoned) => Arc::clone(&poisoned.into_inner().ring),
        }
    }

    /// Fetches the keys now, whatever the interval.
    pub async fn refresh(&self) -> Result<(), GatewayError> {
        let set = self
            .caller
            .call(&PublicKeys {})
            .await
            .map_err(GatewayError::Identity)?;
        let ring = KeyRing::from_public_keys(&set).map_err(|error| {
            warn!(error = %error, "identity published an unreadable key");
            GatewayError::Identity(WireError::new(
                ErrorCode::Unavailable,
                "identity published an unreadable key",
            ))
        })?;
        debug!(keys = ring.len(), "fetched the public keys");
        let ring = VerifyingRing::new(ring);
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        state.ring = Arc::new(ring);
        state.fetched_at = Some(Instant::now());
        Ok(())
    }

    /// Whether the interval since the last fetch has passed; if so, claims the next fetch.
    fn claim_refresh(&self) -> bool {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let due = state
            .fetched_at
            .is_none_or(|at| at.elapsed() >= self.refresh_interval);
        if due {
            state.fetched_at = Some(Instant::now());
        }
        due
    }

    /// Verifies `token` at `now_ms`, fetching the keys again once if it names an unknown key.
    pub async fn verify(&self, token: &str, now_ms: i64) -> Result<VerifiedAccess, GatewayError> {
        match self.ring().verify(token, now_ms) {
            Err(AuthError::UnknownKey { .. }) if self.claim_refresh() => {
                self.refresh().await?;
                self.ring()
                    .verify(token, now_ms)
                    .map_err(GatewayError::Credentials)
            }
            result => result.map_err(GatewayError::Credentials),
        }
    }
}
