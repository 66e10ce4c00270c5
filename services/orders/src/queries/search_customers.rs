//! `search_customers`: finds customers by name, e-mail, phone or address, a page at a time.

use bikestore_contracts::orders::{CustomerPage, SearchCustomers};
use bikestore_runtime::Ctx;
use bikestore_storage::like_pattern;
use rusqlite::types::Value;

use crate::Orders;
use crate::domain;
use crate::error::OrdersError;
use crate::store::customers::{CUSTOMER_COLUMNS, from_row};

/// Builds one filtered query from the filters given (each a case-insensitive substring, all
/// must match), then reads the page, by last then first name, and the total.
pub async fn handle(
    ctx: Ctx<Orders>,
    request: SearchCustomers,
) -> Result<CustomerPage, OrdersError> {
    let page = domain::page(request.page)?;
    let mut conditions = Vec::new();
    let mut values = Vec::new();
    let filters: [(&'static str, &Option<String>, &[&str]); 4] = [
        ("name", &request.name, &["first_name", "last_name"]),
        ("email", &request.email, &["email"]),
        ("phone", &request.phone, &["phone"]),
        (
            "address",
            &request.address,
            &["street", "city", "state", "zip_code"],
        ),
    ];
    for (field, filter, columns) in filters {
        let Some(text) = filter else { continue };
        let text = domain::search_term(field, text)?;
        values.push(Value::Text(like_pattern(&text)));
        let parameter = values.len();
        let any_column: Vec<String> = columns
            .iter()
            .map(|column| format!("{column} LIKE ?{parameter} ESCAPE '\\'"))
            .collect();
        conditions.push(format!("({})", any_column.join(" OR ")));
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    ctx.db
        .query(move |connection| {
            let total: i64 = connection
                .prepare_cached(&format!("SELECT COUNT(*) FROM customers {filter}"))?
                .query_row(rusqlite::params_from_iter(values.iter()), |row| row.get(0))?;
            let mut page_values = values.clone();
            page_values.push(Value::Integer(i64::from(page.limit)));
            page_values.push(Value::Integer(i64::from(page.offset)));
            let sql = format!(
                "SELECT {CUSTOMER_COLUMNS} FROM customers {filter}
                 ORDER BY last_name, first_name, customer_id LIMIT ?{} OFFSET ?{}",
                values.len() + 1,
                values.len() + 2
            );
            let customers = connection
                .prepare_cached(&sql)?
                .query_map(rusqlite::params_from_iter(page_values.iter()), from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(CustomerPage {
                customers,
                total: total.max(0) as u64,
            })
        })
        .await
}
