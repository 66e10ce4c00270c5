//! `resolve_saga`: ends a saga by hand, with a reason.

use bikestore_contracts::sagas::{ResolveSaga, SagaRecord, SagaState};
use bikestore_runtime::{Ctx, now_ms};
use tracing::warn;

use super::change_saga;
use crate::Orchestrator;
use crate::error::OrchestratorError;

/// Marks an unfinished (typically stuck) saga resolved; the reason is kept in the record. A
/// saga that already ended, or that a driver holds a live lease on, is a conflict.
pub async fn handle(
    ctx: Ctx<Orchestrator>,
    request: ResolveSaga,
) -> Result<SagaRecord, OrchestratorError> {
    let reason = request.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(OrchestratorError::invalid(
            "reason",
            "must be 1 to 500 characters",
        ));
    }
    let saga = change_saga(&ctx, &request.saga_id, |saga| {
        if saga.state.is_terminal() {
            return Err(OrchestratorError::Conflict(format!(
                "saga {} has already ended ({:?})",
                saga.saga_id, saga.state
            )));
        }
        // A driver holding the lease may have steps done that the record does not show yet
        // (the engine writes when the saga's course changes): ending the saga under it would
        // leave their effects behind a record that says it was handled by hand.
        if let Some(lease) = saga.lease.as_ref().filter(|lease| lease.until_ms > now_ms()) {
            return Err(OrchestratorError::Conflict(format!(
                "saga {} is being driven now (its lease runs {} ms more); resolve it once it is stuck or nobody drives it",
                saga.saga_id,
                lease.until_ms - now_ms()
            )));
        }
        saga.state = SagaState::Resolved;
        saga.retry_at_ms = None;
        saga.lease = None;
        saga.resolution = Some(reason);
        Ok(())
    })
    .await?;
    warn!(saga_id = %saga.saga_id, resolution = ?saga.resolution, "operator resolved the saga by hand");
    Ok(super::without_card_token(saga))
}
