//! Ed25519 key pairs and public keys, their key IDs, and their text forms.
//!
//! A secret key is written as the standard base64 of its 32-byte seed (for key files); a public
//! key as standard base64 (published by identity) or base64url without padding (inside tokens
//! and request headers), and, for a console's NATS connection, as a NATS user nkey (`U...`,
//! encoded by `nkeys`). The key ID is derived from the public key, so it can never name two
//! keys.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use pasetors::keys::{AsymmetricPublicKey, AsymmetricSecretKey};
use pasetors::version4::V4;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use crate::AuthError;

/// The longest key text accepted, so garbage is refused before decoding.
const MAX_KEY_TEXT: usize = 128;

/// Fills `bytes` from the operating system's random number generator.
pub fn fill_random(bytes: &mut [u8]) -> Result<(), AuthError> {
    OsRng
        .try_fill_bytes(bytes)
        .map_err(|error| AuthError::Randomness(error.to_string()))
}

/// An Ed25519 key pair: identity's signing key, or a console session's key.
pub struct KeyPair {
    signing: SigningKey,
    paseto: AsymmetricSecretKey<V4>,
}

impl KeyPair {
    /// A new random key pair.
    pub fn generate() -> Result<KeyPair, AuthError> {
        let mut seed = [0_u8; 32];
        fill_random(&mut seed)?;
        let pair = KeyPair::from_seed(&seed);
        seed.fill(0);
        pair
    }

    fn from_seed(seed: &[u8; 32]) -> Result<KeyPair, AuthError> {
        let signing = SigningKey::from_bytes(seed);
        // PASETO v4 keeps a secret key as seed || public key.
        let mut both = [0_u8; 64];
        both[..32].copy_from_slice(seed);
        both[32..].copy_from_slice(signing.verifying_key().as_bytes());
        let paseto =
            AsymmetricSecretKey::<V4>::from(&both).map_err(|_| AuthError::malformed("key"));
        both.fill(0);
        Ok(KeyPair {
            signing,
            paseto: paseto?,
        })
    }

    /// Reads a secret key written by [`KeyPair::to_secret_text`].
    pub fn from_secret_text(text: &str) -> Result<KeyPair, AuthError> {
        let text = text.trim();
        if text.len() > MAX_KEY_TEXT {
            return Err(AuthError::malformed("secret key"));
        }
        let mut bytes = STANDARD
            .decode(text)
            .map_err(|_| AuthError::malformed("secret key"))?;
        let seed: Result<[u8; 32], _> = bytes.as_slice().try_into();
        bytes.fill(0);
        let mut seed = seed.map_err(|_| AuthError::malformed("secret key"))?;
        let pair = KeyPair::from_seed(&seed);
        seed.fill(0);
        pair
    }

    /// The secret key as text for a key file (mode 0600): standard base64 of the seed.
    pub fn to_secret_text(&self) -> String {
        STANDARD.encode(self.signing.to_bytes())
    }

    /// The public half.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.signing.verifying_key())
    }

    /// The key ID of the public half.
    pub fn key_id(&self) -> KeyId {
        self.public_key().key_id()
    }

    /// Signs `message`; the 64-byte Ed25519 signature.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }

    /// The public half as a NATS user nkey (`U...`): a console connects to NATS with its
    /// session key, so the callout can tell which session a connection is.
    pub fn nats_user_key(&self) -> Result<String, AuthError> {
        let mut seed = self.signing.to_bytes();
        let pair = nkeys::KeyPair::new_from_raw(nkeys::KeyPairType::User, seed);
        seed.fill(0);
        pair.map(|pair| pair.public_key())
            .map_err(|_| AuthError::malformed("key"))
    }

    pub(crate) fn paseto(&self) -> &AsymmetricSecretKey<V4> {
        &self.paseto
    }
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only the public half may ever be printed.
        formatter
            .debug_struct("KeyPair")
            .field("public", &self.public_key())
            .finish_non_exhaustive()
    }
}

