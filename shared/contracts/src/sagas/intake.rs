//! The saga intake's requests and its reply: what starts a place-order, cancel-order or
//! transfer-stock saga.

use serde::{Deserialize, Serialize};

use super::{SagaId, SagaState};
use crate::error::WireError;
use crate::ids::{CustomerId, OrderId, ProductId, StaffId, StoreId};
use crate::message;
use crate::orders::Card;

/// Starts a place-order saga. With an `Idempotency-Key` header, a repeat returns the same saga.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceOrder {
    /// Who buys.
    pub customer_id: CustomerId,
    /// Which store sells.
    pub store_id: StoreId,
    /// Who took the order: through the gateway, always the caller (another member is
    /// `forbidden`); operators calling the orchestrator directly may name anyone.
    pub staff_id: StaffId,
    /// What is bought; the saga prices every line from the catalog.
    pub lines: Vec<PlaceOrderLine>,
    /// How the customer pays; turned into a provider token at intake and never stored.
    pub card: Card,
    /// Reply only once the saga has ended (or this many milliseconds passed).
    #[serde(default)]
    pub wait_ms: Option<u64>,
}

/// One line of an order to place: what and how many, and the discount asked for. The price
/// comes from the catalog, never from the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceOrderLine {
    /// The product.
    pub product_id: ProductId,
    /// Units, at least one.
    pub quantity: i64,
    /// Discount in whole percent, 0 to 100, within the caller's role's limit.
    #[serde(default)]
    pub discount_percent: u8,
    /// Must be absent: a price sent by a client is refused as `invalid` (field
    /// `lines.list_price`) rather than silently replaced, so a client that still sends one
    /// learns that it is not used.
    #[serde(default)]
    pub list_price: Option<crate::Cents>,
}

/// Starts a cancel-order saga.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelOrder {
    /// The order.
    pub order_id: OrderId,
    /// Why, for the customer.
    pub reason: String,
    /// Reply only once the saga has ended (or this many milliseconds passed).
    #[serde(default)]
    pub wait_ms: Option<u64>,
}

/// Starts a transfer-stock saga.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferStock {
    /// The store giving the stock.
    pub from_store_id: StoreId,
    /// The store receiving it.
    pub to_store_id: StoreId,
    /// The product.
    pub product_id: ProductId,
    /// How many units.
    pub quantity: i64,
    /// Reply only once the saga has ended (or this many milliseconds passed).
    #[serde(default)]
    pub wait_ms: Option<u64>,
}

/// The reply to an intake: the saga, and its state when the reply was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SagaStarted {
    /// The saga.
    pub saga_id: SagaId,
    /// Its state now (terminal if the caller waited and it ended).
    pub state: SagaState,
    /// Its last error, if it failed.
    pub error: Option<WireError>,
    /// The order it created or worked on, if any.
    pub order_id: Option<OrderId>,
}

message!(command PlaceOrder => SagaStarted, Orchestrator."place_order", v 2);
message!(command CancelOrder => SagaStarted, Orchestrator."cancel_order", v 1);
message!(command TransferStock => SagaStarted, Orchestrator."transfer_stock", v 1);
message!(SagaStarted, "saga_started", v 1);
