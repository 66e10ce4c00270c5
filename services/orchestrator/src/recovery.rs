//! Recovery: at start and then every interval, every saga that is neither ended nor stuck and
//! has not changed for a while is queued again, so a saga whose work item was lost (a crash
//! between creating the record and queueing it, a dead letter) is never left behind.
//!
//! A scan reads many records at once, and leaves to the next scan a record it cannot read
//! soon (an outage) or at all (a record this version cannot decode): read one at a time, each
//! riding out an outage, a scan of thousands of records took longer than the stalls it
//! exists to end, and one unreadable record stopped every scan before the records after it.
//! Each scan also counts the stuck sagas, for the `bikestore_sagas_stuck` gauge.
//!
//! The saga index names the candidates (running or compensating, unchanged for the threshold)
//! and counts the stuck ones, once it has applied every change the bucket held at the scan's
//! start; only the candidates are read from the bucket, and checked again there. A scan that
//! finds the index catching up (a rebuild at start) fails and is tried at the next interval,
//! the threshold kept at zero until a scan has run.
//!
//! Beside it, a takeover check asks the index several times a lease for sagas whose driver's
//! lease ran out ([`queue_abandoned`]): the driver died mid-saga, so the saga is queued about
//! one lease after its last write, without a work item per saga waiting for that.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bikestore_contracts::sagas::{SagaId, SagaState};
use bikestore_runtime::{Shutdown, now_ms};
use futures::StreamExt;
use tracing::{info, warn};

use crate::engine::Engine;
use crate::engine::lease::MARGIN;
use crate::index::SagaIndex;

/// How many records a scan reads at once.
const READS_AT_ONCE: usize = 32;

/// How long a scan waits for one record before leaving it to the next scan: long enough for
/// a read under load; a read waiting out an outage (an election takes seconds, a read to a
/// node that died times out after 5) holds up this scan no longer.
const READ_PATIENCE: Duration = Duration::from_secs(2);

/// What one scan did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Scan {
    /// Sagas queued again.
    pub queued: usize,
    /// Records that could not be read or queued now; the next scan tries them again.
    pub left: usize,
    /// Sagas stuck, per definition.
    pub stuck: BTreeMap<String, u64>,
}

/// Re-queues stale sagas until shutdown; at start every unfinished saga counts as stale.
pub async fn run(
    engine: Arc<Engine>,
    index: Arc<SagaIndex>,
    interval: Duration,
    stale_after: Duration,
    mut shutdown: Shutdown,
) {
    let mut threshold = Duration::ZERO;
    loop {
        match requeue_stale(&engine, &index, threshold).await {
            Ok(Scan {
                queued,
                left,
                stuck,
            }) => {
                threshold = stale_after;
                crate::metrics::stuck_now(&stuck);
                if queued > 0 {
                    info!(count = queued, "recovery queued sagas nobody was driving");
                }
                if left > 0 {
                    info!(
                        count = left,
                        "recovery left sagas it could not read or queue to the next scan"
                    );
                }
            }
            Err(error) => {
                warn!(error = %bikestore_runtime::error_chain(&error), "recovery scan failed; will retry")
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = shutdown.wait() => return,
        }
    }
}

/// Queues every unfinished saga unchanged for `threshold`; fails only when the sagas cannot
/// be listed.
pub async fn requeue_stale(
    engine: &Engine,
    index: &SagaIndex,
    threshold: Duration,
) -> Result<Scan, crate::OrchestratorError> {
    index.caught_up().await?;
    let now = now_ms();
    let stuck = index.stuck().await?;
    let saga_ids = index
        .unfinished_since(now - threshold.as_millis() as i64)
        .await?;
    let scan = Scan {
        stuck,
        ..Scan::default()
    };
    Ok(requeue_each(engine, saga_ids, now, threshold, scan).await)
}

/// How often the index is asked for sagas whose driver's lease ran out: a twentieth of the
/// lease, within 100 ms to 1 s, so a dead driver's saga waits little more than its lease.
pub fn takeover_interval(lease: Duration) -> Duration {
    (lease / 20).clamp(Duration::from_millis(100), Duration::from_secs(1))
}

/// Takes over, every `every` until shutdown, the sagas whose driver's lease ran out (see
/// [`queue_abandoned`]).
pub async fn take_over_abandoned(
    engine: Arc<Engine>,
    index: Arc<SagaIndex>,
    every: Duration,
    mut shutdown: Shutdown,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.wait() => return,
        }
        match queue_abandoned(&engine, &index).await {
            Ok(Scan { queued, .. }) if queued > 0 => {
                info!(count = queued, "queued sagas whose driver's lease ran out");
            }
            Ok(_) => {}
            Err(error) => {
                warn!(error = %bikestore_runtime::error_chain(&error), "could not look for sagas whose driver's lease ran out; will retry")
            }
        }
    }
}

