//! Everything that can go wrong in the inventory service, and its wire code.

use std::collections::BTreeMap;

use bikestore_contracts::{ErrorCode, ProductId, WireError};
use bikestore_runtime::ServiceError;
use bikestore_storage::StorageError;

/// An inventory failure.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// A field breaks a validation rule.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field.
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
    /// The request clashes with the current state.
    #[error("{0}")]
    Conflict(String),
    /// Not enough stock to reserve or remove.
    #[error("product {product_id}: {requested} requested but only {available} available")]
    InsufficientStock {
        /// The product short of stock.
        product_id: ProductId,
        /// Units asked for.
        requested: i64,
        /// Units available.
        available: i64,
    },
    /// The database failed.
    #[error("storage failure")]
    Storage(#[from] StorageError),
    /// A reply recorded for this idempotency key, replayed.
    #[error("{}", .0.message)]
    Replayed(#[from] WireError),
}

impl InventoryError {
    /// A validation failure.
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> InventoryError {
        InventoryError::Invalid {
            field,
            reason: reason.into(),
        }
    }

    /// A missing thing.
    pub fn not_found(what: &'static str, id: impl ToString) -> InventoryError {
        InventoryError::NotFound {
            what,
            id: id.to_string(),
        }
    }
}

impl From<rusqlite::Error> for InventoryError {
    fn from(error: rusqlite::Error) -> InventoryError {
        InventoryError::Storage(StorageError::Sqlite(error))
    }
}

impl ServiceError for InventoryError {
    fn code(&self) -> ErrorCode {
        match self {
            InventoryError::Invalid { .. } => ErrorCode::Invalid,
            InventoryError::NotFound { .. } => ErrorCode::NotFound,
            InventoryError::Conflict(_) => ErrorCode::Conflict,
            InventoryError::InsufficientStock { .. } => ErrorCode::InsufficientStock,
            InventoryError::Storage(error) if error.is_busy() => ErrorCode::Unavailable,
            InventoryError::Storage(_) => ErrorCode::Internal,
            InventoryError::Replayed(wire) => wire.code,
        }
    }

    fn details(&self) -> BTreeMap<String, String> {
        let mut details = BTreeMap::new();
        match self {
            InventoryError::Invalid { field, .. } => {
                details.insert("field".to_owned(), (*field).to_owned());
            }
            InventoryError::InsufficientStock {
                product_id,
                requested,
                available,
            } => {
                details.insert("product_id".to_owned(), product_id.to_string());
                details.insert("requested".to_owned(), requested.to_string());
                details.insert("available".to_owned(), available.to_string());
            }
            InventoryError::Replayed(wire) => return wire.details.clone(),
            _ => {}
        }
        details
    }
}

/// Turns a uniqueness violation into a conflict that says what clashed.
pub fn conflict_on_duplicate(
    error: rusqlite::Error,
    message: impl FnOnce() -> String,
) -> InventoryError {
    match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => InventoryError::Conflict(message()),
        _ => InventoryError::from(error),
    }
}
