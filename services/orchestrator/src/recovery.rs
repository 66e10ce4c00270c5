//! Recovery: at start and then every interval, every saga that is neither ended nor stuck and
//! has not changed for a while is queued again, so a saga whose work item was lost (a crash
//! between creating the record and queueing it, a dead letter) is never left behind.

use std::sync::Arc;
use std::time::Duration;

use bikestore_runtime::{Shutdown, now_ms};
use tracing::{info, warn};

use crate::engine::Engine;

/// Re-queues stale sagas until shutdown; at start every unfinished saga counts as stale.
pub async fn run(
    engine: Arc<Engine>,
    interval: Duration,
    stale_after: Duration,
    mut shutdown: Shutdown,
) {
    let mut threshold = Duration::ZERO;
    loop {
        match requeue_stale(&engine, threshold).await {
            Ok(0) => {}
            Ok(count) => info!(count, "recovery queued sagas nobody was driving"),
            Err(error) => {
                warn!(error = %bikestore_runtime::error_chain(&error), "recovery scan failed; will retry")
            }
        }
        threshold = stale_after;
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = shutdown.wait() => return,
        }
    }
}

/// Queues every unfinished saga unchanged for `threshold`; returns how many.
pub async fn requeue_stale(
    engine: &Engine,
    threshold: Duration,
) -> Result<usize, crate::OrchestratorError> {
    let now = now_ms();
    let mut queued = 0;
    for saga_id in engine.store().ids().await? {
        let Some((saga, _)) = engine.store().load(&saga_id).await? else {
            continue;
        };
        let idle_ms = now - saga.updated_at_ms;
        let driven = saga
            .lease
            .as_ref()
            .is_some_and(|lease| lease.until_ms > now);
        if driven
            || saga.state.is_terminal()
            || saga.state == bikestore_contracts::sagas::SagaState::Stuck
            || idle_ms < threshold.as_millis() as i64
        {
            continue;
        }
        // Keyed by the record's last change, so scans repeated before it moves queue it once.
        engine
            .enqueue(&saga_id, &format!("recover-{}", saga.updated_at_ms))
            .await?;
        queued += 1;
    }
    Ok(queued)
}
