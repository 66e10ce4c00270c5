//! `cancel_order`: starts a cancel-order saga.

use bikestore_contracts::orders::{GetOrder, OrderStatus};
use bikestore_contracts::sagas::{CancelOrder, CancelOrderSaga, SagaPayload, SagaStarted};
use bikestore_runtime::Ctx;

use super::{new_record, repeated, saga_id_for, start_and_reply};
use crate::Orchestrator;
use crate::error::OrchestratorError;
use crate::sagas::cancel_order::NAME;

/// The longest reason accepted.
const MAX_REASON_CHARS: usize = 500;

/// Checks the reason, reads the order's store, and starts the saga. A repeat under the same
/// idempotency key answers with the saga it started, without reading the order again.
pub async fn handle(
    ctx: Ctx<Orchestrator>,
    request: CancelOrder,
) -> Result<SagaStarted, OrchestratorError> {
    let reason = request.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        return Err(OrchestratorError::invalid(
            "reason",
            format!("must be 1 to {MAX_REASON_CHARS} characters"),
        ));
    }
    let saga_id = saga_id_for(NAME, &ctx.meta);
    if let Some(repeat) = repeated(&ctx, &ctx.meta, &saga_id, request.wait_ms).await? {
        return Ok(repeat);
    }
    // The saga's progress goes to its store's consoles, and the request names only the order:
    // one read here gives every progress event its store (and refuses an unknown order before
    // any saga exists).
    let order = ctx
        .caller
        .call(&GetOrder {
            order_id: request.order_id,
        })
        .await?;
    // A pending order is still being placed: its place-order saga would meet the order
    // cancelled while it compensates, and stick. One saga at a time per order.
    if order.status == OrderStatus::Pending {
        return Err(OrchestratorError::Conflict(format!(
            "order {} is still pending: its place-order saga has not ended. Cancel it once the \
             order is processing; an order left pending by a saga resolved by hand is changed \
             with change_order_status",
            request.order_id
        )));
    }
    let payload = SagaPayload::CancelOrder(CancelOrderSaga {
        order_id: request.order_id,
        reason,
        store_id: Some(order.store_id),
        reservation_id: order.reservation_id,
    });
    let record = new_record(&ctx, saga_id, NAME, payload)?;
    start_and_reply(&ctx, record, request.wait_ms).await
}
