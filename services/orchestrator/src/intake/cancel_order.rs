//! `cancel_order`: starts a cancel-order saga.

use bikestore_contracts::sagas::{CancelOrder, CancelOrderSaga, SagaPayload, SagaStarted};
use bikestore_runtime::Ctx;

use super::{new_record, saga_id_for, start_and_reply};
use crate::Orchestrator;
use crate::error::OrchestratorError;
use crate::sagas::cancel_order::NAME;

/// The longest reason accepted.
const MAX_REASON_CHARS: usize = 500;

/// Checks the reason and starts the saga.
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
    let payload = SagaPayload::CancelOrder(CancelOrderSaga {
        order_id: request.order_id,
        reason,
    });
    let record = new_record(&ctx, saga_id, NAME, payload)?;
    start_and_reply(&ctx, record, request.wait_ms).await
}
