//! The seam between the orders service and a payment provider.
//!
//! [`PaymentProvider`] is object-safe (each call returns a boxed future), so the service holds
//! an `Arc<dyn PaymentProvider>` and a real provider can replace the simulated one without a
//! change to any handler. Every call carries a provider idempotency key: a provider must answer
//! a repeated key with the first answer and never hold, capture or refund twice.
//!
//! A decline is an answer ([`Authorization::Declined`]), not an error: the service stores it.
//! [`ProviderError`] is for calls that did not get an answer or were refused outright.
//! A provider must never log or keep the card number or CVC it is handed.
//!
//! A card can be exchanged for a token ([`PaymentProvider::tokenize`]) that stands for it in
//! later authorizations, so a saga can pay long after the card was typed without anyone
//! keeping the card. A token never contains the number or CVC, and must stay valid across a
//! restart of the service; [`PaymentProvider::token_card`] tells what card a token stands for.

use std::future::Future;
use std::pin::Pin;

use bikestore_contracts::orders::{Card, CardSummary};
use bikestore_contracts::{Cents, OrderId};

/// What every provider call returns.
pub type ProviderFuture<'a, T> =
    Pin<Box<dyn Future<Output = Result<T, ProviderError>> + Send + 'a>>;

/// A provider call that got no usable answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The provider could not take the request now; the same call may succeed later.
    #[error("{0}")]
    Unavailable(String),
    /// The provider refused the request as it stands (capturing a voided hold, say).
    #[error("{0}")]
    Refused(String),
    /// The card token is not one this provider issued.
    #[error("not a card token this provider issued")]
    UnknownToken,
}

/// The provider's decline reason for a card the issuer refused.
pub const CARD_DECLINED: &str = "card_declined";
/// The provider's decline reason for a card without enough funds.
pub const INSUFFICIENT_FUNDS: &str = "insufficient_funds";

/// What an authorization holds money on.
#[derive(Clone, Copy)]
pub enum PaymentMethod<'a> {
    /// A card as typed; its `Debug` masks the number and omits the CVC.
    Card(&'a Card),
    /// A token from [`PaymentProvider::tokenize`].
    Token(&'a str),
}

impl std::fmt::Debug for PaymentMethod<'_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PaymentMethod::Card(card) => formatter.debug_tuple("Card").field(card).finish(),
            // A token pays like a card, so it is not printed either.
            PaymentMethod::Token(_) => formatter.write_str("Token(..)"),
        }
    }
}

/// Hold `amount` on `method` for `order_id`.
#[derive(Debug, Clone, Copy)]
pub struct AuthorizeRequest<'a> {
    /// Makes a repeated authorization hold once.
    pub idempotency_key: &'a str,
    /// The order paid for.
    pub order_id: OrderId,
    /// How much to hold.
    pub amount: Cents,
    /// The card or token.
    pub method: PaymentMethod<'a>,
}

/// The provider's answer to an authorization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorization {
    /// The money is held; `reference` names the hold in later calls.
    Approved {
        /// The provider's reference of the hold.
        reference: String,
    },
    /// The issuer refused.
    Declined {
        /// Why, such as [`CARD_DECLINED`] or [`INSUFFICIENT_FUNDS`].
        reason: String,
    },
}

/// Take `amount` of the hold `reference`.
#[derive(Debug, Clone, Copy)]
pub struct CaptureRequest<'a> {
    /// Makes a repeated capture take once.
    pub idempotency_key: &'a str,
    /// The hold.
    pub reference: &'a str,
    /// How much to take.
    pub amount: Cents,
}

/// Drop the hold `reference`.
#[derive(Debug, Clone, Copy)]
pub struct VoidRequest<'a> {
    /// Makes a repeated void harmless.
    pub idempotency_key: &'a str,
    /// The hold.
    pub reference: &'a str,
}

/// Give back `amount` of what was captured on `reference`.
#[derive(Debug, Clone, Copy)]
pub struct RefundRequest<'a> {
    /// Makes a repeated refund give back once.
    pub idempotency_key: &'a str,
    /// The hold that was captured.
    pub reference: &'a str,
    /// How much to give back.
    pub amount: Cents,
}

/// The provider's acknowledgement of a capture, void or refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The provider's reference of this operation.
    pub reference: String,
}

/// A payment provider: authorize, capture, void and refund, each idempotent by key; and card
/// tokens, for which a key is optional: with one, a repeat answers the same token (so the
/// service need store nothing to answer it); without, it mints another for the same card.
pub trait PaymentProvider: Send + Sync + 'static {
    /// A short name for logs.
    fn name(&self) -> &'static str;

    /// Exchanges a card (already checked by the service) for a token that stands for it; the
    /// same `idempotency_key` answers the same token.
    fn tokenize<'a>(
        &'a self,
        card: &'a Card,
        idempotency_key: Option<&'a str>,
    ) -> ProviderFuture<'a, String>;

    /// What is kept of the card `token` stands for, or [`ProviderError::UnknownToken`].
    fn token_card<'a>(&'a self, token: &'a str) -> ProviderFuture<'a, CardSummary>;

    /// Holds money on a card, or declines.
    fn authorize<'a>(&'a self, request: AuthorizeRequest<'a>) -> ProviderFuture<'a, Authorization>;

    /// Takes held money.
    fn capture<'a>(&'a self, request: CaptureRequest<'a>) -> ProviderFuture<'a, Receipt>;

    /// Drops a hold that was not captured.
    fn void<'a>(&'a self, request: VoidRequest<'a>) -> ProviderFuture<'a, Receipt>;

    /// Gives captured money back.
    fn refund<'a>(&'a self, request: RefundRequest<'a>) -> ProviderFuture<'a, Receipt>;
}
