//! The outbox relay: publishes committed events to JetStream, at least once, de-duplicated.
//!
//! It takes the outbox rows the database's writer hands it as they commit, or reads the oldest
//! pending rows when the hand-over cannot vouch for them (see
//! [`Database::take_committed_outbox`](bikestore_storage::Database::take_committed_outbox)).
//! It publishes each with its message ID in `Nats-Msg-Id` and its outbox sequence in
//! `Bikestore-Outbox-Sequence` (so that a restore can tell the events newer than its copy of
//! the database), waits for the acknowledgements, and only then marks the rows relayed: the
//! database's writer removes them with its next batch of commands (or, when no command comes,
//! the relay's idle wake-up asks it to), so a published event costs no transaction of its own,
//! and the relay reads past them meanwhile. If the process dies in between, the next start
//! reads the same rows and publishes them again, and JetStream drops the duplicates inside its
//! duplicate window. It wakes when a command commits, and also every second; it reads the
//! outbox at least once a second, busy or idle, so that rows left by another process on the
//! same database are not stranded.
//!
//! A failed publish or acknowledgement (a restarted server, a stream electing a new leader,
//! an acknowledgement lost with its outcome unknown) leaves the batch in the outbox; the relay
//! waits its backoff, reads the outbox and publishes the batch again, whose message IDs make a
//! repeat of what landed a duplicate JetStream drops. So nothing is lost and nothing is
//! published twice.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;
use async_nats::{HeaderMap, HeaderValue};
use bikestore_contracts::backoff::Backoff;
use bikestore_storage::StorageError;
use bikestore_storage::outbox;
use tokio::sync::Notify;
use tokio::time::Instant;
use tracing::{debug, error, warn};

use crate::commands::ServiceDb;
use crate::error::{RuntimeError, error_chain};
use crate::header_name;
use crate::outage;
use crate::shutdown::Shutdown;

const BATCH: usize = 256;
const IDLE_POLL: Duration = Duration::from_secs(1);
/// How long to wait after a failed publish: from 50 ms, doubling up to 5 s.
const RETRY: Backoff = Backoff::new(Duration::from_millis(50), Duration::from_secs(5));

/// Publishes `db`'s outbox until shutdown, then flushes what is left (bounded by `grace`).
pub async fn run(
    db: Arc<ServiceDb>,
    jetstream: jetstream::Context,
    mut shutdown: Shutdown,
    grace: Duration,
) {
    let ready: Arc<Notify> = db.outbox_ready();
    let mut failures: u32 = 0;
    let mut removal_asked_up_to = 0;
    // Rows another process wrote, or a batch that failed halfway, reach no hand-over: the
    // outbox is read after a failure, and at least every `IDLE_POLL` even while commands keep
    // waking the relay (they need not add a row that would show the gap).
    let mut next_read = Instant::now();
    loop {
        let source = if Instant::now() >= next_read {
            next_read = Instant::now() + IDLE_POLL;
            Source::Outbox
        } else {
            Source::HandedOver
        };
        match catch_up(&db, &jetstream, source).await {
            Ok(()) => failures = 0,
            Err(error) => {
                // It never gives up: an event dropped is lost for good. An outage (a restarted
                // server, a stream electing a leader) passes; anything else needs a human.
                if outage::is_transient(&error) {
                    warn!(error = %error_chain(&error), "outbox relay could not publish; will retry");
                } else {
                    error!(error = %error_chain(&error), "outbox relay could not publish, and waiting will not help; will retry");
                }
                failures = failures.saturating_add(1);
                next_read = Instant::now();
                tokio::select! {
                    _ = tokio::time::sleep(RETRY.delay(failures)) => {}
                    _ = shutdown.wait() => break,
                }
                continue;
            }
        }
        tokio::select! {
            _ = ready.notified() => {}
            _ = tokio::time::sleep(IDLE_POLL) => {
                let relayed_up_to = db.database().relayed_up_to();
                if relayed_up_to > removal_asked_up_to {
                    remove_relayed(&db).await;
                    removal_asked_up_to = relayed_up_to;
                }
            }
            _ = shutdown.wait() => break,
        }
    }
    let flushed = async {
        flush(&db, &jetstream).await?;
        remove_relayed(&db).await;
        Ok::<(), RuntimeError>(())
    };
    match tokio::time::timeout(grace, flushed).await {
        Ok(Ok(())) => debug!("outbox flushed at shutdown"),
        Ok(Err(error)) => {
            warn!(error = %error_chain(&error), "outbox not flushed at shutdown; it will be at next start")
        }
        Err(_) => warn!("outbox flush timed out at shutdown; it will finish at next start"),
    }
}

