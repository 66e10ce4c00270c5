//! Keeps the index up to date: watches the whole `sagas` bucket from the revision after the
//! one applied last, and applies whatever has arrived as one transaction, so catching up with a
//! million records takes a few thousand commits, not a million.
//!
//! At each start of the watch the bucket's stream is checked against the stored position: a
//! stream created at another time (the bucket was deleted and made anew) or one whose last
//! revision is behind the applied one (restored from an older copy) empties the index, which
//! is then filled from the start. A broken watch (a server restart) is started again from
//! where the index stands.

use std::time::Duration;

use async_nats::jetstream::kv;
use bikestore_runtime::{Shutdown, error_chain};
use futures::StreamExt;
use tracing::{info, warn};

use super::{Change, SagaIndex};
use crate::error::OrchestratorError;

/// The most changes one batch holds (the writer may join two batches in one transaction).
const MAX_BATCH: usize = 4_096;

/// How long to wait before watching again after the watch broke.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Feeds the index until shutdown.
pub async fn run(index: std::sync::Arc<SagaIndex>, mut shutdown: Shutdown) {
    loop {
        tokio::select! {
            followed = follow(&index) => {
                if let Err(error) = followed {
                    warn!(error = %error_chain(&error), applied = index.applied(), "the saga index lost its watch of the bucket; watching again");
                }
            }
            _ = shutdown.wait() => return,
        }
        tokio::select! {
            _ = tokio::time::sleep(RETRY_AFTER) => {}
            _ = shutdown.wait() => return,
        }
    }
}

/// Checks the index against the bucket's stream, then applies the bucket's changes as they
/// come; returns only when the watch fails.
async fn follow(index: &SagaIndex) -> Result<(), OrchestratorError> {
    let info = index
        .bucket
        .stream
        .get_info()
        .await
        .map_err(|error| OrchestratorError::nats("read the saga bucket's stream", error))?;
    let stream_created = info.created.unix_timestamp_nanos().to_string();
    let position = index.position().await?;
    let last = info.state.last_sequence;
    let mut applied = position.revision;
    if position.stream_created != stream_created || position.revision > last {
        if position.revision > 0 {
            info!(
                applied = position.revision,
                bucket_last = last,
                "the saga bucket is not the one indexed; rebuilding the saga index"
            );
        }
        index.reset(stream_created).await?;
        applied = 0;
    }
    // Queries may rely on the revision from now on.
    index.checked(applied);
    let from = applied + 1;
    info!(from, bucket_last = last, path = %index.path().display(), "the saga index follows the bucket");
    let watch = index
        .bucket
        .watch_all_from_revision(from)
        .await
        .map_err(|error| OrchestratorError::nats("watch the saga bucket", error))?;
    // Reading the watch and applying to SQLite overlap: one batch is applied (on the writer
    // thread) while the next gathers, at most two waiting between them.
    let (ready, mut waiting) = tokio::sync::mpsc::channel::<Vec<Change>>(2);
    let reading = async move {
        let mut batches = watch.ready_chunks(MAX_BATCH);
        while let Some(batch) = batches.next().await {
            let mut changes = Vec::with_capacity(batch.len());
            let mut broken = None;
            for entry in batch {
                match entry {
                    Ok(entry) => changes.push(change(entry)),
                    Err(error) => {
                        broken = Some(error);
                        break;
                    }
                }
            }
            if ready.send(changes).await.is_err() {
                break;
            }
            if let Some(error) = broken {
                return Err(OrchestratorError::nats("watch the saga bucket", error));
            }
        }
        Err::<(), _>(OrchestratorError::nats(
            "watch the saga bucket",
            std::io::Error::other("the watch ended"),
        ))
    };
    let applying = async {
        while let Some(changes) = waiting.recv().await {
            index.apply(changes).await?;
        }
        Ok::<(), OrchestratorError>(())
    };
    // The first error (the watch broke or ended, or a write failed) ends both; what was
    // applied is recorded, and the next watch starts after it.
    tokio::try_join!(reading, applying).map(|_| ())
}

/// The change an entry of the watch makes.
fn change(entry: kv::Entry) -> Change {
    let value = match entry.operation {
        kv::Operation::Put => Some(entry.value),
        kv::Operation::Delete | kv::Operation::Purge => None,
    };
    Change {
        key: entry.key,
        revision: entry.revision,
        value,
    }
}
