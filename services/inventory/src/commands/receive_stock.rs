//! `receive_stock`: books goods that arrived at a store.

use bikestore_contracts::inventory::{ReceiveStock, StockChangeReason, StockUpdated};
use bikestore_runtime::Ctx;

use crate::Inventory;
use crate::domain;
use crate::error::InventoryError;
use crate::store::products::{STORE_EXISTS, exists};
use crate::store::stock::{self, StockChange};

/// Adds the units to the store's stock of the product.
pub async fn handle(
    ctx: Ctx<Inventory>,
    request: ReceiveStock,
) -> Result<StockUpdated, InventoryError> {
    let quantity = domain::quantity("quantity", request.quantity)?;
    let threshold = ctx.settings.low_stock_threshold;
    ctx.db
        .command(&ctx.meta, move |transaction| {
            if !exists(transaction.connection(), STORE_EXISTS, request.store_id.0)? {
                return Err(InventoryError::not_found("store", request.store_id));
            }
            let level = stock::apply(
                transaction,
                StockChange {
                    store_id: request.store_id,
                    product_id: request.product_id,
                    on_hand_delta: quantity,
                    reserved_delta: 0,
                    reason: StockChangeReason::Received,
                    reservation_id: None,
                    note: None,
                },
                threshold,
            )?;
            Ok(StockUpdated { level })
        })
        .await
}
