//! `get_order`: one order with its lines, totals and status history.

use bikestore_contracts::orders::{GetOrder, Order};
use bikestore_runtime::Ctx;

use crate::Orders;
use crate::error::OrdersError;
use crate::store::orders;

/// Reads the order; an unknown one is `not_found`.
pub async fn handle(ctx: Ctx<Orders>, request: GetOrder) -> Result<Order, OrdersError> {
    let order_id = request.order_id;
    ctx.db
        .query(move |connection| orders::get(connection, order_id))
        .await
}
