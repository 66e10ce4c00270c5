//! Everything that can go wrong in the notifications service, and its wire code.

use std::collections::BTreeMap;

use bikestore_contracts::ErrorCode;
use bikestore_runtime::ServiceError;
use bikestore_storage::StorageError;

/// A notifications failure.
#[derive(Debug, thiserror::Error)]
pub enum NotificationsError {
    /// A field breaks a validation rule.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// The rule it breaks.
        reason: String,
    },
    /// A stored row holds a value this version cannot read.
    #[error("stored {what} {value:?} is not understood")]
    CorruptRow {
        /// Which column.
        what: &'static str,
        /// The value found.
        value: String,
    },
    /// The database failed.
    #[error("storage failure")]
    Storage(#[from] StorageError),
}

impl NotificationsError {
    /// A validation failure.
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> NotificationsError {
        NotificationsError::Invalid {
            field,
            reason: reason.into(),
        }
    }
}

impl From<rusqlite::Error> for NotificationsError {
    fn from(error: rusqlite::Error) -> NotificationsError {
        NotificationsError::Storage(StorageError::Sqlite(error))
    }
}

impl ServiceError for NotificationsError {
    fn code(&self) -> ErrorCode {
        match self {
            NotificationsError::Invalid { .. } => ErrorCode::Invalid,
            NotificationsError::CorruptRow { .. } => ErrorCode::Internal,
            NotificationsError::Storage(error) if error.is_busy() => ErrorCode::Unavailable,
            NotificationsError::Storage(_) => ErrorCode::Internal,
        }
    }

    fn details(&self) -> BTreeMap<String, String> {
        match self {
            NotificationsError::Invalid { field, .. } => {
                BTreeMap::from([("field".to_owned(), (*field).to_owned())])
            }
            _ => BTreeMap::new(),
        }
    }
}
