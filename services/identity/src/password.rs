//! Password hashing with argon2id, always off the async runtime.
//!
//! The parameters are OWASP's first recommendation for argon2id: 19 MiB of memory, two passes,
//! one lane ([`MEMORY_KIB`], [`ITERATIONS`], [`LANES`]); ARCHITECTURE.md records them. A hash is
//! stored as a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`) with a 16-byte
//! random salt, so verification reads its parameters from the hash and older hashes keep
//! working if the constants change. Every hash and check runs in `spawn_blocking`, keeping the
//! request's span.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use bikestore_contracts::identity::Password;
use rand_core::OsRng;
use tracing::Span;

use crate::error::IdentityError;

/// Memory per hash, in KiB (19 MiB).
pub const MEMORY_KIB: u32 = 19 * 1024;
/// Passes over the memory.
pub const ITERATIONS: u32 = 2;
/// Degree of parallelism.
pub const LANES: u32 = 1;

fn hasher() -> Result<Argon2<'static>, IdentityError> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, LANES, None)
        .map_err(|error| IdentityError::Hashing(error.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_now(password: &str) -> Result<String, IdentityError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| IdentityError::Hashing(error.to_string()))
}

fn verify_now(password: &str, stored: &str) -> Result<bool, IdentityError> {
    let parsed =
        PasswordHash::new(stored).map_err(|error| IdentityError::Hashing(error.to_string()))?;
    Ok(hasher()?
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, IdentityError> + Send + 'static,
) -> Result<T, IdentityError> {
    let span = Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(work))
        .await
        .map_err(|error| IdentityError::Hashing(format!("hashing task failed: {error}")))?
}

/// Hashes `password` into a PHC string.
pub async fn hash(password: Password) -> Result<String, IdentityError> {
    blocking(move || hash_now(password.expose())).await
}

/// Hashes in the calling thread: for the seed loader, which is not on the runtime.
pub fn hash_blocking(password: &Password) -> Result<String, IdentityError> {
    hash_now(password.expose())
}

/// Whether `password` matches the stored PHC string. It takes the same time whether or not it
/// matches, and an unreadable stored hash counts as no match.
pub async fn verify(password: Password, stored: String) -> Result<bool, IdentityError> {
    blocking(move || {
        verify_now(password.expose(), &stored).or_else(|error| {
            tracing::error!(error = %error, "a stored password hash is unreadable");
            Ok(false)
        })
    })
    .await
}

/// A hash of a random password nobody knows: checked against when the username is unknown or
/// the account inactive, so such a login costs the same time as a real one.
pub async fn decoy_hash() -> Result<String, IdentityError> {
    let decoy = bikestore_auth::new_opaque_secret()?;
    hash(Password(decoy)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let stored = hash(Password::from("correct horse")).await.expect("hashes");
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(!stored.contains("correct horse"));
        assert!(
            verify(Password::from("correct horse"), stored.clone())
                .await
                .expect("runs")
        );
        assert!(
            !verify(Password::from("correct horsE"), stored)
                .await
                .expect("runs")
        );
        assert!(
            !verify(Password::from("x"), "garbage".into())
                .await
                .expect("runs")
        );
    }
}
