//! `adjust_stock`: corrects a store's stock with a reason.

use bikestore_contracts::inventory::{AdjustStock, StockChangeReason, StockUpdated};
use bikestore_runtime::Ctx;

use crate::Inventory;
use crate::domain;
use crate::error::InventoryError;
use crate::store::products::{STORE_EXISTS, exists};
use crate::store::stock::{self, StockChange};

/// Applies the signed correction; removing more than the unreserved units is refused with
/// `insufficient_stock`, since reserved units are promised to an order.
pub async fn handle(
    ctx: Ctx<Inventory>,
    request: AdjustStock,
) -> Result<StockUpdated, InventoryError> {
    let delta = domain::delta(request.delta)?;
    let reason = domain::reason(&request.reason)?;
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
                    on_hand_delta: delta,
                    reserved_delta: 0,
                    reason: StockChangeReason::Adjusted,
                    reservation_id: None,
                    note: Some(reason),
                },
                threshold,
            )?;
            Ok(StockUpdated { level })
        })
        .await
}
