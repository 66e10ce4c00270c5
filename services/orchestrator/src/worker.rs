//! Takes saga work items from the work-queue stream that every replica shares, through one
//! durable pull consumer, and lets the engine advance each saga.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;
use bikestore_contracts::backoff::Backoff;
use bikestore_contracts::sagas::SagaId;
use bikestore_contracts::{Subjects, headers};
use bikestore_runtime::Shutdown;
use bikestore_runtime::consumer::{self, Disposition, DurableConsumer};
use tracing::warn;

use crate::engine::{Advance, Engine};

/// The durable consumer every replica shares.
const CONSUMER: &str = "orchestrator";
/// A work item is redelivered while a step waits for its retry, so its delivery limit is
/// high, but bounded: past it the item becomes a dead letter and the recovery scan re-queues
/// the saga.
const MAX_DELIVER: i64 = 1_000;
/// How long a delivery may run, beyond the saga lease, before the item is offered again: a
/// worker that died mid-saga lets its item come back about when its lease runs out, and a
/// worker still driving keeps the lease, so the item's second delivery waits for it.
const ACK_WAIT_BEYOND_LEASE: Duration = Duration::from_secs(2);
/// How many work items may wait to be offered again at once: every saga waiting for a retry
/// has one (and, under versions before the takeover check, every saga an intake drove had a
/// watch item waiting out its driver's lease, some ten thousand at a thousand sagas a second);
/// a bound near the handlers' count would stall the queue behind them.
const MAX_WAITING_ITEMS: i64 = 1 << 20;
/// How long a work item waits after its saga failed to advance (the store has already ridden
/// out an outage for a while by then): from 1 s, doubling with the item's deliveries up to 5 s.
const FAILURE_RETRY: Backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(5));

/// Advances sagas from the work queue until shutdown.
pub async fn run(
    engine: Arc<Engine>,
    jetstream: jetstream::Context,
    subjects: Subjects,
    workers: usize,
    lease: Duration,
    shutdown: Shutdown,
) {
    let definition = DurableConsumer {
        max_deliver: MAX_DELIVER,
        ack_wait: lease + ACK_WAIT_BEYOND_LEASE,
        max_ack_pending: Some(MAX_WAITING_ITEMS),
        concurrency: workers.max(1),
        ..DurableConsumer::new(subjects.saga_work_stream(), CONSUMER)
    };
    consumer::run(jetstream, definition, shutdown, move |message: jetstream::Message| {
        let engine = Arc::clone(&engine);
        async move {
            crate::metrics::work_item_picked(&message);
            // The saga ID is the subject's last token.
            let Some(saga_id) = message.subject.rsplit('.').next().map(|id| SagaId(id.to_owned())) else {
                return Disposition::Ack;
            };
            // A watch item (queued by an older version) before its driver's lease runs out:
            // not worth a read of the record.
            if let Some(left) = watch_left(&message) {
                return Disposition::Retry(left);
            }
            match engine.advance(&saga_id).await {
                Ok(Advance::Settled) => Disposition::Ack,
                Ok(Advance::RetryAfter(delay) | Advance::Unknown(delay)) => Disposition::Retry(delay),
                Err(error) => {
                    warn!(saga_id = %saga_id, error = %bikestore_runtime::error_chain(&error), "saga could not advance; will retry");
                    let deliveries = message.info().map_or(1, |info| info.delivered);
                    Disposition::Retry(FAILURE_RETRY.delay(u32::try_from(deliveries).unwrap_or(u32::MAX)))
                }
            }
        }
    })
    .await;
}

/// How long a watch item's driver still holds its lease, if it does ([`headers::WATCH_UNTIL`]);
/// an unreadable header counts as run out, so the record is read.
fn watch_left(message: &jetstream::Message) -> Option<Duration> {
    let until_ms: i64 = message
        .headers
        .as_ref()?
        .get(headers::WATCH_UNTIL)?
        .as_str()
        .parse()
        .ok()?;
    let left_ms = until_ms - bikestore_runtime::now_ms();
    (left_ms > 0).then(|| Duration::from_millis(left_ms as u64) + crate::engine::lease::MARGIN)
}
