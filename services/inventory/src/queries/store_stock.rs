//! `store_stock`: a store's stock, a page at a time.

use bikestore_contracts::inventory::{StockPage, StoreStock};
use bikestore_runtime::Ctx;
use rusqlite::params;

use crate::Inventory;
use crate::domain;
use crate::error::InventoryError;
use crate::store::products::{STORE_EXISTS, exists};
use crate::store::stock::{LEVEL_COLUMNS, level_from_row};

/// Reads the store's levels by product name; an unknown store is `not_found`.
pub async fn handle(ctx: Ctx<Inventory>, request: StoreStock) -> Result<StockPage, InventoryError> {
    let page = domain::page(request.page)?;
    let store_id = request.store_id;
    ctx.db
        .query(move |connection| {
            if !exists(connection, STORE_EXISTS, store_id.0)? {
                return Err(InventoryError::not_found("store", store_id));
            }
            let total: i64 = connection
                .prepare_cached("SELECT COUNT(*) FROM stocks WHERE store_id = ?1")?
                .query_row(params![store_id.0], |row| row.get(0))?;
            let sql = format!(
                "SELECT {LEVEL_COLUMNS} FROM stocks s JOIN products p ON p.product_id = s.product_id
                 WHERE s.store_id = ?1 ORDER BY p.name, s.product_id LIMIT ?2 OFFSET ?3"
            );
            let levels = connection
                .prepare_cached(&sql)?
                .query_map(params![store_id.0, page.limit, page.offset], level_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(StockPage {
                levels,
                total: total.max(0) as u64,
            })
        })
        .await
}
