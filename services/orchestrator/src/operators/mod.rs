//! Operator endpoints: list sagas, show one, retry a stuck or failed one, resolve one by hand,
//! statistics, and the system's health for admins. Every saga record they reply with leaves out the card token.

mod get_saga;
mod list_sagas;
mod resolve_saga;
mod retry_saga;
mod saga_stats;
mod system_health;

use bikestore_contracts::sagas::{SagaId, SagaPayload, SagaRecord};
use bikestore_runtime::{RuntimeError, ServiceHost, now_ms};

use crate::Orchestrator;
use crate::engine::store::Written;
use crate::error::OrchestratorError;

/// Registers the operator endpoints.
pub async fn register(host: &mut ServiceHost<Orchestrator>) -> Result<(), RuntimeError> {
    host.endpoint(get_saga::handle).await?;
    host.endpoint(list_sagas::handle).await?;
    host.endpoint(retry_saga::handle).await?;
    host.endpoint(resolve_saga::handle).await?;
    host.endpoint(saga_stats::handle).await?;
    host.endpoint(system_health::handle).await?;
    Ok(())
}

/// The record as operators' replies carry it: without the place-order saga's card token, which
/// only the saga's own steps use. The token stays in the KV record, which only the orchestrator
/// and operators' tools read; no reply, and so no console, ever carries it.
pub fn without_card_token(mut saga: SagaRecord) -> SagaRecord {
    if let SagaPayload::PlaceOrder(place_order) = &mut saga.payload {
        place_order.card_token = String::new();
    }
    saga
}

/// Applies an operator's change to a saga with a compare-and-set: the change is refused, not
/// lost, if the engine moved the saga meanwhile.
pub async fn change_saga(
    orchestrator: &Orchestrator,
    saga_id: &SagaId,
    change: impl FnOnce(&mut SagaRecord) -> Result<(), OrchestratorError>,
) -> Result<SagaRecord, OrchestratorError> {
    let (mut saga, revision) = orchestrator
        .engine
        .store()
        .load(saga_id)
        .await?
        .ok_or_else(|| OrchestratorError::SagaNotFound(saga_id.clone()))?;
    change(&mut saga)?;
    saga.updated_at_ms = now_ms();
    match orchestrator.engine.store().update(&saga, revision).await? {
        Written::Revision(_) => Ok(saga),
        Written::Lost => Err(OrchestratorError::Conflict(format!(
            "saga {saga_id} changed while this request was applied; look again and retry"
        ))),
    }
}
