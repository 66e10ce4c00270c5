//! `retry_saga`: drives a stuck or failed saga again.

use bikestore_contracts::sagas::{RetrySaga, SagaRecord, SagaState};
use bikestore_runtime::Ctx;
use tracing::info;

use super::change_saga;
use crate::Orchestrator;
use crate::error::OrchestratorError;

/// A stuck saga resumes its compensation from the step that failed. A failed saga (fully
/// compensated) runs again from its first step as a new run, whose requests carry new
/// idempotency keys. Any other state is a conflict.
pub async fn handle(
    ctx: Ctx<Orchestrator>,
    request: RetrySaga,
) -> Result<SagaRecord, OrchestratorError> {
    let engine = &ctx.engine;
    let saga = change_saga(&ctx, &request.saga_id, |saga| {
        match saga.state {
            SagaState::Stuck => {
                saga.state = SagaState::Compensating;
            }
            SagaState::Failed => {
                let definition = engine
                    .definition(&saga.definition, saga.version)
                    .ok_or_else(|| {
                        OrchestratorError::Conflict(format!(
                            "this orchestrator does not know {} version {}",
                            saga.definition, saga.version
                        ))
                    })?;
                (definition.reset)(&mut saga.payload);
                saga.state = SagaState::Running;
                saga.step = 0;
                saga.completed_steps = 0;
                saga.run += 1;
                saga.error = None;
                saga.uncertain_step = None;
                // A new run's keys are new: no participant has done any of its steps.
                saga.may_be_behind = false;
            }
            other => {
                return Err(OrchestratorError::Conflict(format!(
                    "saga {} is {other:?}; only stuck or failed sagas can be retried",
                    saga.saga_id
                )));
            }
        }
        saga.attempt = 0;
        saga.retry_at_ms = None;
        saga.lease = None;
        Ok(())
    })
    .await?;
    ctx.engine
        .enqueue(&saga.saga_id, &format!("retry-{}", saga.updated_at_ms))
        .await?;
    info!(saga_id = %saga.saga_id, "operator retried the saga");
    Ok(super::without_card_token(saga))
}
