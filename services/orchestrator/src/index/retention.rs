//! Retention: ended sagas (completed, failed, resolved) unchanged for the configured time are
//! removed from the bucket; running, compensating and stuck ones never are, however old.
//!
//! The index names the candidates and their revisions; each is purged with that revision
//! expected, so a saga that moved since (an operator retried a failed one) is left alone. The
//! watch then drops the removed ones from the index. Replicas sweeping at once are harmless:
//! the second purge of a saga expects a revision that is gone and is refused.
//!
//! A removed saga leaves a purge marker (a few dozen bytes) in the bucket's stream, and its ID
//! is free again: an intake repeated with the same idempotency key after the retention time
//! starts a new saga.

use std::sync::Arc;
use std::time::Duration;

use bikestore_runtime::{Shutdown, error_chain, now_ms};
use tracing::{debug, info, warn};

use super::SagaIndex;
use super::query::Ended;
use crate::error::OrchestratorError;

/// How many candidates one page holds.
const PAGE: usize = 500;

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    /// Sagas removed.
    pub removed: u64,
    /// Candidates that changed or were removed by someone else meanwhile, left alone.
    pub skipped: u64,
}

/// Sweeps every `interval` until shutdown, removing ended sagas unchanged for `keep`.
pub async fn run(
    index: Arc<SagaIndex>,
    keep: Duration,
    interval: Duration,
    mut shutdown: Shutdown,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = shutdown.wait() => return,
        }
        match sweep(&index, keep).await {
            Ok(swept) if swept.removed > 0 || swept.skipped > 0 => info!(
                removed = swept.removed,
                skipped = swept.skipped,
                keep_ms = keep.as_millis() as u64,
                "retention removed ended sagas"
            ),
            Ok(_) => {}
            Err(error) => {
                warn!(error = %error_chain(&error), "retention could not sweep; the next sweep tries again")
            }
        }
    }
}

/// Removes every ended saga unchanged for `keep`, as the index has them once caught up.
pub async fn sweep(index: &SagaIndex, keep: Duration) -> Result<Swept, OrchestratorError> {
    index.caught_up().await?;
    let cutoff_ms = now_ms().saturating_sub(keep.as_millis().min(i64::MAX as u128) as i64);
    let mut swept = Swept::default();
    let mut after = None;
    loop {
        let page = index.ended_before(cutoff_ms, after.clone(), PAGE).await?;
        for ended in &page {
            if remove(index, ended).await? {
                swept.removed += 1;
            } else {
                swept.skipped += 1;
            }
        }
        match page.last() {
            Some(last) if page.len() == PAGE => {
                after = Some((last.after.0, last.after.1, last.saga_id.clone()));
            }
            _ => return Ok(swept),
        }
    }
}

/// Purges one saga if it is still at the indexed revision; `false` if it moved or is gone.
async fn remove(index: &SagaIndex, ended: &Ended) -> Result<bool, OrchestratorError> {
    let purged = index
        .bucket
        .purge_expect_revision(ended.saga_id.0.as_str(), Some(ended.revision))
        .await;
    match purged {
        Ok(()) => Ok(true),
        Err(error) => {
            if bikestore_runtime::outage::is_lost_race(&error) {
                debug!(saga_id = %ended.saga_id, "retention left a saga that changed since it was indexed");
                return Ok(false);
            }
            Err(OrchestratorError::nats(
                format!("remove ended saga {}", ended.saga_id),
                error,
            ))
        }
    }
}
