//! `list_orders`: orders by store, status, customer and time, newest first, a page at a time.

use bikestore_contracts::orders::{ListOrders, OrderPage};
use bikestore_runtime::Ctx;
use rusqlite::types::Value;

use crate::Orders;
use crate::domain;
use crate::error::OrdersError;
use crate::store::orders::{SUMMARY_COLUMNS, WITH_CUSTOMER, summary_from_row};

/// Builds one filtered query from the filters given, then reads the page and the total.
/// `from_ms` is inclusive and `to_ms` exclusive.
pub async fn handle(ctx: Ctx<Orders>, request: ListOrders) -> Result<OrderPage, OrdersError> {
    let page = domain::page(request.page)?;
    if let (Some(from_ms), Some(to_ms)) = (request.from_ms, request.to_ms)
        && from_ms > to_ms
    {
        return Err(OrdersError::invalid(
            "to_ms",
            format!("{to_ms} is before from_ms {from_ms}"),
        ));
    }
    let mut conditions = Vec::new();
    let mut values = Vec::new();
    let mut filter_on = |column_test: &str, value: Value| {
        values.push(value);
        conditions.push(format!("{column_test} ?{}", values.len()));
    };
    if let Some(store_id) = request.store_id {
        filter_on("orders.store_id =", Value::Integer(store_id.0));
    }
    if let Some(status) = request.status {
        filter_on(
            "orders.status =",
            Value::Text(domain::status_name(status).to_owned()),
        );
    }
    if let Some(customer_id) = request.customer_id {
        filter_on("orders.customer_id =", Value::Integer(customer_id.0));
    }
    if let Some(from_ms) = request.from_ms {
        filter_on("orders.ordered_at >=", Value::Integer(from_ms));
    }
    if let Some(to_ms) = request.to_ms {
        filter_on("orders.ordered_at <", Value::Integer(to_ms));
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    ctx.db
        .query(move |connection| {
            let total: i64 = connection
                .prepare_cached(&format!("SELECT COUNT(*) FROM orders {filter}"))?
                .query_row(rusqlite::params_from_iter(values.iter()), |row| row.get(0))?;
            let mut page_values = values.clone();
            page_values.push(Value::Integer(i64::from(page.limit)));
            page_values.push(Value::Integer(i64::from(page.offset)));
            let sql = format!(
                "SELECT {SUMMARY_COLUMNS} FROM {WITH_CUSTOMER} {filter}
                 ORDER BY orders.ordered_at DESC, orders.order_id DESC LIMIT ?{} OFFSET ?{}",
                values.len() + 1,
                values.len() + 2
            );
            let orders = connection
                .prepare_cached(&sql)?
                .query_map(
                    rusqlite::params_from_iter(page_values.iter()),
                    summary_from_row,
                )?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(OrderPage {
                orders,
                total: total.max(0) as u64,
            })
        })
        .await
}
