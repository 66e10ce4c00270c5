//! `change_order_status`: moves an order along its state machine and publishes
//! `order_status_changed`.

use bikestore_contracts::orders::{ChangeOrderStatus, Order, OrderStatus, OrderStatusChanged};
use bikestore_runtime::Ctx;
use rusqlite::params;
use tracing::{info, instrument};

use crate::Orders;
use crate::domain::{self, StatusMove};
use crate::error::OrdersError;
use crate::store::orders;

/// Applies a legal move with its history entry and event in one transaction; completing sets
/// the shipped time. A move to the status the order already has changes nothing and returns
/// the order, so a retried saga step is harmless; any other move is a `conflict` naming both
/// states.
#[instrument(skip_all, fields(order_id = %request.order_id, to = domain::status_name(request.to)))]
pub async fn handle(ctx: Ctx<Orders>, request: ChangeOrderStatus) -> Result<Order, OrdersError> {
    let reason = domain::reason(request.reason.as_deref())?;
    let (order_id, to) = (request.order_id, request.to);
    let order = ctx
        .db
        .command(&ctx.meta, move |transaction| {
            let connection = transaction.connection();
            let order = orders::get(connection, order_id)?;
            let from = order.status;
            if domain::status_move(order_id, from, to)? == StatusMove::AlreadyThere {
                return Ok(order);
            }
            let now = transaction.now_ms();
            let shipped_at_ms = (to == OrderStatus::Completed).then_some(now);
            connection
                .prepare_cached(
                    "UPDATE orders SET status = ?2, shipped_at = COALESCE(?3, shipped_at)
                     WHERE order_id = ?1",
                )?
                .execute(params![order_id.0, domain::status_name(to), shipped_at_ms])?;
            orders::record_move(connection, order_id, Some(from), to, reason.as_deref(), now)?;
            transaction.emit(&OrderStatusChanged {
                order_id,
                customer_id: order.customer_id,
                store_id: order.store_id,
                from,
                to,
                reason,
            })?;
            orders::get(connection, order_id)
        })
        .await?;
    info!(
        status = domain::status_name(order.status),
        "order status settled"
    );
    Ok(order)
}
