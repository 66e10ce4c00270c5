//! Payments: the provider seam, the simulated provider, card checks, and the timeout every
//! provider call runs under.
//!
//! - `provider`: the [`PaymentProvider`] trait and its request and answer types;
//! - `simulated`: [`SimulatedProvider`], the default, with documented test cards and card
//!   tokens that describe themselves;
//! - `card`: card checks at the edge and the [`CardSummary`](bikestore_contracts::orders::CardSummary)
//!   that is all a payment keeps of a card.
//!
//! Handlers call the provider through [`TimedProvider`], which bounds every call by the
//! configured provider timeout and turns provider trouble into the service's transient errors
//! (`timeout`, `unavailable`), which are never recorded in the inbox, so a retry with the same
//! idempotency key calls the provider again.

pub mod card;
pub mod provider;
pub mod simulated;

use std::sync::Arc;
use std::time::Duration;

use bikestore_contracts::orders::{Card, CardSummary};
use bikestore_contracts::{Cents, OrderId, PaymentId};
use bikestore_runtime::RequestMeta;

pub use provider::{
    Authorization, AuthorizeRequest, CaptureRequest, PaymentMethod, PaymentProvider, ProviderError,
    Receipt, RefundRequest, VoidRequest,
};
pub use simulated::SimulatedProvider;

use crate::error::OrdersError;

/// A provider with the service's timeout around every call.
#[derive(Clone)]
pub struct TimedProvider {
    provider: Arc<dyn PaymentProvider>,
    timeout: Duration,
}

impl TimedProvider {
    /// `provider`, each call bounded by `timeout`.
    pub fn new(provider: Arc<dyn PaymentProvider>, timeout: Duration) -> TimedProvider {
        TimedProvider { provider, timeout }
    }

    /// The provider's name, for logs.
    pub fn name(&self) -> &'static str {
        self.provider.name()
    }

    /// Exchanges a checked card for a token; the same `idempotency_key` answers the same one.
    pub async fn tokenize(
        &self,
        card: &Card,
        idempotency_key: Option<&str>,
    ) -> Result<String, OrdersError> {
        self.bounded("tokenize", self.provider.tokenize(card, idempotency_key))
            .await
    }

    /// What is kept of the card a token stands for; an unknown token is `invalid`.
    pub async fn token_card(&self, token: &str) -> Result<CardSummary, OrdersError> {
        self.bounded("look up a token", self.provider.token_card(token))
            .await
    }

    /// Authorizes, or declines.
    pub async fn authorize(
        &self,
        request: AuthorizeRequest<'_>,
    ) -> Result<Authorization, OrdersError> {
        self.bounded("authorize", self.provider.authorize(request))
            .await
    }

    /// Captures.
    pub async fn capture(&self, request: CaptureRequest<'_>) -> Result<Receipt, OrdersError> {
        self.bounded("capture", self.provider.capture(request))
            .await
    }

    /// Voids.
    pub async fn void(&self, request: VoidRequest<'_>) -> Result<Receipt, OrdersError> {
        self.bounded("void", self.provider.void(request)).await
    }

    /// Refunds.
    pub async fn refund(&self, request: RefundRequest<'_>) -> Result<Receipt, OrdersError> {
        self.bounded("refund", self.provider.refund(request)).await
    }

    async fn bounded<T>(
        &self,
        operation: &'static str,
        call: provider::ProviderFuture<'_, T>,
    ) -> Result<T, OrdersError> {
        match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(ProviderError::Unavailable(message))) => {
                Err(OrdersError::ProviderUnavailable(message))
            }
            Ok(Err(ProviderError::Refused(message))) => Err(OrdersError::conflict(format!(
                "the payment provider refused to {operation}: {message}"
            ))),
            // The message never repeats the token: it pays like a card.
            Ok(Err(ProviderError::UnknownToken)) => Err(OrdersError::invalid(
                "card_token",
                "is not a card token the payment provider issued; get one from tokenize_card",
            )),
            Err(_) => Err(OrdersError::ProviderTimeout {
                operation,
                after: self.timeout,
            }),
        }
    }
}

/// The provider key of an authorization: the order, the operation (by card or by token) and
/// the caller's idempotency key, so a retried request holds once (and one key used for both
/// operations is two requests, as the inbox sees it); without a key every request is a new
/// authorization.
pub fn authorize_key(order_id: OrderId, meta: &RequestMeta) -> String {
    let operation = meta.operation;
    match &meta.idempotency_key {
        Some(key) => format!("order-{order_id}:{operation}:{key}"),
        None => format!("order-{order_id}:{operation}:{}", ulid::Ulid::new()),
    }
}

/// The provider key of the refund that gives back the rest of a payment when its order is
/// cancelled: the amount refunded before names the state it starts from, so a repeated or
/// concurrent cancellation makes the same request and the provider refunds once.
pub fn refund_rest_key(payment_id: PaymentId, refunded_before: Cents) -> String {
    format!(
        "payment-{payment_id}:refund-rest-after:{}",
        refunded_before.0
    )
}

/// The provider key of a capture: a payment has at most one, so the payment ID and amount make
/// every repeat harmless, while a capture of another amount is a new (and refused) request.
pub fn capture_key(payment_id: PaymentId, amount: Cents) -> String {
    format!("payment-{payment_id}:capture:{}", amount.0)
}

/// The provider key of a void: a payment has at most one, so the payment ID is enough.
pub fn void_key(payment_id: PaymentId) -> String {
    format!("payment-{payment_id}:void")
}

/// The provider key of a refund: a payment may have several, so the caller's key tells a
/// repeat from a second refund; without a key every request is a new refund.
pub fn refund_key(payment_id: PaymentId, meta: &RequestMeta) -> String {
    match &meta.idempotency_key {
        Some(key) => format!("payment-{payment_id}:refund:{key}"),
        None => format!("payment-{payment_id}:refund:{}", ulid::Ulid::new()),
    }
}
