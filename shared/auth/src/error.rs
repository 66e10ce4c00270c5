//! Why a key, token, request signature or caller assertion was refused.
//!
//! Messages name what failed, never the token, key or signature itself.

use bikestore_contracts::ErrorCode;

/// A refused key, token, signature or caller assertion, or a failure to make one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The signature does not match what was signed: tampered, or signed by another key.
    #[error("the signature does not verify")]
    BadSignature,
    /// The token's validity, or its key's, is over.
    #[error("the token expired at {expired_at_ms} ms")]
    Expired {
        /// When it expired, in milliseconds since the Unix epoch.
        expired_at_ms: i64,
    },
    /// The token names a key this ring does not hold.
    #[error("the token was signed by an unknown key {kid:?}")]
    UnknownKey {
        /// The key ID it names (at most 64 characters of it).
        kid: String,
    },
    /// The text is not a token, key, nonce or signature of the expected shape.
    #[error("malformed {what}")]
    Malformed {
        /// What could not be read.
        what: &'static str,
    },
    /// The request was signed by another session than the one the token was issued to.
    #[error("the request was signed by another session than the token's")]
    WrongSession,
    /// The request's timestamp is too far from now: stale, or from the future.
    #[error("the request timestamp is {skew_ms} ms away from now, over the {window_ms} ms allowed")]
    StaleTimestamp {
        /// How far off it is, in milliseconds.
        skew_ms: i64,
        /// How far off it may be.
        window_ms: i64,
    },
    /// The token claims to be issued in the future.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// The operating system's random number generator failed.
    #[error("no randomness available: {0}")]
    Randomness(String),
    /// A request that needs the gateway's caller assertion came without one.
    #[error("no caller assertion")]
    AssertionMissing,
    /// The caller assertion's validity is over.
    #[error("the caller assertion expired at {expired_at_ms} ms")]
    AssertionExpired {
        /// When it expired, in milliseconds since the Unix epoch.
        expired_at_ms: i64,
    },
    /// The caller assertion was made for another operation than the one it came with.
    #[error("the caller assertion is for another operation")]
    AssertionForAnotherOperation,
    /// The caller assertion was made for another request body than the one it came with.
    #[error("the caller assertion is for another request body")]
    AssertionForAnotherBody,
}

impl AuthError {
    /// A malformed `what`.
    pub fn malformed(what: &'static str) -> AuthError {
        AuthError::Malformed { what }
    }

    /// The stable wire code: a refused credential is `unauthorized`; only a failure to make
    /// one is `internal`.
    pub fn code(&self) -> ErrorCode {
        match self {
            AuthError::BadSignature
            | AuthError::Expired { .. }
            | AuthError::UnknownKey { .. }
            | AuthError::Malformed { .. }
            | AuthError::WrongSession
            | AuthError::StaleTimestamp { .. }
            | AuthError::NotYetValid
            | AuthError::AssertionMissing
            | AuthError::AssertionExpired { .. }
            | AuthError::AssertionForAnotherOperation
            | AuthError::AssertionForAnotherBody => ErrorCode::Unauthorized,
            AuthError::Randomness(_) => ErrorCode::Internal,
        }
    }
}