/// An Ed25519 public key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Reads standard base64 (as identity publishes keys).
    pub fn from_base64(text: &str) -> Result<PublicKey, AuthError> {
        PublicKey::decode(text, &STANDARD)
    }

    /// Reads base64url without padding (as tokens and request headers carry keys).
    pub fn from_base64url(text: &str) -> Result<PublicKey, AuthError> {
        PublicKey::decode(text, &URL_SAFE_NO_PAD)
    }

    fn decode(text: &str, engine: &impl Engine) -> Result<PublicKey, AuthError> {
        if text.len() > MAX_KEY_TEXT {
            return Err(AuthError::malformed("public key"));
        }
        let bytes = engine
            .decode(text)
            .map_err(|_| AuthError::malformed("public key"))?;
        let bytes: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| AuthError::malformed("public key"))?;
        VerifyingKey::from_bytes(&bytes)
            .map(PublicKey)
            .map_err(|_| AuthError::malformed("public key"))
    }

    /// Reads a NATS user nkey (`U...`), as a console's connection presents its session key.
    pub fn from_nats_user_key(text: &str) -> Result<PublicKey, AuthError> {
        if text.len() > MAX_KEY_TEXT {
            return Err(AuthError::malformed("nkey"));
        }
        let pair =
            nkeys::KeyPair::from_public_key(text).map_err(|_| AuthError::malformed("nkey"))?;
        if pair.key_pair_type() != nkeys::KeyPairType::User {
            return Err(AuthError::malformed("nkey: not a user key"));
        }
        let (_, raw) = nkeys::from_public_key(text).map_err(|_| AuthError::malformed("nkey"))?;
        VerifyingKey::from_bytes(&raw)
            .map(PublicKey)
            .map_err(|_| AuthError::malformed("nkey"))
    }

    /// Standard base64, as identity publishes it.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0.as_bytes())
    }

    /// Base64url without padding, as tokens and request headers carry it.
    pub fn to_base64url(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0.as_bytes())
    }

    /// Its key ID: `ed25519-` and the first 16 bytes of SHA-256 over a domain tag and the key,
    /// base64url.
    pub fn key_id(&self) -> KeyId {
        let digest = Sha256::new()
            .chain_update(b"bikestore key id v1\0")
            .chain_update(self.0.as_bytes())
            .finalize();
        KeyId(format!("ed25519-{}", URL_SAFE_NO_PAD.encode(&digest[..16])))
    }

    /// Checks an Ed25519 signature strictly (no malleable or weak-key forms).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), AuthError> {
        let signature =
            ed25519_dalek::Signature::from_slice(signature).map_err(|_| AuthError::BadSignature)?;
        self.0
            .verify_strict(message, &signature)
            .map_err(|_| AuthError::BadSignature)
    }

    pub(crate) fn paseto(&self) -> Result<AsymmetricPublicKey<V4>, AuthError> {
        AsymmetricPublicKey::<V4>::from(self.0.as_bytes())
            .map_err(|_| AuthError::malformed("public key"))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "PublicKey({})", self.to_base64url())
    }
}

/// Names a signing key in a token's footer and in the key ring.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(pub String);

impl KeyId {
    /// The ID as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_key_survives_its_text_form_and_keeps_its_id() {
        let pair = KeyPair::generate().expect("randomness");
        let back = KeyPair::from_secret_text(&pair.to_secret_text()).expect("reads back");
        assert_eq!(back.public_key(), pair.public_key());
        assert_eq!(back.key_id(), pair.key_id());
        assert!(pair.key_id().as_str().starts_with("ed25519-"));
    }

    #[test]
    fn public_keys_survive_both_text_forms() {
        let public = KeyPair::generate().expect("randomness").public_key();
        assert_eq!(PublicKey::from_base64(&public.to_base64()), Ok(public));
        assert_eq!(
            PublicKey::from_base64url(&public.to_base64url()),
            Ok(public)
        );
        assert!(PublicKey::from_base64("AAAA").is_err());
    }

    #[test]
    fn a_session_key_reads_back_from_its_nats_user_key_and_no_other_kind_of_nkey() {
        let pair = KeyPair::generate().expect("randomness");
        let nkey = pair.nats_user_key().expect("encodes");
        assert!(nkey.starts_with('U'), "{nkey}");
        assert_eq!(PublicKey::from_nats_user_key(&nkey), Ok(pair.public_key()));
        let account = nkeys::KeyPair::new_account().public_key();
        assert!(PublicKey::from_nats_user_key(&account).is_err());
        assert!(PublicKey::from_nats_user_key("UNOTAKEY").is_err());
    }

    #[test]
    fn debug_never_prints_the_secret() {
        let pair = KeyPair::generate().expect("randomness");
        let text = format!("{pair:?}");
        assert!(!text.contains(&pair.to_secret_text()), "{text}");
    }

    #[test]
    fn signatures_verify_only_for_their_message_and_key() {
        let pair = KeyPair::generate().expect("randomness");
        let signature = pair.sign(b"hello");
        assert_eq!(pair.public_key().verify(b"hello", &signature), Ok(()));
        assert_eq!(
            pair.public_key().verify(b"hellO", &signature),
            Err(AuthError::BadSignature)
        );
        let other = KeyPair::generate().expect("randomness").public_key();
        assert_eq!(
            other.verify(b"hello", &signature),
            Err(AuthError::BadSignature)
        );
    }
}
