//! `resolve_saga`: ends a saga by hand, with a reason.

use bikestore_contracts::sagas::{ResolveSaga, SagaRecord, SagaState};
use bikestore_runtime::{Ctx, now_ms};
use tracing::warn;

use super::change_saga;
use crate::Orchestrator;
use crate::error::OrchestratorError;

/// Marks an unfinished (typically stuck) saga resolved; the reason is kept in the record. A
/// saga that already ended, or whose record may not show every step done (a lease is held,
/// or the driver that took it over has not caught up), is a conflict.
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
        // A driver that holds the lease, or held it and stopped, may have done steps the
        // record does not show (the engine writes when the saga's course changes), as may the
        // driver before one that took over and has not caught up: ending the saga then would
        // leave their effects behind a record that says it was handled by hand.
        if let Some(lease) = &saga.lease {
            let left_ms = lease.until_ms - now_ms();
            return Err(OrchestratorError::Conflict(if left_ms > 0 {
                format!(
                    "saga {} is being driven now (its lease runs {left_ms} ms more); resolve it once it is stuck or has ended",
                    saga.saga_id
                )
            } else {
                format!(
                    "saga {}'s driver stopped without letting go, so its record may not show every step done; another driver takes it over shortly: resolve it once it is stuck",
                    saga.saga_id
                )
            }));
        }
        // Going forward, such a saga asks its step again until it answers, and never gives
        // up; a stuck compensation is the operator's as always.
        if saga.may_be_behind && saga.state == SagaState::Running {
            return Err(OrchestratorError::Conflict(format!(
                "saga {} was taken over from a driver that may have done steps its record does not show, and no step has answered since to say how far it got; bring its participants back, and it goes on by itself",
                saga.saga_id
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
