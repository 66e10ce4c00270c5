//! `create_order`: creates an order in `pending`, with its lines, totals and first history
//! entry, and publishes `order_placed`.

use bikestore_contracts::OrderId;
use bikestore_contracts::orders::{CreateOrder, OrderCreated, OrderPlaced, OrderStatus};
use bikestore_runtime::Ctx;
use rusqlite::params;
use tracing::{info, instrument};

use crate::Orders;
use crate::domain;
use crate::error::OrdersError;
use crate::store::{customers, orders};

/// Validates the lines and required date, checks the customer exists (else `not_found`), and
/// stores the order with its computed totals in one transaction with its `order_placed` event.
#[instrument(skip_all, fields(customer_id = %request.customer_id, store_id = %request.store_id))]
pub async fn handle(ctx: Ctx<Orders>, request: CreateOrder) -> Result<OrderCreated, OrdersError> {
    let lines = domain::order_lines(&request.lines)?;
    let required_date = request
        .required_date
        .as_deref()
        .map(domain::required_date)
        .transpose()?;
    let totals = domain::totals(&lines);
    let reservation_id = request
        .reservation_id
        .as_ref()
        .map(domain::reservation_id)
        .transpose()?;
    let created = ctx
        .db
        .command(&ctx.meta, move |transaction| {
            let connection = transaction.connection();
            if !customers::exists(connection, request.customer_id)? {
                return Err(OrdersError::not_found("customer", request.customer_id));
            }
            let now = transaction.now_ms();
            connection
                .prepare_cached(
                    "INSERT INTO orders (customer_id, store_id, staff_id, status, ordered_at,
                         required_date, gross, discount, total, reservation_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )?
                .execute(params![
                    request.customer_id.0,
                    request.store_id.0,
                    request.staff_id.0,
                    domain::status_name(OrderStatus::Pending),
                    now,
                    required_date,
                    totals.gross.0,
                    totals.discount.0,
                    totals.total.0,
                    reservation_id.as_ref().map(|id| id.0.as_str())
                ])?;
            let order_id = OrderId(connection.last_insert_rowid());
            let mut insert_line = connection.prepare_cached(
                "INSERT INTO order_items (order_id, line_number, product_id, quantity, list_price,
                     discount_percent, total, product_name)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for (index, line) in lines.iter().enumerate() {
                insert_line.execute(params![
                    order_id.0,
                    index as i64 + 1,
                    line.product_id.0,
                    line.quantity,
                    line.list_price.0,
                    line.discount_percent,
                    domain::line_total(line).0,
                    line.product_name
                ])?;
            }
            orders::record_move(connection, order_id, None, OrderStatus::Pending, None, now)?;
            transaction.emit(&OrderPlaced {
                order_id,
                customer_id: request.customer_id,
                store_id: request.store_id,
                total: totals.total,
            })?;
            Ok::<_, OrdersError>(OrderCreated {
                order_id,
                total: totals.total,
            })
        })
        .await?;
    info!(order_id = %created.order_id, total = %created.total, "order placed");
    Ok(created)
}
