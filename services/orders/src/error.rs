//! Everything that can go wrong in the orders service, and its wire code: the failures every
//! service shares ([`CoreError`]) and the payments' own.

use std::collections::BTreeMap;
use std::time::Duration;

use bikestore_contracts::{ErrorCode, PaymentId};
use bikestore_runtime::{CoreError, ServiceError};

/// An orders failure.
#[derive(Debug, thiserror::Error)]
pub enum OrdersError {
    /// Invalid input (never repeating a card number or CVC), a missing thing, a conflict (a
    /// duplicate, an illegal move), storage, or a replayed reply.
    #[error(transparent)]
    Common(#[from] CoreError),
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
}

bikestore_runtime::core_error!(OrdersError);

impl ServiceError for OrdersError {
    fn code(&self) -> ErrorCode {
        match self {
            OrdersError::Common(common) => common.code(),
            OrdersError::PaymentDeclined { .. } => ErrorCode::PaymentDeclined,
            OrdersError::ProviderTimeout { .. } => ErrorCode::Timeout,
            OrdersError::ProviderUnavailable(_) => ErrorCode::Unavailable,
        }
    }

    fn details(&self) -> BTreeMap<String, String> {
        match self {
            OrdersError::Common(common) => common.details(),
            OrdersError::PaymentDeclined { payment_id, reason } => BTreeMap::from([
                ("payment_id".to_owned(), payment_id.to_string()),
                ("reason".to_owned(), reason.clone()),
            ]),
            OrdersError::ProviderTimeout { .. } | OrdersError::ProviderUnavailable(_) => {
                BTreeMap::new()
            }
        }
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
