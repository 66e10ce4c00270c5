//! `transfer_stock`: starts a transfer-stock saga.

use bikestore_contracts::sagas::{SagaPayload, SagaStarted, TransferStock, TransferStockSaga};
use bikestore_runtime::Ctx;

use super::{new_record, saga_id_for, start_and_reply};
use crate::Orchestrator;
use crate::error::OrchestratorError;
use crate::sagas::transfer_stock::{NAME, fresh_reservation_id};

/// The most units one transfer may move.
const MAX_QUANTITY: i64 = 1_000_000;

/// Checks the stores differ and the quantity is sensible, and starts the saga.
pub async fn handle(
    ctx: Ctx<Orchestrator>,
    request: TransferStock,
) -> Result<SagaStarted, OrchestratorError> {
    if request.from_store_id == request.to_store_id {
        return Err(OrchestratorError::invalid(
            "to_store_id",
            "must differ from from_store_id",
        ));
    }
    if !(1..=MAX_QUANTITY).contains(&request.quantity) {
        return Err(OrchestratorError::invalid(
            "quantity",
            format!("{} is not between 1 and {MAX_QUANTITY}", request.quantity),
        ));
    }
    let saga_id = saga_id_for(NAME, &ctx.meta);
    let payload = SagaPayload::TransferStock(TransferStockSaga {
        from_store_id: request.from_store_id,
        to_store_id: request.to_store_id,
        product_id: request.product_id,
        quantity: request.quantity,
        reservation_id: Some(fresh_reservation_id()),
    });
    let record = new_record(&ctx, saga_id, NAME, payload)?;
    start_and_reply(&ctx, record, request.wait_ms).await
}
