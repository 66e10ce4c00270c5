//! `list_sagas`: sagas by state, definition, age and store, newest first, without card tokens.
//!
//! The saga index picks the IDs; the records themselves are then read from the bucket, a few
//! at once. A record that changed after the index was read is given as it is now, unless it no
//! longer matches the state or store asked for.

use bikestore_contracts::sagas::{ListSagas, SagaList};
use bikestore_runtime::{Ctx, now_ms};
use futures::{StreamExt, TryStreamExt};

use crate::Orchestrator;
use crate::error::OrchestratorError;
use crate::index::query::Filter;

/// The most sagas one answer holds.
const MAX_LIMIT: u32 = 1_000;

/// How many records are read from the bucket at once.
const READS_AT_ONCE: usize = 32;

/// Lists from the index once it has every change made before the request.
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
    let filter = Filter {
        state: request.state,
        store_id: request.store_id,
        definition: request.definition.clone(),
        created_by_ms: request.older_than_ms.map(|age| now_ms() - age),
        limit,
    };
    ctx.index.caught_up().await?;
    let saga_ids = ctx.index.list(filter).await?;
    let store = ctx.engine.store();
    let records: Vec<_> = futures::stream::iter(saga_ids)
        .map(|saga_id| async move { store.load(&saga_id).await })
        .buffered(READS_AT_ONCE)
        .try_collect()
        .await?;
    let sagas = records
        .into_iter()
        .flatten()
        .map(|(saga, _)| saga)
        .filter(|saga| request.state.is_none_or(|state| saga.state == state))
        .filter(|saga| {
            request
                .store_id
                .is_none_or(|store_id| saga.payload.store_id() == Some(store_id))
        })
        .map(super::without_card_token)
        .collect();
    Ok(SagaList { sagas })
}
