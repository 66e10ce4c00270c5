//! Reading orders with their lines and history, and recording status moves.

use bikestore_contracts::orders::{
    Order, OrderLine, OrderLineDetail, OrderStatus, OrderSummary, OrderTotals, StatusChange,
};
use bikestore_contracts::{Cents, CustomerId, OrderId, ProductId, ReservationId, StaffId, StoreId};
use rusqlite::types::{FromSqlError, Type};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::domain;
use crate::error::OrdersError;

/// The columns [`summary_from_row`] reads, from `orders` joined as [`WITH_CUSTOMER`].
pub const SUMMARY_COLUMNS: &str = "orders.order_id, orders.customer_id, orders.store_id,
     orders.status, orders.ordered_at, orders.total, customers.first_name, customers.last_name";

/// `orders` with its customer, whose name every order reply carries. An inner join loses no
/// order: `orders.customer_id` references `customers`, and customers are never deleted.
pub const WITH_CUSTOMER: &str =
    "orders JOIN customers ON customers.customer_id = orders.customer_id";

const HEADER_COLUMNS: &str = "orders.order_id, orders.customer_id, orders.store_id,
     orders.staff_id, orders.status, orders.ordered_at, orders.required_date, orders.shipped_at,
     orders.gross, orders.discount, orders.total, orders.reservation_id, customers.first_name,
     customers.last_name";

/// A customer's name as pages show it: first name, then last, either one possibly empty.
fn customer_name(row: &Row<'_>, first_index: usize) -> rusqlite::Result<String> {
    let first_name: String = row.get(first_index)?;
    let last_name: String = row.get(first_index + 1)?;
    Ok(format!("{first_name} {last_name}").trim().to_owned())
}

/// Reads a status column.
pub fn status_at(row: &Row<'_>, index: usize) -> rusqlite::Result<OrderStatus> {
    let name: String = row.get(index)?;
    domain::parse_status(&name).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            Type::Text,
            Box::new(FromSqlError::Other(
                format!("unknown order status {name:?}").into(),
            )),
        )
    })
}

/// Reads an order summary from a row of [`SUMMARY_COLUMNS`].
pub fn summary_from_row(row: &Row<'_>) -> rusqlite::Result<OrderSummary> {
    Ok(OrderSummary {
        order_id: OrderId(row.get(0)?),
        customer_id: CustomerId(row.get(1)?),
        store_id: StoreId(row.get(2)?),
        status: status_at(row, 3)?,
        ordered_at_ms: row.get(4)?,
        total: Cents(row.get(5)?),
        customer_name: customer_name(row, 6)?,
    })
}

fn header_from_row(row: &Row<'_>) -> rusqlite::Result<Order> {
    Ok(Order {
        order_id: OrderId(row.get(0)?),
        customer_id: CustomerId(row.get(1)?),
        store_id: StoreId(row.get(2)?),
        staff_id: StaffId(row.get(3)?),
        status: status_at(row, 4)?,
        ordered_at_ms: row.get(5)?,
        required_date: row.get(6)?,
        shipped_at_ms: row.get(7)?,
        lines: Vec::new(),
        totals: OrderTotals {
            gross: Cents(row.get(8)?),
            discount: Cents(row.get(9)?),
            total: Cents(row.get(10)?),
        },
        history: Vec::new(),
        reservation_id: row.get::<_, Option<String>>(11)?.map(ReservationId),
        customer_name: customer_name(row, 12)?,
    })
}

/// An order with its lines and history, if it exists.
pub fn find(connection: &Connection, order_id: OrderId) -> Result<Option<Order>, OrdersError> {
    let sql = format!("SELECT {HEADER_COLUMNS} FROM {WITH_CUSTOMER} WHERE orders.order_id = ?1");
    let Some(mut order) = connection
        .prepare_cached(&sql)?
        .query_row(params![order_id.0], header_from_row)
        .optional()?
    else {
        return Ok(None);
    };
    order.lines = connection
        .prepare_cached(
            "SELECT product_id, quantity, list_price, discount_percent, total, product_name
             FROM order_items
             WHERE order_id = ?1 ORDER BY line_number",
        )?
        .query_map(params![order_id.0], |row| {
            Ok(OrderLineDetail {
                line: OrderLine {
                    product_id: ProductId(row.get(0)?),
                    quantity: row.get(1)?,
                    list_price: Cents(row.get(2)?),
                    discount_percent: row.get(3)?,
                    product_name: row.get(5)?,
                },
                total: Cents(row.get(4)?),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    order.history = connection
        .prepare_cached(
            "SELECT from_status, to_status, reason, at_ms FROM order_status_history
             WHERE order_id = ?1 ORDER BY step",
        )?
        .query_map(params![order_id.0], |row| {
            let from: Option<String> = row.get(0)?;
            Ok(StatusChange {
                from: match from {
                    Some(_) => Some(status_at(row, 0)?),
                    None => None,
                },
                to: status_at(row, 1)?,
                reason: row.get(2)?,
                at_ms: row.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(order))
}

/// An order that must exist.
pub fn get(connection: &Connection, order_id: OrderId) -> Result<Order, OrdersError> {
    find(connection, order_id)?.ok_or_else(|| OrdersError::not_found("order", order_id))
}

/// Appends one move to an order's history.
pub fn record_move(
    connection: &Connection,
    order_id: OrderId,
    from: Option<OrderStatus>,
    to: OrderStatus,
    reason: Option<&str>,
    at_ms: i64,
) -> Result<(), OrdersError> {
    // Two statements, not `INSERT ... SELECT` from the same table, which SQLite runs through a
    // temporary table built for each move; the writer's transaction keeps them together.
    let step: i64 = connection
        .prepare_cached(
            "SELECT COALESCE(MAX(step), 0) + 1 FROM order_status_history WHERE order_id = ?1",
        )?
        .query_row(params![order_id.0], |row| row.get(0))?;
    connection
        .prepare_cached(
            "INSERT INTO order_status_history (order_id, step, from_status, to_status, reason, at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            order_id.0,
            step,
            from.map(domain::status_name),
            domain::status_name(to),
            reason,
            at_ms
        ])?;
    Ok(())
}

/// The status of an order that must exist.
pub fn status(connection: &Connection, order_id: OrderId) -> Result<OrderStatus, OrdersError> {
    connection
        .prepare_cached("SELECT status FROM orders WHERE order_id = ?1")?
        .query_row(params![order_id.0], |row| status_at(row, 0))
        .optional()?
        .ok_or_else(|| OrdersError::not_found("order", order_id))
}
