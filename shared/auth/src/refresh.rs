//! Refresh proofs: a refresh-token family is bound to the session key it was issued to, and
//! each refresh is signed by that key, over the presented token (by its digest) and the session
//! key the family moves to. A copied refresh token alone is therefore refused, and a family
//! moves to a new key only with a signature by the old one.
//!
//! The signed bytes are [`refresh_proof_bytes`]: a domain tag, then each field with its length.
//! A token works once, so a proof needs no timestamp or nonce: replaying one replays a spent
//! token, which identity treats as theft.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::request::tagged_fields;
use crate::{AuthError, KeyPair, PublicKey, secret_digest};

/// Longest proof text accepted (64 bytes make 86 characters).
const MAX_PROOF_CHARS: usize = 128;

const DOMAIN_TAG: &[u8] = b"bikestore refresh v1\0";

/// The bytes a refresh proof covers: the presented token's digest ([`secret_digest`]) and the
/// session key the family moves to (base64url, as requests carry it).
pub fn refresh_proof_bytes(refresh_token_digest: &str, next_session_key: &str) -> Vec<u8> {
    tagged_fields(
        DOMAIN_TAG,
        &[refresh_token_digest.as_bytes(), next_session_key.as_bytes()],
    )
}

/// Signs the refresh of `refresh_token` onto `next_session_key` as `session`, the key the token's
/// family is bound to; the proof is base64url without padding.
pub fn sign_refresh(session: &KeyPair, refresh_token: &str, next_session_key: &str) -> String {
    let bytes = refresh_proof_bytes(&secret_digest(refresh_token), next_session_key);
    URL_SAFE_NO_PAD.encode(session.sign(&bytes))
}

/// Checks that `proof` was made by `bound_key` (the family's) for the token with digest
/// `refresh_token_digest` moving onto `next_session_key`.
pub fn verify_refresh(
    bound_key: &PublicKey,
    refresh_token_digest: &str,
    next_session_key: &str,
    proof: &str,
) -> Result<(), AuthError> {
    if proof.len() > MAX_PROOF_CHARS {
        return Err(AuthError::malformed("refresh proof"));
    }
    let signature = URL_SAFE_NO_PAD
        .decode(proof)
        .map_err(|_| AuthError::malformed("refresh proof"))?;
    let bytes = refresh_proof_bytes(refresh_token_digest, next_session_key);
    bound_key.verify(&bytes, &signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_bound_key_proves_a_refresh_of_that_token_onto_that_key() {
        let owner = KeyPair::generate().expect("a key");
        let thief = KeyPair::generate().expect("a key");
        let owner_key = owner.public_key();
        let next = owner_key.to_base64url();
        let digest = secret_digest("refresh-token");
        let proof = sign_refresh(&owner, "refresh-token", &next);
        assert!(verify_refresh(&owner_key, &digest, &next, &proof).is_ok());
        // Another key's proof, another token, another destination: all refused.
        let forged = sign_refresh(&thief, "refresh-token", &next);
        assert!(verify_refresh(&owner_key, &digest, &next, &forged).is_err());
        let other_token = secret_digest("another-token");
        assert!(verify_refresh(&owner_key, &other_token, &next, &proof).is_err());
        let elsewhere = thief.public_key().to_base64url();
        assert!(verify_refresh(&owner_key, &digest, &elsewhere, &proof).is_err());
    }

    #[test]
    fn a_malformed_proof_is_refused_without_panic() {
        let key = KeyPair::generate().expect("a key").public_key();
        for proof in ["", "not base64!", &"A".repeat(500), "AAAA"] {
            assert!(verify_refresh(&key, "digest", "next", proof).is_err());
        }
    }

    #[test]
    fn any_flipped_byte_of_a_proof_fails() {
        let owner = KeyPair::generate().expect("a key");
        let next = owner.public_key().to_base64url();
        let proof = sign_refresh(&owner, "refresh-token", &next);
        let mut bytes = URL_SAFE_NO_PAD.decode(&proof).expect("base64url");
        for index in 0..bytes.len() {
            bytes[index] ^= 0x01;
            let flipped = URL_SAFE_NO_PAD.encode(&bytes);
            let digest = secret_digest("refresh-token");
            assert!(verify_refresh(&owner.public_key(), &digest, &next, &flipped).is_err());
            bytes[index] ^= 0x01;
        }
    }
}