/// Queues every unfinished saga whose driver's lease ended more than [`MARGIN`] ago (clocks
/// differ) and that nobody has taken since, as read again from the bucket: an intake or
/// worker that died mid-saga. This is what takes such a saga over within about one lease, not
/// at the next recovery scan; the index names the candidates, so it reads no other record.
pub async fn queue_abandoned(
    engine: &Engine,
    index: &SagaIndex,
) -> Result<Scan, crate::OrchestratorError> {
    let now = now_ms();
    let saga_ids = index.abandoned(now - MARGIN.as_millis() as i64).await?;
    Ok(requeue_each(engine, saga_ids, now, Duration::ZERO, Scan::default()).await)
}

async fn requeue_each(
    engine: &Engine,
    saga_ids: Vec<SagaId>,
    now: i64,
    threshold: Duration,
    scan: Scan,
) -> Scan {
    futures::stream::iter(saga_ids)
        .map(|saga_id| requeue_if_stale(engine, saga_id, now, threshold))
        .buffer_unordered(READS_AT_ONCE)
        .fold(scan, |mut scan, checked| async move {
            match checked {
                Checked::Queued => scan.queued += 1,
                Checked::Left => scan.left += 1,
                Checked::Fine => {}
            }
            scan
        })
        .await
}

/// What a scan found of one saga.
enum Checked {
    /// Driven, ended, stuck (counted from the index) or recently changed: nothing to do.
    Fine,
    /// Stale, and queued again.
    Queued,
    /// Unreadable now, or not queued: left to the next scan.
    Left,
}

async fn requeue_if_stale(
    engine: &Engine,
    saga_id: SagaId,
    now: i64,
    threshold: Duration,
) -> Checked {
    let saga = match tokio::time::timeout(READ_PATIENCE, engine.store().load(&saga_id)).await {
        Ok(Ok(Some((saga, _)))) => saga,
        Ok(Ok(None)) => return Checked::Fine,
        Ok(Err(error)) => {
            warn!(saga_id = %saga_id, error = %bikestore_runtime::error_chain(&error), "recovery could not read a saga; the next scan tries again");
            return Checked::Left;
        }
        // An outage: every record read now would wait for it.
        Err(_elapsed) => return Checked::Left,
    };
    let idle_ms = now - saga.updated_at_ms;
    let driven = saga
        .lease
        .as_ref()
        .is_some_and(|lease| lease.until_ms > now);
    if driven
        || saga.state.is_terminal()
        || saga.state == SagaState::Stuck
        || idle_ms < threshold.as_millis() as i64
    {
        return Checked::Fine;
    }
    // Keyed by the record's last change, so scans repeated before it moves queue it once.
    match engine
        .enqueue(&saga_id, &format!("recover-{}", saga.updated_at_ms))
        .await
    {
        Ok(()) => Checked::Queued,
        Err(error) => {
            warn!(saga_id = %saga_id, error = %bikestore_runtime::error_chain(&error), "recovery could not queue a saga; the next scan tries again");
            Checked::Left
        }
    }
}
