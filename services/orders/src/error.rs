//! Everything that can go wrong in the orders service, and its wire code.

use std::collections::BTreeMap;
use std::time::Duration;

use bikestore_contracts::{ErrorCode, PaymentId, WireError};
use bikestore_runtime::ServiceError;
use bikestore_storage::StorageError;

/// An orders failure.
#[derive(Debug, thiserror::Error)]
pub enum OrdersError {
    /// A field breaks a validation rule. The reason never repeats a card number or CVC.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field, as named in the request (`card.number`, `lines.quantity`).
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
    /// The request clashes with the current state (a duplicate, an illegal move).
    #[error("{0}")]
    Conflict(String),
    /// The provider refused the authorization; the declined payment is stored.
    #[error("payment {payment_id} was declined: {reason}")]
    PaymentDeclined {
        /// The stored, declined payment.
        payment_id: PaymentId,
        /// The provider's reason, such as `card_declined`.
        reason: String,
    },
    /// The payment provider did not answer in time; retrying may succeed.
    #[error("the payment provider did not answer {operation} within {after:?}")]
    ProviderTimeout {
        /// The provider call.
        operation: &'static str,
        /// How long we waited.
        after: Duration,
    },
    /// The payment provider could not take the request now; retrying may succeed.
    #[error("the payment provider is unavailable: {0}")]
    ProviderUnavailable(String),
    /// The database failed.
    #[error("storage failure")]
    Storage(#[from] StorageError),
    /// A reply recorded for this idempotency key, replayed.
    #[error("{}", .0.message)]
    Replayed(#[from] WireError),
}

impl OrdersError {
    /// A validation failure.
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> OrdersError {
        OrdersError::Invalid {
            field,
            reason: reason.into(),
        }
    }

    /// A missing thing.
    pub fn not_found(what: &'static str, id: impl ToString) -> OrdersError {
        OrdersError::NotFound {
            what,
            id: id.to_string(),
        }
    }
}

impl From<rusqlite::Error> for OrdersError {
    fn from(error: rusqlite::Error) -> OrdersError {
        OrdersError::Storage(StorageError::Sqlite(error))
    }
}

impl ServiceError for OrdersError {
    fn code(&self) -> ErrorCode {
        match self {
            OrdersError::Invalid { .. } => ErrorCode::Invalid,
            OrdersError::NotFound { .. } => ErrorCode::NotFound,
            OrdersError::Conflict(_) => ErrorCode::Conflict,
            OrdersError::PaymentDeclined { .. } => ErrorCode::PaymentDeclined,
            OrdersError::ProviderTimeout { .. } => ErrorCode::Timeout,
            OrdersError::ProviderUnavailable(_) => ErrorCode::Unavailable,
            OrdersError::Storage(error) if error.is_busy() => ErrorCode::Unavailable,
            OrdersError::Storage(_) => ErrorCode::Internal,
            OrdersError::Replayed(wire) => wire.code,
        }
    }

    fn details(&self) -> BTreeMap<String, String> {
        let mut details = BTreeMap::new();
        match self {
            OrdersError::Invalid { field, .. } => {
                details.insert("field".to_owned(), (*field).to_owned());
            }
            OrdersError::PaymentDeclined { payment_id, reason } => {
                details.insert("payment_id".to_owned(), payment_id.to_string());
                details.insert("reason".to_owned(), reason.clone());
            }
            OrdersError::Replayed(wire) => return wire.details.clone(),
            _ => {}
        }
        details
    }
}

/// Turns a uniqueness violation into a conflict that says what clashed.
pub fn conflict_on_duplicate(
    error: rusqlite::Error,
    message: impl FnOnce() -> String,
) -> OrdersError {
    match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => OrdersError::Conflict(message()),
        _ => OrdersError::from(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_trouble_is_transient_and_a_decline_is_not() {
        let timeout = OrdersError::ProviderTimeout {
            operation: "authorize",
            after: Duration::from_millis(300),
        };
        assert_eq!(timeout.code(), ErrorCode::Timeout);
        assert!(timeout.code().is_transient());
        assert!(
            OrdersError::ProviderUnavailable("busy".into())
                .code()
                .is_transient()
        );
        let declined = OrdersError::PaymentDeclined {
            payment_id: PaymentId(7),
            reason: "card_declined".into(),
        };
        assert_eq!(declined.code(), ErrorCode::PaymentDeclined);
        assert_eq!(declined.details()["reason"], "card_declined");
        assert_eq!(declined.details()["payment_id"], "7");
    }
}
