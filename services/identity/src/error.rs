//! Everything that can go wrong in the identity service, and its wire code.
//!
//! Credential failures are deliberately vague: one message for a wrong password, an unknown
//! username and a deactivated account, so the answer never tells whether a username exists.

use std::collections::BTreeMap;

use bikestore_auth::AuthError;
use bikestore_contracts::{ErrorCode, WireError};
use bikestore_runtime::ServiceError;
use bikestore_storage::StorageError;

/// An identity failure.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// A field breaks a validation rule. The reason never repeats a password.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field, as named in the request.
        field: &'static str,
        /// The rule it breaks.
        reason: String,
    },
    /// The thing named does not exist.
    #[error("{what} {id} does not exist")]
    NotFound {
        /// What kind of thing.
        what: &'static str,
        /// Its ID.
        id: String,
    },
    /// The request clashes with the current state (a taken username).
    #[error("{0}")]
    Conflict(String),
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
    /// The database failed.
    #[error("storage failure")]
    Storage(#[from] StorageError),
    /// A reply recorded for this idempotency key, replayed.
    #[error("{}", .0.message)]
    Replayed(#[from] WireError),
}

impl IdentityError {
    /// A validation failure.
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> IdentityError {
        IdentityError::Invalid {
            field,
            reason: reason.into(),
        }
    }

    /// A missing thing.
    pub fn not_found(what: &'static str, id: impl ToString) -> IdentityError {
        IdentityError::NotFound {
            what,
            id: id.to_string(),
        }
    }
}

impl From<rusqlite::Error> for IdentityError {
    fn from(error: rusqlite::Error) -> IdentityError {
        IdentityError::Storage(StorageError::Sqlite(error))
    }
}

impl ServiceError for IdentityError {
    fn code(&self) -> ErrorCode {
        match self {
            IdentityError::Invalid { .. } => ErrorCode::Invalid,
            IdentityError::NotFound { .. } => ErrorCode::NotFound,
            IdentityError::Conflict(_) => ErrorCode::Conflict,
            IdentityError::InvalidCredentials
            | IdentityError::TooManyAttempts
            | IdentityError::InvalidRefreshToken => ErrorCode::Unauthorized,
            IdentityError::Auth(error) => error.code(),
            IdentityError::KeyStore(_) | IdentityError::Hashing(_) => ErrorCode::Internal,
            IdentityError::Storage(error) if error.is_busy() => ErrorCode::Unavailable,
            IdentityError::Storage(_) => ErrorCode::Internal,
            IdentityError::Replayed(wire) => wire.code,
        }
    }

    fn details(&self) -> BTreeMap<String, String> {
        let mut details = BTreeMap::new();
        match self {
            IdentityError::Invalid { field, .. } => {
                details.insert("field".to_owned(), (*field).to_owned());
            }
            IdentityError::Replayed(wire) => return wire.details.clone(),
            _ => {}
        }
        details
    }
}

/// Turns a uniqueness violation into a conflict that says what clashed.
pub fn conflict_on_duplicate(
    error: rusqlite::Error,
    message: impl FnOnce() -> String,
) -> IdentityError {
    match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => IdentityError::Conflict(message()),
        _ => IdentityError::from(error),
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
