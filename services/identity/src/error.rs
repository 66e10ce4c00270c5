//! Everything that can go wrong in the identity service, and its wire code: the failures every
//! service shares ([`CoreError`]) and identity's own.
//!
//! Credential failures are deliberately vague: one message for a wrong password, an unknown
//! username and a deactivated account, so the answer never tells whether a username exists.

use std::collections::BTreeMap;

use bikestore_auth::AuthError;
use bikestore_contracts::ErrorCode;
use bikestore_runtime::{CoreError, ServiceError};

/// An identity failure.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Invalid input (never repeating a password), a missing thing, a conflict (a taken
    /// username), storage, or a replayed reply.
    #[error(transparent)]
    Common(#[from] CoreError),
    /// Wrong password, unknown username or deactivated account: one answer for all three.
    #[error("invalid username or password")]
    InvalidCredentials,
    /// This username failed too often; it is slowed down or locked for a while.
    #[error("too many attempts; try again later")]
    TooManyAttempts,
    /// The refresh token is unknown, expired, spent or revoked.
    #[error("the refresh token is invalid, expired or revoked")]
    InvalidRefreshToken,
    /// A key or token could not be made or read.
    #[error("token or key failure")]
    Auth(#[from] AuthError),
    /// A signing key file could not be written or read.
    #[error("signing key store: {0}")]
    KeyStore(String),
    /// Password hashing failed.
    #[error("password hashing: {0}")]
    Hashing(String),
    /// A staff-administration request or logout without a valid caller assertion from the
    /// gateway: missing, forged, expired, or made for another operation or body.
    #[error("only the gateway may ask this: {0}")]
    CallerAssertion(AuthError),
    /// The gateway's public key, which caller assertions are checked with, could not be read.
    #[error("the gateway's public key: {0}")]
    GatewayKey(String),
}

bikestore_runtime::core_error!(IdentityError);

impl ServiceError for IdentityError {
    fn code(&self) -> ErrorCode {
        match self {
            IdentityError::Common(common) => common.code(),
            IdentityError::InvalidCredentials
            | IdentityError::TooManyAttempts
            | IdentityError::InvalidRefreshToken => ErrorCode::Unauthorized,
            IdentityError::Auth(error) | IdentityError::CallerAssertion(error) => error.code(),
            IdentityError::KeyStore(_)
            | IdentityError::Hashing(_)
            | IdentityError::GatewayKey(_) => ErrorCode::Internal,
        }
    }

    fn details(&self) -> BTreeMap<String, String> {
        match self {
            IdentityError::Common(common) => common.details(),
            _ => BTreeMap::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_failures_are_unauthorized_and_say_nothing_about_the_account() {
        assert_eq!(
            IdentityError::InvalidCredentials.code(),
            ErrorCode::Unauthorized
        );
        assert_eq!(
            IdentityError::TooManyAttempts.to_wire().message,
            "too many attempts; try again later"
        );
        assert_eq!(
            IdentityError::InvalidCredentials.to_wire().message,
            "invalid username or password"
        );
        assert_eq!(
            IdentityError::KeyStore("disk full".into())
                .to_wire()
                .message,
            "internal error; the service log has the details"
        );
    }
}
