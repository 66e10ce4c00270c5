//! Intake: the commands that start sagas. Each answers at once with the saga ID, or, when the
//! caller asks to wait, once the saga has ended. The same idempotency key always names the
//! same saga, so a retried intake never starts a second one.
//!
//! A caller who waits has its saga driven right here, by the replica that created the record
//! holding its lease: no re-read of the record and no progress subscription, because the
//! engine hands back the final record. If this replica dies mid-saga, its lease runs out and
//! every replica's takeover check (`recovery::queue_abandoned`) finds the saga in its index
//! and queues it, so another takes it over within about a lease. A saga that must wait for a
//! retry, fails to advance, or outlives the caller's wait is handed to the work queue, and the
//! intake then follows its progress until the wait ends.

mod cancel_order;
mod place_order;
mod transfer_stock;

use std::time::Duration;

use bikestore_codec::ContentType;
use bikestore_contracts::sagas::{
    SagaId, SagaPayload, SagaProgressed, SagaRecord, SagaStarted, SagaState,
};
use bikestore_runtime::{RequestMeta, RuntimeError, ServiceHost, now_ms};
use futures::StreamExt;
use sha2::{Digest, Sha256};
use tokio::time::Instant;
use tracing::{info, warn};

use crate::Orchestrator;
use crate::engine::store::Written;
use crate::engine::{Advance, Driver};
use crate::error::OrchestratorError;

/// The longest a caller may wait for a saga's outcome.
const MAX_WAIT: Duration = Duration::from_secs(120);

/// Registers the intake endpoints.
pub async fn register(host: &mut ServiceHost<Orchestrator>) -> Result<(), RuntimeError> {
    host.endpoint(place_order::handle).await?;
    host.endpoint(cancel_order::handle).await?;
    host.endpoint(transfer_stock::handle).await?;
    Ok(())
}

/// The saga ID for a request: a digest of the definition and idempotency key when there is a
/// key (so a repeat finds the same saga), a fresh ULID otherwise.
pub fn saga_id_for(definition: &str, meta: &RequestMeta) -> SagaId {
    match &meta.idempotency_key {
        Some(key) => {
            let digest = Sha256::new()
                .chain_update(definition.as_bytes())
                .chain_update([0])
                .chain_update(key.as_bytes())
                .finalize();
            SagaId(
                digest
                    .iter()
                    .take(16)
                    .map(|byte| format!("{byte:02x}"))
                    .collect(),
            )
        }
        None => SagaId(ulid::Ulid::new().to_string()),
    }
}

/// A new record, at its first step, under the newest version of `definition`, continuing the
/// trace of the request being served.
pub fn new_record(
    orchestrator: &Orchestrator,
    saga_id: SagaId,
    definition: &str,
    payload: SagaPayload,
) -> Result<SagaRecord, OrchestratorError> {
    let version = orchestrator
        .engine
        .latest(definition)
        .map(|definition| definition.version)
        .ok_or_else(|| {
            OrchestratorError::Conflict(format!("this orchestrator has no {definition} saga"))
        })?;
    Ok(SagaRecord {
        traceparent: bikestore_runtime::trace::current(),
        ..crate::engine::record::at_first_step(saga_id, definition, version, payload, now_ms())
    })
}

/// The answer to a repeat of an intake under the same idempotency key, if its saga exists:
/// the saga it started (followed to its end if the caller waits), without redoing the work
/// done before the record was created (a card tokenized, an order read).
pub async fn repeated(
    orchestrator: &Orchestrator,
    meta: &RequestMeta,
    saga_id: &SagaId,
    wait_ms: Option<u64>,
) -> Result<Option<SagaStarted>, OrchestratorError> {
    if meta.idempotency_key.is_none() {
        return Ok(None);
    }
    // A replica behind the record's creation answers `None`; the create that follows then
    // loses its compare-and-set and finds the saga all the same.
    let Some((existing, _)) = orchestrator
        .engine
        .store()
        .load_from_any_replica(saga_id)
        .await?
    else {
        return Ok(None);
    };
    requeue_if_undriven(orchestrator, &existing).await?;
    if wait_ms.is_none() {
        return Ok(Some(started(&existing)));
    }
    start_and_reply(orchestrator, existing, wait_ms)
        .await
        .map(Some)
}

/// Queues again a saga found by a repeated intake if it is unfinished and no driver holds it.
/// A repeat usually means the first answer was lost, and maybe the work item with it (the
/// first intake died before queueing it, or the queueing failed); keyed by the record's last
/// change, so repeats queue it once.
async fn requeue_if_undriven(
    orchestrator: &Orchestrator,
    existing: &SagaRecord,
) -> Result<(), OrchestratorError> {
    let now = now_ms();
    let undriven = existing
        .lease
        .as_ref()
        .is_none_or(|lease| lease.until_ms <= now);
    if ended(existing.state) || !undriven {
        return Ok(());
    }
    orchestrator
        .engine
        .enqueue(
            &existing.saga_id,
            &format!("repeat-{}", existing.updated_at_ms),
        )
        .await
}

