//! `get_saga`: one saga record with its history.

use bikestore_contracts::sagas::{GetSaga, SagaRecord};
use bikestore_runtime::Ctx;

use crate::Orchestrator;
use crate::error::OrchestratorError;

/// Reads the record; an unknown ID is `not_found`.
pub async fn handle(
    ctx: Ctx<Orchestrator>,
    request: GetSaga,
) -> Result<SagaRecord, OrchestratorError> {
    ctx.engine
        .store()
        .load(&request.saga_id)
        .await?
        .map(|(record, _)| super::without_card_token(record))
        .ok_or(OrchestratorError::SagaNotFound(request.saga_id))
}