/// Has the writer remove the rows marked relayed now rather than with the next command: the
/// relay is idle, and a row left in the outbox is published again after a crash.
async fn remove_relayed(db: &ServiceDb) {
    if let Err(error) = db.database().write(|_| Ok::<(), StorageError>(())).await {
        warn!(error = %error_chain(&error), "could not remove relayed outbox rows; will retry");
    }
}

/// Where a batch's rows come from.
#[derive(Clone, Copy)]
enum Source {
    /// The rows the writer handed over as they committed, unless they cannot be vouched for.
    HandedOver,
    /// The outbox itself.
    Outbox,
}

/// Publishes every pending row, batch by batch, until the outbox is empty.
pub async fn flush(db: &ServiceDb, jetstream: &jetstream::Context) -> Result<(), RuntimeError> {
    while publish_batch(db, jetstream, Source::Outbox).await? > 0 {}
    Ok(())
}

/// Publishes what is pending, like [`flush`], but stops after a batch shorter than the limit
/// instead of looking once more to find nothing: that batch was everything pending when it
/// was taken, and a row committed since has woken the relay again (the wake-up is kept until
/// the relay waits), so nothing is left behind. Only the first batch comes from `source`:
/// after a full one the hand-over says whether the rest must be read.
async fn catch_up(
    db: &ServiceDb,
    jetstream: &jetstream::Context,
    source: Source,
) -> Result<(), RuntimeError> {
    let mut source = source;
    while publish_batch(db, jetstream, source).await? == BATCH {
        source = Source::HandedOver;
    }
    Ok(())
}

/// Publishes the oldest pending rows (up to [`BATCH`]), waits for their acknowledgements and
/// marks them relayed; returns how many there were.
async fn publish_batch(
    db: &ServiceDb,
    jetstream: &jetstream::Context,
    source: Source,
) -> Result<usize, RuntimeError> {
    let relayed_up_to = db.database().relayed_up_to();
    let handed_over = match source {
        Source::HandedOver => db.database().take_committed_outbox(relayed_up_to, BATCH),
        Source::Outbox => None,
    };
    let pending = match handed_over {
        Some(rows) => rows,
        None => {
            db.query_by_key(|connection| outbox::pending_after(connection, relayed_up_to, BATCH))
                .await?
        }
    };
    crate::metrics::outbox_oldest_unrelayed(
        db.service(),
        pending.first().map(|row| row.created_at_ms),
    );
    if pending.is_empty() {
        return Ok(0);
    }
    let count = pending.len();
    let last_sequence = pending.last().map(|message| message.sequence);
    let mut acknowledgements = Vec::with_capacity(count);
    for message in pending {
        let mut message_headers = HeaderMap::new();
        message_headers.insert(header_name::NATS_MSG_ID, message.message_id.as_str());
        message_headers.insert(header_name::CONTENT_TYPE, message.content_type.as_str());
        // Formatted straight into the header's own string, with no intermediate copy.
        message_headers.insert(
            header_name::SCHEMA_VERSION,
            HeaderValue::from(message.schema_version),
        );
        // A restore reads it to find events newer than its copy of the database.
        message_headers.insert(
            header_name::OUTBOX_SEQUENCE,
            HeaderValue::from(message.sequence),
        );
        if let Some(traceparent) = &message.traceparent {
            message_headers.insert(header_name::TRACEPARENT, traceparent.as_str());
        }
        let acknowledgement = jetstream
            .publish_with_headers(message.subject, message_headers, message.payload.into())
            .await
            .map_err(|error| RuntimeError::nats("publish an outbox event", error))?;
        acknowledgements.push(acknowledgement);
    }
    for acknowledgement in acknowledgements {
        acknowledgement
            .await
            .map_err(|error| RuntimeError::nats("await an outbox acknowledgement", error))?;
    }
    if let Some(last_sequence) = last_sequence {
        db.database().mark_relayed(last_sequence);
    }
    Ok(count)
}
