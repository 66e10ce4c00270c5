//! `list_sagas`: sagas by state, definition, age and store, newest first, without card tokens.

use bikestore_contracts::sagas::{ListSagas, SagaList};
use bikestore_runtime::{Ctx, now_ms};

use crate::Orchestrator;
use crate::error::OrchestratorError;

/// The most sagas one answer holds.
const MAX_LIMIT: u32 = 1_000;

/// Reads every record and filters; the bucket is the index.
pub async fn handle(
    ctx: Ctx<Orchestrator>,
    request: ListSagas,
) -> Result<SagaList, OrchestratorError> {
    let limit = request.limit.unwrap_or(100);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(OrchestratorError::invalid(
            "limit",
            format!("{limit} is not between 1 and {MAX_LIMIT}"),
        ));
    }
    let now = now_ms();
    let mut sagas: Vec<_> = ctx
        .engine
        .store()
        .all()
        .await?
        .into_iter()
        .filter(|saga| request.state.is_none_or(|state| saga.state == state))
        .filter(|saga| {
            request
                .store_id
                .is_none_or(|store_id| saga.payload.store_id() == Some(store_id))
        })
        .filter(|saga| {
            request
                .definition
                .as_deref()
                .is_none_or(|name| saga.definition == name)
        })
        .filter(|saga| {
            request
                .older_than_ms
                .is_none_or(|age| now - saga.created_at_ms >= age)
        })
        .collect();
    sagas.sort_by_key(|saga| std::cmp::Reverse(saga.created_at_ms));
    sagas.truncate(limit as usize);
    let sagas = sagas.into_iter().map(super::without_card_token).collect();
    Ok(SagaList { sagas })
}
