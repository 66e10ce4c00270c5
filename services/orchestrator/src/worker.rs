//! Takes saga work items from the work-queue stream that every replica shares, through one
//! durable pull consumer, and lets the engine advance each saga.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;
use bikestore_contracts::Subjects;
use bikestore_contracts::sagas::SagaId;
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
/// How long a work item waits after an unexpected failure.
const FAILURE_DELAY: Duration = Duration::from_secs(1);

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
        concurrency: workers.max(1),
        ..DurableConsumer::new(subjects.saga_work_stream(), CONSUMER)
    };
    consumer::run(jetstream, definition, shutdown, move |message: jetstream::Message| {
        let engine = Arc::clone(&engine);
        async move {
            // The saga ID is the subject's last token.
            let Some(saga_id) = message.subject.rsplit('.').next().map(|id| SagaId(id.to_owned())) else {
                return Disposition::Ack;
            };
            match engine.advance(&saga_id).await {
                Ok(Advance::Settled) => Disposition::Ack,
                Ok(Advance::RetryAfter(delay) | Advance::Unknown(delay)) => Disposition::Retry(delay),
                Err(error) => {
                    warn!(saga_id = %saga_id, error = %bikestore_runtime::error_chain(&error), "saga could not advance; will retry");
                    Disposition::Retry(FAILURE_DELAY)
                }
            }
        }
    })
    .await;
}
