//! `saga_stats`: counts per state and duration percentiles of ended sagas, of one store or all,
//! read from the saga index's counters (percentiles within about 1%, see [`crate::index::query`]).

use bikestore_contracts::sagas::{SagaStats, SagaStatsReport};
use bikestore_runtime::Ctx;

use crate::Orchestrator;
use crate::error::OrchestratorError;

/// Answers from the index once it has every change made before the request.
pub async fn handle(
    ctx: Ctx<Orchestrator>,
    request: SagaStats,
) -> Result<SagaStatsReport, OrchestratorError> {
    ctx.index.caught_up().await?;
    let stats = ctx.index.stats(request.store_id).await?;
    Ok(SagaStatsReport {
        counts: stats.counts,
        duration_ms: stats.duration_ms,
    })
}
