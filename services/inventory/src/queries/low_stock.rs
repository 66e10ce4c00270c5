//! `low_stock`: stock levels whose available units are at or below a threshold.

use bikestore_contracts::inventory::{LowStock, StockPage};
use bikestore_runtime::Ctx;
use rusqlite::params;

use crate::Inventory;
use crate::domain;
use crate::error::InventoryError;
use crate::store::stock::{LEVEL_COLUMNS, level_from_row};

/// Lists low levels, lowest first, in one store or all.
pub async fn handle(ctx: Ctx<Inventory>, request: LowStock) -> Result<StockPage, InventoryError> {
    let page = domain::page(request.page)?;
    let threshold = request
        .threshold
        .unwrap_or(ctx.settings.low_stock_threshold);
    if threshold < 0 {
        return Err(InventoryError::invalid("threshold", "must not be negative"));
    }
    let store_filter = request.store_id.map(|store_id| store_id.0);
    ctx.db
        .query(move |connection| {
            let condition = "(s.on_hand - s.reserved) <= ?1 AND (?2 IS NULL OR s.store_id = ?2)";
            let total: i64 = connection
                .prepare_cached(&format!("SELECT COUNT(*) FROM stocks s WHERE {condition}"))?
                .query_row(params![threshold, store_filter], |row| row.get(0))?;
            let sql = format!(
                "SELECT {LEVEL_COLUMNS} FROM stocks s JOIN products p ON p.product_id = s.product_id
                 WHERE {condition}
                 ORDER BY (s.on_hand - s.reserved), s.store_id, p.name LIMIT ?3 OFFSET ?4"
            );
            let levels = connection
                .prepare_cached(&sql)?
                .query_map(
                    params![threshold, store_filter, page.limit, page.offset],
                    level_from_row,
                )?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(StockPage {
                levels,
                total: total.max(0) as u64,
            })
        })
        .await
}
