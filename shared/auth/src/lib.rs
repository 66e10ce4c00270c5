//! Bikestore's signatures: who signed what, and whether it still counts.
//!
//! It owns Ed25519 key pairs and their text forms ([`KeyPair`], [`PublicKey`], [`KeyId`]),
//! the access tokens identity issues and the gateway verifies ([`issue_access_token`],
//! [`KeyRing::verify_access_token`]: PASETO `v4.public` through `pasetors`), and the signatures
//! a console session puts on every request ([`canonical_bytes`], [`sign_request`],
//! [`verify_request`]) and on every refresh ([`sign_refresh`], [`verify_refresh`]), and the
//! caller assertion the gateway puts on what it forwards to identity ([`sign_assertion`],
//! [`verify_assertion`]). Every refusal is a typed [`AuthError`].
//!
//! It must not know NATS connections or SQLite (a NATS nkey is only one more text form of the
//! same Ed25519 key, through `nkeys`), and it hand-rolls no cryptography: Ed25519 comes from
//! `ed25519-dalek` (and, inside tokens, `pasetors`), digests from `sha2`, randomness from the
//! operating system through `rand_core`.
//!
//! Layout: `keys` (key pairs, public keys, key IDs, randomness), `token` (access tokens and the
//! key ring), `request` (request signatures), `refresh` (refresh proofs), `assertion` (caller
//! assertions), `error`.
#![warn(missing_docs)]

mod assertion;
mod error;
mod keys;
mod refresh;
mod request;
mod token;

pub use assertion::{
    ASSERTION_TTL_MS, CallerAssertion, GATEWAY_KEY_FILE, GATEWAY_PUBLIC_KEY_FILE, assertion_bytes,
    sign_assertion, verify_assertion,
};
pub use error::AuthError;
pub use keys::{KeyId, KeyPair, PublicKey, fill_random};
pub use refresh::{refresh_proof_bytes, sign_refresh, verify_refresh};
pub use request::{
    MAX_NONCE_CHARS, MIN_NONCE_CHARS, REQUEST_WINDOW_MS, RequestSignature, body_digest,
    canonical_bytes, new_nonce, sign_request, verify_request,
};
pub use token::{
    ACCESS_TOKEN_TTL_MS, ISSUE_CLOCK_SKEW_MS, KeyRing, MAX_TOKEN_BYTES, VerifiedAccess,
    issue_access_token,
};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// A fresh opaque secret (a refresh token): 32 random bytes, base64url without padding.
pub fn new_opaque_secret() -> Result<String, AuthError> {
    let mut bytes = [0_u8; 32];
    fill_random(&mut bytes)?;
    let text = URL_SAFE_NO_PAD.encode(bytes);
    bytes.fill(0);
    Ok(text)
}

/// The SHA-256 of `secret` in lower-case hex: how an opaque secret is stored and looked up.
pub fn secret_digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
