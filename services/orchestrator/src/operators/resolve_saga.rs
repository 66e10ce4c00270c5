//! `resolve_saga`: ends a saga by hand, with a reason.

use bikestore_contracts::sagas::{ResolveSaga, SagaRecord, SagaState};
use bikestore_runtime::Ctx;
use tracing::warn;

use super::change_saga;
use crate::Orchestrator;
use crate::error::OrchestratorError;

/// Marks an unfinished (typically stuck) saga resolved; the reason is kept in the record. A
/// saga that already ended is a conflict.
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
