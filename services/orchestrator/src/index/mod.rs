//! The saga index: a projection of the `sagas` bucket into a SQLite file in the orchestrator's
//! data folder, so operators' lists and statistics answer from indexes and counters instead of
//! reading every record.
//!
//! The bucket stays the truth: the index is a cache, rebuilt from the bucket's stream whenever
//! it is missing, behind, or from another bucket. [`feed`] keeps it up to date from a watch of
//! the bucket, [`query`] answers from it, [`retention`] removes ended sagas kept long enough.
//! A query first waits until the index has applied every change the bucket held when the query
//! arrived ([`SagaIndex::caught_up`]), so a caller sees its own writes.
//!
//! Every replica keeps its own index. Replicas sharing a data folder (tests, several on one
//! machine) each hold a lock on one file: the first free of `saga-index.db`,
//! `saga-index-1.db`, ...

mod apply;
pub mod feed;
pub mod query;
pub mod retention;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use async_nats::jetstream::kv;
use bikestore_storage::{Database, DatabaseOptions, StorageError};
use tokio::sync::watch;

use crate::error::OrchestratorError;

pub use apply::{Change, Position, STATES, bucket_duration, duration_bucket, state_name};

/// How long a query waits for the index to apply the changes it must see.
const CATCH_UP_PATIENCE: Duration = Duration::from_secs(2);

/// SQLite's page cache of the writer, in KiB (SQLite's default is 2 MiB): the two indexes
/// take inserts all over, and with the default cache a catch-up of a million records spent most
/// of its time reading back pages it had just written.
const WRITER_CACHE_KIB: i64 = 64 * 1024;

/// How many index files one data folder may hold for replicas running side by side.
const MAX_FILES: usize = 64;

/// The index of one orchestrator replica.
pub struct SagaIndex {
    database: Database,
    bucket: kv::Store,
    /// The bucket revision applied last, once the feed has checked that the index is of the
    /// bucket's current stream (`None` before: the stored revision may be of another one).
    applied: watch::Sender<Option<u64>>,
    /// Held while the index is open: no other replica writes this file.
    _lock: File,
}

impl std::fmt::Debug for SagaIndex {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SagaIndex")
            .field("path", &self.database.path())
            .finish_non_exhaustive()
    }
}

impl SagaIndex {
    /// Opens (creating if needed) the first index file under `folder` that no other replica
    /// holds, for `bucket`.
    pub async fn open(folder: &Path, bucket: kv::Store) -> Result<SagaIndex, OrchestratorError> {
        let folder = folder.to_owned();
        let (database, lock) = tokio::task::spawn_blocking(move || open_free_file(&folder))
            .await
            .map_err(|error| {
                OrchestratorError::Index(StorageError::JobPanicked(error.to_string()))
            })??;
        database
            .write(|connection| {
                connection
                    .pragma_update(None, "cache_size", -WRITER_CACHE_KIB)
                    .map_err(StorageError::from)
            })
            .await?;
        let (applied, _) = watch::channel(None);
        Ok(SagaIndex {
            database,
            bucket,
            applied,
            _lock: lock,
        })
    }

    /// The index file.
    pub fn path(&self) -> &Path {
        self.database.path()
    }

    /// The bucket revision applied last; 0 until the feed has checked the index against the
    /// bucket.
    pub fn applied(&self) -> u64 {
        self.applied.borrow().unwrap_or(0)
    }

    /// Marks the index as checked against the bucket, at `revision`.
    fn checked(&self, revision: u64) {
        self.applied.send_replace(Some(revision));
    }

    /// Where the index stands, as stored.
    pub async fn position(&self) -> Result<Position, OrchestratorError> {
        Ok(self
            .database
            .read(|connection| apply::position(connection).map_err(StorageError::from))
            .await?)
    }

    /// Waits until the index has applied every change the bucket holds now; after
    /// [`CATCH_UP_PATIENCE`], fails as unavailable, saying how far it got.
    pub async fn caught_up(&self) -> Result<(), OrchestratorError> {
        let info =
            self.bucket.stream.get_info().await.map_err(|error| {
                OrchestratorError::nats("read the saga bucket's position", error)
            })?;
        let target = info.state.last_sequence;
        let mut applied = self.applied.subscribe();
        let reached = tokio::time::timeout(
            CATCH_UP_PATIENCE,
            applied.wait_for(|revision| revision.is_some_and(|revision| revision >= target)),
        )
        .await;
        match reached {
            Ok(Ok(_)) => Ok(()),
            _ => Err(OrchestratorError::IndexCatchingUp {
                applied: self.applied(),
                target,
            }),
        }
    }

    /// Empties the index, to be filled from the start of the stream created at
    /// `stream_created`.
    async fn reset(&self, stream_created: String) -> Result<(), OrchestratorError> {
        self.database
            .write(move |connection| {
                apply::reset(connection, &stream_created).map_err(StorageError::from)
            })
            .await?;
        Ok(())
    }

    /// Applies a batch of changes in one transaction, then tells waiting queries.
    async fn apply(&self, changes: Vec<Change>) -> Result<(), OrchestratorError> {
        let Some(last) = changes.last().map(|change| change.revision) else {
            return Ok(());
        };
        self.database
            .write(move |connection| apply::apply(connection, &changes).map_err(StorageError::from))
            .await?;
        self.applied.send_replace(Some(last));
        Ok(())
    }

    /// Runs a read on one of the index's read-only connections.
    async fn read<T, F>(&self, work: F) -> Result<T, OrchestratorError>
    where
        F: FnOnce(&rusqlite::Connection) -> rusqlite::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        Ok(self
            .database
            .read(move |connection| work(connection).map_err(StorageError::from))
            .await?)
    }
}

/// The `index`th candidate file under `folder`.
fn file_name(folder: &Path, index: usize) -> PathBuf {
    match index {
        0 => folder.join("saga-index.db"),
        _ => folder.join(format!("saga-index-{index}.db")),
    }
}

/// Locks and opens the first index file nobody holds.
fn open_free_file(folder: &Path) -> Result<(Database, File), OrchestratorError> {
    std::fs::create_dir_all(folder).map_err(|error| OrchestratorError::IndexFile {
        path: folder.to_owned(),
        source: error,
    })?;
    for index in 0..MAX_FILES {
        let path = file_name(folder, index);
        let lock_path = path.with_extension("lock");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|error| OrchestratorError::IndexFile {
                path: lock_path.clone(),
                source: error,
            })?;
        if lock.try_lock().is_err() {
            continue;
        }
        let database = Database::open(&path, apply::MIGRATIONS, &DatabaseOptions::default())?;
        return Ok((database, lock));
    }
    Err(OrchestratorError::IndexFile {
        path: folder.to_owned(),
        source: std::io::Error::other(format!(
            "all {MAX_FILES} saga index files are held by other replicas"
        )),
    })
}
