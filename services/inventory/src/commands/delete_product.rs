//! `delete_product`: removes a product nobody holds or has reserved.

use bikestore_contracts::inventory::{DeleteProduct, Done};
use bikestore_runtime::Ctx;
use rusqlite::{OptionalExtension, params};

use crate::Inventory;
use crate::error::InventoryError;

/// Deletes the product and its empty stock rows; stock on hand or a reservation is a conflict.
pub async fn handle(ctx: Ctx<Inventory>, request: DeleteProduct) -> Result<Done, InventoryError> {
    let product_id = request.product_id;
    ctx.db
        .command(&ctx.meta, move |transaction| {
            let connection = transaction.connection();
            let held: Option<i64> = connection
                .prepare_cached("SELECT SUM(on_hand) FROM stocks WHERE product_id = ?1")?
                .query_row(params![product_id.0], |row| row.get(0))
                .optional()?
                .flatten();
            if held.unwrap_or(0) > 0 {
                return Err(InventoryError::conflict(format!(
                    "product {product_id} still has stock in a store; adjust it to zero first"
                )));
            }
            let reserved = connection
                .prepare_cached("SELECT 1 FROM reservation_lines WHERE product_id = ?1 LIMIT 1")?
                .query_row(params![product_id.0], |_| Ok(()))
                .optional()?
                .is_some();
            if reserved {
                return Err(InventoryError::conflict(format!(
                    "product {product_id} is named by reservations and is kept for their record"
                )));
            }
            connection
                .prepare_cached("DELETE FROM stocks WHERE product_id = ?1")?
                .execute(params![product_id.0])?;
            let removed = connection
                .prepare_cached("DELETE FROM products WHERE product_id = ?1")?
                .execute(params![product_id.0])?;
            if removed == 0 {
                return Err(InventoryError::not_found("product", product_id));
            }
            Ok(Done {})
        })
        .await
}