/// Starts `record` (or finds the saga its ID already names) and answers, after waiting for
/// the outcome if asked to.
pub async fn start_and_reply(
    orchestrator: &Orchestrator,
    record: SagaRecord,
    wait_ms: Option<u64>,
) -> Result<SagaStarted, OrchestratorError> {
    let Some(wait_ms) = wait_ms else {
        let (current, created) = orchestrator.engine.start(record).await?;
        if !created {
            requeue_if_undriven(orchestrator, &current).await?;
        }
        return Ok(started(&current));
    };
    let deadline = Instant::now() + Duration::from_millis(wait_ms).min(MAX_WAIT);
    let saga_id = record.saga_id.clone();
    let driver = orchestrator.engine.driver();
    let mut record = record;
    record.lease = Some(driver.fresh(now_ms()));
    match orchestrator.engine.store().create(&record).await? {
        Written::Revision(revision) => {
            info!(saga_id = %saga_id, definition = %record.definition, "saga started");
            drive(orchestrator, record, revision, &driver, deadline).await
        }
        // Someone else started it (a repeat of the request): follow it.
        Written::Lost => {
            if let Some((existing, _)) = orchestrator.engine.store().load(&saga_id).await? {
                requeue_if_undriven(orchestrator, &existing).await?;
            }
            follow(orchestrator, &saga_id, deadline).await
        }
    }
}

/// Drives a saga this intake has just created until it ends, or hands it to the work queue.
async fn drive(
    orchestrator: &Orchestrator,
    record: SagaRecord,
    revision: u64,
    driver: &Driver,
    deadline: Instant,
) -> Result<SagaStarted, OrchestratorError> {
    let saga_id = record.saga_id.clone();
    let driven = tokio::time::timeout_at(
        deadline,
        orchestrator
            .engine
            .advance_from(&saga_id, Some((record, revision)), driver),
    )
    .await;
    match driven {
        Ok(Ok((Advance::Settled, Some(current)))) => return Ok(started(&current)),
        Ok(Ok((Advance::Settled, None))) => {
            return Err(OrchestratorError::SagaNotFound(saga_id));
        }
        // A step waits for its retry: the work queue brings it back when it is due.
        Ok(Ok((Advance::RetryAfter(_) | Advance::Unknown(_), _))) => {}
        Ok(Err(error)) => {
            warn!(saga_id = %saga_id, error = %bikestore_runtime::error_chain(&error), "saga could not advance at intake; queueing it");
        }
        // The caller's wait is over; the next driver repeats the steps since the record was
        // last written, answered from the participants' inboxes.
        Err(_elapsed) => {}
    }
    // Subscribe before queueing, so no progress event can slip past.
    let progress = subscribe_progress(orchestrator, &saga_id).await?;
    orchestrator.engine.enqueue(&saga_id, "handoff").await?;
    wait_for_end(orchestrator, &saga_id, progress, deadline).await
}

/// Follows a saga someone else drives until it ends or the wait is over.
async fn follow(
    orchestrator: &Orchestrator,
    saga_id: &SagaId,
    deadline: Instant,
) -> Result<SagaStarted, OrchestratorError> {
    let progress = subscribe_progress(orchestrator, saga_id).await?;
    wait_for_end(orchestrator, saga_id, progress, deadline).await
}

async fn subscribe_progress(
    orchestrator: &Orchestrator,
    saga_id: &SagaId,
) -> Result<async_nats::Subscriber, OrchestratorError> {
    orchestrator
        .caller
        .client()
        .subscribe(
            orchestrator
                .subjects
                .live_saga_progress_any_store(&saga_id.0),
        )
        .await
        .map_err(|error| OrchestratorError::nats("follow saga progress", error))
}

/// Reads the record (after subscribing, so nothing is missed), then waits for a progress event
/// saying it ended, and answers with the record as it then is.
async fn wait_for_end(
    orchestrator: &Orchestrator,
    saga_id: &SagaId,
    mut progress: async_nats::Subscriber,
    deadline: Instant,
) -> Result<SagaStarted, OrchestratorError> {
    let (mut current, _) = orchestrator
        .engine
        .store()
        .load(saga_id)
        .await?
        .ok_or_else(|| OrchestratorError::SagaNotFound(saga_id.clone()))?;
    while !ended(current.state) {
        let next = tokio::time::timeout_at(deadline, progress.next()).await;
        let Ok(Some(message)) = next else { break };
        let Ok(event) = bikestore_codec::decode::<SagaProgressed>(
            ContentType::Json,
            None,
            &message.payload,
            usize::MAX,
        ) else {
            continue;
        };
        if ended(event.state)
            && let Some((record, _)) = orchestrator.engine.store().load(saga_id).await?
        {
            current = record;
        }
    }
    // Progress events are fire-and-forget: if the last one was lost, the record still tells
    // the truth.
    if !ended(current.state)
        && let Some((record, _)) = orchestrator.engine.store().load(saga_id).await?
    {
        current = record;
    }
    Ok(started(&current))
}

/// Whether a caller waiting for the outcome can stop waiting.
fn ended(state: SagaState) -> bool {
    state.is_terminal() || state == SagaState::Stuck
}

/// The intake reply for a record.
pub fn started(record: &SagaRecord) -> SagaStarted {
    let order_id = match &record.payload {
        SagaPayload::PlaceOrder(saga) => saga.order_id,
        SagaPayload::CancelOrder(saga) => Some(saga.order_id),
        SagaPayload::TransferStock(_) => None,
    };
    SagaStarted {
        saga_id: record.saga_id.clone(),
        state: record.state,
        error: record.error.clone(),
        order_id,
    }
}
