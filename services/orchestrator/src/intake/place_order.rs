//! `place_order`: starts a place-order saga.

use bikestore_contracts::orders::{MAX_ORDER_LINES, TokenizeCard};
use bikestore_contracts::sagas::{PlaceOrder, PlaceOrderSaga, SagaPayload, SagaStarted};
use bikestore_runtime::Ctx;
use bikestore_runtime::call::CallOptions;

use super::{new_record, repeated, saga_id_for, start_and_reply};
use crate::Orchestrator;
use crate::error::OrchestratorError;
use crate::sagas::place_order::NAME;

/// Checks the request's shape, exchanges the card for a provider token (the card itself is
/// never stored), and starts the saga. A repeat under the same idempotency key answers with
/// the saga it started, without touching the card again.
pub async fn handle(
    ctx: Ctx<Orchestrator>,
    request: PlaceOrder,
) -> Result<SagaStarted, OrchestratorError> {
    if request.lines.is_empty() || request.lines.len() > MAX_ORDER_LINES {
        return Err(OrchestratorError::invalid(
            "lines",
            format!(
                "must hold 1 to {MAX_ORDER_LINES} lines, not {}",
                request.lines.len()
            ),
        ));
    }
    let saga_id = saga_id_for(NAME, &ctx.meta);
    if let Some(repeat) = repeated(&ctx, &ctx.meta, &saga_id, request.wait_ms).await? {
        return Ok(repeat);
    }
    let token = ctx
        .caller
        .call_with(
            &TokenizeCard { card: request.card },
            &CallOptions::idempotent(format!("{saga_id}:tokenize_card")),
        )
        .await?;
    let payload = SagaPayload::PlaceOrder(PlaceOrderSaga {
        customer_id: request.customer_id,
        store_id: request.store_id,
        staff_id: request.staff_id,
        lines: request.lines,
        card_token: token.token,
        order_id: None,
        total: None,
        reservation_id: None,
        payment_id: None,
        captured: false,
        failure_reason: None,
    });
    let record = new_record(&ctx, saga_id, NAME, payload)?;
    start_and_reply(&ctx, record, request.wait_ms).await
}
