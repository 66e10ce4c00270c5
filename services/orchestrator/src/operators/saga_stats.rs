//! `saga_stats`: counts per state and duration percentiles of ended sagas, of one store or all.

use bikestore_contracts::sagas::{SagaRecord, SagaState, SagaStats, SagaStatsReport, StateCount};
use bikestore_runtime::Ctx;

use crate::Orchestrator;
use crate::error::OrchestratorError;

const STATES: [SagaState; 6] = [
    SagaState::Running,
    SagaState::Compensating,
    SagaState::Completed,
    SagaState::Failed,
    SagaState::Stuck,
    SagaState::Resolved,
];

/// How many of `sagas` are in each state.
pub fn counts(sagas: &[SagaRecord]) -> Vec<StateCount> {
    STATES
        .into_iter()
        .map(|state| StateCount {
            state,
            count: sagas.iter().filter(|saga| saga.state == state).count() as u64,
        })
        .collect()
}

/// Reads every record and summarises.
pub async fn handle(
    ctx: Ctx<Orchestrator>,
    request: SagaStats,
) -> Result<SagaStatsReport, OrchestratorError> {
    let mut sagas = ctx.engine.store().all().await?;
    if let Some(store_id) = request.store_id {
        sagas.retain(|saga| saga.payload.store_id() == Some(store_id));
    }
    let counts = counts(&sagas);
    let mut durations: Vec<i64> = sagas
        .iter()
        .filter(|saga| saga.state.is_terminal())
        .map(|saga| saga.updated_at_ms - saga.created_at_ms)
        .collect();
    durations.sort_unstable();
    let percentile = |fraction: f64| -> i64 {
        if durations.is_empty() {
            return 0;
        }
        let index = ((durations.len() as f64 - 1.0) * fraction).round() as usize;
        durations.get(index).copied().unwrap_or(0)
    };
    Ok(SagaStatsReport {
        counts,
        duration_ms: [
            percentile(0.5),
            percentile(0.9),
            percentile(0.99),
            percentile(1.0),
        ],
    })
}
