//! Request signatures: the console's session key signs the subject, a timestamp, a nonce and
//! the SHA-256 of the body; the gateway checks them against the session key in the token.
//!
//! The signed bytes are [`canonical_bytes`]: a domain tag, then each field with its length
//! (so no two different requests share signed bytes). Replay protection needs the gateway's
//! memory of recent nonces as well; this module checks everything that needs no memory.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::{AuthError, KeyPair, PublicKey, fill_random};

/// How far a request's timestamp may be from the gateway's clock: 30 seconds either way.
pub const REQUEST_WINDOW_MS: i64 = 30_000;

/// The shortest nonce accepted, in characters (16 random bytes make 22).
pub const MIN_NONCE_CHARS: usize = 16;

/// The longest nonce accepted, in characters.
pub const MAX_NONCE_CHARS: usize = 64;

/// Longest signature text accepted (64 bytes make 86 characters).
const MAX_SIGNATURE_CHARS: usize = 128;

const DOMAIN_TAG: &[u8] = b"bikestore request v1\0";

/// What a request's signature covers and says, as it travels in headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSignature {
    /// The signing session's public key, base64url without padding.
    pub session_public_key: String,
    /// When the request was signed, in milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
    /// A fresh random value per request, base64url.
    pub nonce: String,
    /// The Ed25519 signature of [`canonical_bytes`], base64url without padding.
    pub signature: String,
}

/// The SHA-256 digest of a request body.
pub fn body_digest(body: &[u8]) -> [u8; 32] {
    Sha256::digest(body).into()
}

/// The bytes a request signature covers.
pub fn canonical_bytes(
    subject: &str,
    timestamp_ms: i64,
    nonce: &str,
    body_sha256: &[u8; 32],
) -> Vec<u8> {
    let mut bytes = tagged_fields(
        DOMAIN_TAG,
        &[subject.as_bytes(), nonce.as_bytes(), body_sha256.as_slice()],
    );
    bytes.extend_from_slice(&timestamp_ms.to_be_bytes());
    bytes
}

/// `tag`, then each field preceded by its length (four bytes, big-endian), so no two lists of
/// fields make the same bytes: what every signature here covers.
pub(crate) fn tagged_fields(tag: &[u8], fields: &[&[u8]]) -> Vec<u8> {
    let length: usize = fields.iter().map(|field| field.len() + 4).sum();
    let mut bytes = Vec::with_capacity(tag.len() + length + 8);
    bytes.extend_from_slice(tag);
    for field in fields {
        // Every field is far shorter than 4 GiB; a longer one is cut, which only makes its
        // signature fail.
        let length = u32::try_from(field.len()).unwrap_or(u32::MAX);
        bytes.extend_from_slice(&length.to_be_bytes());
        bytes.extend_from_slice(field);
    }
    bytes
}

/// A fresh nonce: 16 random bytes, base64url.
pub fn new_nonce() -> Result<String, AuthError> {
    let mut bytes = [0_u8; 16];
    fill_random(&mut bytes)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Signs a request to `subject` with `body` as `session`, at `timestamp_ms`.
pub fn sign_request(
    session: &KeyPair,
    subject: &str,
    timestamp_ms: i64,
    body: &[u8],
) -> Result<RequestSignature, AuthError> {
    let nonce = new_nonce()?;
    let bytes = canonical_bytes(subject, timestamp_ms, &nonce, &body_digest(body));
    Ok(RequestSignature {
        session_public_key: session.public_key().to_base64url(),
        timestamp_ms,
        nonce,
        signature: URL_SAFE_NO_PAD.encode(session.sign(&bytes)),
    })
}

/// Checks a request's signature: made by `session_key` (the token's), within
/// [`REQUEST_WINDOW_MS`] of `now_ms`, over this subject and body.
pub fn verify_request(
    session_key: &PublicKey,
    subject: &str,
    body: &[u8],
    signature: &RequestSignature,
    now_ms: i64,
) -> Result<(), AuthError> {
    // Base64url without padding has one text per key, so comparing texts compares keys
    // without the cost of decoding a curve point.
    if signature.session_public_key != session_key.to_base64url() {
        return Err(AuthError::WrongSession);
    }
    let nonce = &signature.nonce;
    let nonce_ok = (MIN_NONCE_CHARS..=MAX_NONCE_CHARS).contains(&nonce.len())
        && nonce
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
    if !nonce_ok {
        return Err(AuthError::malformed("nonce"));
    }
    let skew_ms = now_ms
        .saturating_sub(signature.timestamp_ms)
        .saturating_abs();
    if skew_ms > REQUEST_WINDOW_MS {
        return Err(AuthError::StaleTimestamp {
            skew_ms,
            window_ms: REQUEST_WINDOW_MS,
        });
    }
    if signature.signature.len() > MAX_SIGNATURE_CHARS {
        return Err(AuthError::malformed("signature"));
    }
    let signature_bytes = URL_SAFE_NO_PAD
        .decode(&signature.signature)
        .map_err(|_| AuthError::malformed("signature"))?;
    let bytes = canonical_bytes(subject, signature.timestamp_ms, nonce, &body_digest(body));
    session_key.verify(&bytes, &signature_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_750_000_000_000;

    fn api(operation: &str) -> String {
        bikestore_contracts::Subjects::default()
            .api(bikestore_contracts::ServiceName::Orders, operation)
    }

    #[test]
    fn a_signed_request_verifies_and_any_change_fails() {
        let session = KeyPair::generate().expect("randomness");
        let key = session.public_key();
        let subject = &api("get_order");
        let signed = sign_request(&session, subject, NOW, b"body").expect("signs");
        assert_eq!(verify_request(&key, subject, b"body", &signed, NOW), Ok(()));
        assert_eq!(
            verify_request(&key, subject, b"bodY", &signed, NOW),
            Err(AuthError::BadSignature)
        );
        assert_eq!(
            verify_request(&key, &api("list_orders"), b"body", &signed, NOW),
            Err(AuthError::BadSignature)
        );
        let moved = RequestSignature {
            timestamp_ms: NOW + 1,
            ..signed.clone()
        };
        assert_eq!(
            verify_request(&key, subject, b"body", &moved, NOW),
            Err(AuthError::BadSignature)
        );
    }

    #[test]
    fn another_session_or_a_stale_timestamp_is_refused() {
        let session = KeyPair::generate().expect("randomness");
        let other = KeyPair::generate().expect("randomness");
        let subject = "s";
        let signed = sign_request(&other, subject, NOW, b"").expect("signs");
        assert_eq!(
            verify_request(&session.public_key(), subject, b"", &signed, NOW),
            Err(AuthError::WrongSession)
        );
        let signed = sign_request(&session, subject, NOW - 31_000, b"").expect("signs");
        assert!(matches!(
            verify_request(&session.public_key(), subject, b"", &signed, NOW),
            Err(AuthError::StaleTimestamp {
                skew_ms: 31_000,
                ..
            })
        ));
        let future = sign_request(&session, subject, NOW + 31_000, b"").expect("signs");
        assert!(matches!(
            verify_request(&session.public_key(), subject, b"", &future, NOW),
            Err(AuthError::StaleTimestamp { .. })
        ));
    }

    #[test]
    fn fields_cannot_slide_into_each_other() {
        let digest = body_digest(b"");
        assert_ne!(
            canonical_bytes("ab", 1, "cdefghijklmnopqrstu", &digest),
            canonical_bytes("abc", 1, "defghijklmnopqrstu", &digest)
        );
    }
}
