//! Access tokens: PASETO `v4.public` (Ed25519) with the JSON of
//! [`AccessClaims`] as payload and `{"kid": ...}` as footer, and the [`KeyRing`] that verifies
//! them.
//!
//! Verification reads the footer to find the key, checks the signature over header, payload,
//! footer and an implicit assertion naming Bikestore access tokens (so no other PASETO signed
//! by the same key passes), and only then reads the claims and checks expiry against the
//! caller's clock.

use std::collections::HashMap;

use bikestore_codec::ContentType;
use bikestore_contracts::identity::{AccessClaims, AccessToken, PublicKeySet, TokenFooter};
use pasetors::Public;
use pasetors::token::UntrustedToken;
use pasetors::version4::{PublicToken, V4};

use crate::{AuthError, KeyId, KeyPair, PublicKey};

/// How long an access token lives by default: 15 minutes.
pub const ACCESS_TOKEN_TTL_MS: i64 = 15 * 60 * 1000;

/// The longest token accepted; longer text is refused before any parsing.
pub const MAX_TOKEN_BYTES: usize = 2048;

/// How far in the future a token's issue time may be, for clocks that disagree a little.
pub const ISSUE_CLOCK_SKEW_MS: i64 = 30_000;

/// Bound into every signature but not carried in the token, so a PASETO made for something
/// else by the same key never passes as an access token.
const IMPLICIT_ASSERTION: &[u8] = b"bikestore access token v1";

/// A token whose signature, key and expiry have been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedAccess {
    /// What the token says.
    pub claims: AccessClaims,
    /// The key that signed it.
    pub key_id: KeyId,
    /// The session key every request of this token must be signed with.
    pub session_key: PublicKey,
}

/// Signs `claims` with `key` as a PASETO `v4.public` token.
pub fn issue_access_token(key: &KeyPair, claims: &AccessClaims) -> Result<AccessToken, AuthError> {
    PublicKey::from_base64url(&claims.session_public_key)?;
    if claims.expires_at_ms <= claims.issued_at_ms {
        return Err(AuthError::malformed("claims: expiry before issue"));
    }
    let payload = bikestore_codec::encode(ContentType::Json, claims)
        .map_err(|_| AuthError::malformed("claims"))?;
    let footer = TokenFooter {
        kid: key.key_id().0,
    };
    let footer = bikestore_codec::encode(ContentType::Json, &footer)
        .map_err(|_| AuthError::malformed("footer"))?;
    PublicToken::sign(
        key.paseto(),
        &payload,
        Some(&footer),
        Some(IMPLICIT_ASSERTION),
    )
    .map(AccessToken)
    .map_err(|_| AuthError::malformed("token"))
}

/// A verifying key and how long it may be used.
struct RingKey {
    public: PublicKey,
    not_after_ms: Option<i64>,
}

/// The public keys that may have signed a valid access token, by key ID.
#[derive(Default)]
pub struct KeyRing {
    keys: HashMap<KeyId, RingKey>,
}

impl KeyRing {
    /// An empty ring.
    pub fn new() -> KeyRing {
        KeyRing::default()
    }

    /// Adds `public`, valid until `not_after_ms` (for ever with `None`); answers its key ID.
    pub fn insert(&mut self, public: PublicKey, not_after_ms: Option<i64>) -> KeyId {
        let key_id = public.key_id();
        self.keys.insert(
            key_id.clone(),
            RingKey {
                public,
                not_after_ms,
            },
        );
        key_id
    }

    /// The ring identity publishes; a key whose ID is not its own is refused.
    pub fn from_public_keys(set: &PublicKeySet) -> Result<KeyRing, AuthError> {
        let mut ring = KeyRing::new();
        for info in &set.keys {
            let public = PublicKey::from_base64(&info.public_key_base64)?;
            if public.key_id().0 != info.kid {
                return Err(AuthError::malformed("key ID"));
            }
            ring.insert(public, info.not_after_ms);
        }
        Ok(ring)
    }

    /// The key with this ID.
    pub fn get(&self, key_id: &KeyId) -> Option<PublicKey> {
        self.keys.get(key_id).map(|key| key.public)
    }

    /// How many keys the ring holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the ring holds no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Checks `token` at time `now_ms`: its shape, its key, its signature, then its expiry.
    pub fn verify_access_token(
        &self,
        token: &str,
        now_ms: i64,
    ) -> Result<VerifiedAccess, AuthError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::malformed("token"));
        }
        let untrusted = UntrustedToken::<Public, V4>::try_from(token)
            .map_err(|_| AuthError::malformed("token"))?;
        let footer_bytes = untrusted.untrusted_footer();
        let footer: TokenFooter =
            bikestore_codec::decode(ContentType::Json, None, footer_bytes, MAX_TOKEN_BYTES)
                .map_err(|_| AuthError::malformed("token footer"))?;
        let key_id = KeyId(footer.kid);
        let Some(ring_key) = self.keys.get(&key_id) else {
            return Err(AuthError::UnknownKey {
                kid: key_id.0.chars().take(64).collect(),
            });
        };
        let trusted = PublicToken::verify(
            &ring_key.public.paseto()?,
            &untrusted,
            Some(footer_bytes),
            Some(IMPLICIT_ASSERTION),
        )
        .map_err(|_| AuthError::BadSignature)?;
        let claims: AccessClaims = bikestore_codec::decode(
            ContentType::Json,
            None,
            trusted.payload().as_bytes(),
            MAX_TOKEN_BYTES,
        )
        .map_err(|_| AuthError::malformed("token claims"))?;
        let session_key = PublicKey::from_base64url(&claims.session_public_key)?;
        let access = VerifiedAccess {
            claims,
            key_id,
            session_key,
        };
        self.check_current(&access, now_ms)?;
        Ok(access)
    }

    /// Checks at `now_ms` what can change after a token's signature was verified: its key is
    /// still in the ring and within its use, and the token is neither expired nor issued in
    /// the future. A verifier that remembers verified tokens calls this on every use.
    pub fn check_current(&self, access: &VerifiedAccess, now_ms: i64) -> Result<(), AuthError> {
        let Some(ring_key) = self.keys.get(&access.key_id) else {
            return Err(AuthError::UnknownKey {
                kid: access.key_id.0.chars().take(64).collect(),
            });
        };
        if let Some(not_after_ms) = ring_key.not_after_ms
            && now_ms >= not_after_ms
        {
            return Err(AuthError::Expired {
                expired_at_ms: not_after_ms,
            });
        }
        let claims = &access.claims;
        if now_ms >= claims.expires_at_ms {
            return Err(AuthError::Expired {
                expired_at_ms: claims.expires_at_ms,
            });
        }
        if claims.issued_at_ms > now_ms.saturating_add(ISSUE_CLOCK_SKEW_MS) {
            return Err(AuthError::NotYetValid);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
