//! Everything that can go wrong in the notifications service, and its wire code: the failures
//! every service shares ([`CoreError`]) and a stored row this version cannot read.

use std::collections::BTreeMap;

use bikestore_contracts::ErrorCode;
use bikestore_runtime::{CoreError, ServiceError};

/// A notifications failure.
#[derive(Debug, thiserror::Error)]
pub enum NotificationsError {
    /// Invalid input, a missing thing, a conflict, storage, or a replayed reply.
    #[error(transparent)]
    Common(#[from] CoreError),
    /// A stored row holds a value this version cannot read.
    #[error("stored {what} {value:?} is not understood")]
    CorruptRow {
        /// Which column.
        what: &'static str,
        /// The value found.
        value: String,
    },
}

bikestore_runtime::core_error!(NotificationsError);

impl ServiceError for NotificationsError {
    fn code(&self) -> ErrorCode {
        match self {
            NotificationsError::Common(common) => common.code(),
            NotificationsError::CorruptRow { .. } => ErrorCode::Internal,
        }
    }

    fn details(&self) -> BTreeMap<String, String> {
        match self {
            NotificationsError::Common(common) => common.details(),
            NotificationsError::CorruptRow { .. } => BTreeMap::new(),
        }
    }
}
