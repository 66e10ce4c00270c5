//! `list_products`: searches the catalog by brand, category, text and price, a page at a time.

use bikestore_contracts::inventory::{ListProducts, ProductPage};
use bikestore_runtime::Ctx;
use bikestore_storage::like_pattern;
use rusqlite::types::Value;

use crate::Inventory;
use crate::domain;
use crate::error::InventoryError;
use crate::store::products::{PRODUCT_COLUMNS, PRODUCT_JOIN, from_row};

/// Builds one filtered query from the filters given, then reads the page and the total.
pub async fn handle(
    ctx: Ctx<Inventory>,
    request: ListProducts,
) -> Result<ProductPage, InventoryError> {
    let page = domain::page(request.page)?;
    let mut conditions = Vec::new();
    let mut values = Vec::new();
    if let Some(brand_id) = request.brand_id {
        values.push(Value::Integer(brand_id.0));
        conditions.push(format!("p.brand_id = ?{}", values.len()));
    }
    if let Some(category_id) = request.category_id {
        values.push(Value::Integer(category_id.0));
        conditions.push(format!("p.category_id = ?{}", values.len()));
    }
    if let Some(text) = &request.text {
        let text = domain::name("text", text)?;
        values.push(Value::Text(like_pattern(&text)));
        conditions.push(format!("p.name LIKE ?{} ESCAPE '\\'", values.len()));
    }
    if let Some(min_price) = request.min_price {
        values.push(Value::Integer(domain::price("min_price", min_price)?.0));
        conditions.push(format!("p.list_price >= ?{}", values.len()));
    }
    if let Some(max_price) = request.max_price {
        values.push(Value::Integer(domain::price("max_price", max_price)?.0));
        conditions.push(format!("p.list_price <= ?{}", values.len()));
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    ctx.db
        .query(move |connection| {
            let total: i64 = connection
                .prepare_cached(&format!("SELECT COUNT(*) FROM {PRODUCT_JOIN} {filter}"))?
                .query_row(rusqlite::params_from_iter(values.iter()), |row| row.get(0))?;
            let mut page_values = values.clone();
            page_values.push(Value::Integer(i64::from(page.limit)));
            page_values.push(Value::Integer(i64::from(page.offset)));
            let sql = format!(
                "SELECT {PRODUCT_COLUMNS} FROM {PRODUCT_JOIN} {filter}
                 ORDER BY p.name, p.product_id LIMIT ?{} OFFSET ?{}",
                values.len() + 1,
                values.len() + 2
            );
            let products = connection
                .prepare_cached(&sql)?
                .query_map(rusqlite::params_from_iter(page_values.iter()), from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(ProductPage {
                products,
                total: total.max(0) as u64,
            })
        })
        .await
}
