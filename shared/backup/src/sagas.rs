//! The saga records part: read through a KV watch from the start of the backup until every
//! database is copied, so that it holds each saga as it was before the copies began, and each
//! saga created while they were copied as its intake created it (see [`crate::plan`]).
//!
//! The watch first delivers every record's latest revision, then every change as it happens.
//! Until it has caught up (an entry with nothing after it) the backup waits; from the moment
//! the first database copy begins, a change to a saga already held is ignored (the held one is
//! older than every copy), and a saga first seen then is kept as created
//! ([`as_created`]). Once the copies are done the watch is read up to the bucket's last
//! revision as of then, and what comes after is left out: no copy knows those sagas.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use async_nats::jetstream::{self, kv};
use bikestore_contracts::Subjects;
use bikestore_contracts::sagas::SagaRecord;
use bikestore_orchestrator::engine::record::as_created;
use bikestore_orchestrator::engine::store::{SagaStore, Written};
use futures::{StreamExt, TryStreamExt};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::error::BackupError;
use crate::manifest::{Part, sum_file};
use crate::progress::{Progress, Unit};

/// The saga records file in a backup folder.
pub const SAGAS_FILE: &str = "sagas.jsonl";

/// How long the watch may go without an entry while it catches up, or while it reads up to
/// the end of the copies, before the backup gives up.
const CATCH_UP_STALL: Duration = Duration::from_secs(30);

/// How many records a restore writes at once.
const RESTORE_CONCURRENCY: usize = 32;

/// Where the backup stands, as the watch's reader sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before any database copy: keep each saga's latest revision.
    BeforeCopies,
    /// Copying the databases: keep sagas first seen now as created.
    Copying,
    /// Copies done: read up to this revision, then stop.
    Done(u64),
}

/// What the watch gathered.
#[derive(Debug, Default)]
struct Gathered {
    records: BTreeMap<String, SagaRecord>,
    restarted: u64,
    last_revision: u64,
}

/// The saga records being gathered while the backup copies the databases.
pub struct SagaCapture {
    phase: watch::Sender<Phase>,
    reader: JoinHandle<Result<Gathered, BackupError>>,
    bucket_stream: String,
}

impl SagaCapture {
    /// Starts the watch and returns once it has caught up with every record.
    pub async fn start(
        jetstream: &jetstream::Context,
        subjects: &Subjects,
    ) -> Result<SagaCapture, BackupError> {
        let bucket_name = subjects.sagas_bucket();
        let bucket_stream = Subjects::key_value_stream(&bucket_name);
        let bucket = jetstream
            .get_key_value(&bucket_name)
            .await
            .map_err(|error| {
                BackupError::nats(
                    format!("open the saga bucket {bucket_name} (has the orchestrator run?)"),
                    error,
                )
            })?;
        let total = crate::streams::state(jetstream, &bucket_stream)
            .await?
            .messages;
        let entries = bucket
            .watch_with_history(">")
            .await
            .map_err(|error| BackupError::nats("watch the saga bucket", error))?;
        let (phase, phase_seen) = watch::channel(Phase::BeforeCopies);
        let (caught_up, caught_up_seen) = oneshot::channel();
        let reader = tokio::spawn(gather(entries, phase_seen, total, caught_up));
        match tokio::time::timeout(CATCH_UP_STALL, caught_up_seen).await {
            Ok(Ok(())) => Ok(SagaCapture {
                phase,
                reader,
                bucket_stream,
            }),
            // The reader ended first: its error says why.
            Ok(Err(_)) => Err(match reader.await {
                Ok(Err(error)) => error,
                _ => BackupError::Unusable("the saga bucket's watch ended early".to_owned()),
            }),
            Err(_) => {
                reader.abort();
                Err(BackupError::Unusable(format!(
                    "the saga bucket's watch did not catch up within {} s",
                    CATCH_UP_STALL.as_secs()
                )))
            }
        }
    }

    /// Marks the start of the database copies: call it before the first.
    pub fn copies_begin(&self) {
        self.phase.send_replace(Phase::Copying);
    }

    /// Ends the watch once every database is copied, and writes the records into `dir`.
    pub async fn finish(
        self,
        jetstream: &jetstream::Context,
        dir: &Path,
    ) -> Result<Part, BackupError> {
        let last_revision = crate::streams::state(jetstream, &self.bucket_stream)
            .await?
            .last_sequence;
        self.phase.send_replace(Phase::Done(last_revision));
        let gathered = self
            .reader
            .await
            .map_err(|error| BackupError::Unusable(format!("the saga watch failed: {error}")))??;
        let path = dir.join(SAGAS_FILE);
        let result = tokio::task::spawn_blocking({
            let path = path.clone();
            move || write_records(&path, &gathered.records).map(|()| gathered)
        })
        .await
        .map_err(|error| BackupError::Unusable(format!("write the saga records: {error}")))?;
        let gathered = result?;
        Ok(Part::Sagas {
            file: sum_file(dir, SAGAS_FILE)?,
            records: gathered.records.len() as u64,
            restarted: gathered.restarted,
            last_revision,
        })
    }
}

/// Reads the watch until told the copies are done and it has read up to their end.
async fn gather(
    mut entries: kv::Watch,
    mut phase: watch::Receiver<Phase>,
    total: u64,
    caught_up: oneshot::Sender<()>,
) -> Result<Gathered, BackupError> {
    let mut gathered = Gathered::default();
    let mut progress = Progress::start("sagas", Unit::Records, total);
    let mut caught_up = Some(caught_up);
    if total == 0 {
        caught_up.take().map(|signal| signal.send(()));
    }
    loop {
        if let Phase::Done(last) = *phase.borrow()
            && gathered.last_revision >= last
        {
            break;
        }
        let entry = tokio::select! {
            entry = tokio::time::timeout(CATCH_UP_STALL, entries.next()) => match entry {
                Ok(entry) => entry,
                // Quiet while the databases are copied: nothing changed. Quiet once they are
                // done, with revisions still to come: the bucket stopped answering.
                Err(_) if matches!(*phase.borrow(), Phase::Done(_)) => {
                    return Err(BackupError::Unusable(format!(
                        "the saga bucket's watch went quiet for {} s before reaching the end of the copies",
                        CATCH_UP_STALL.as_secs()
                    )));
                }
                Err(_) => continue,
            },
            changed = phase.changed() => {
                if changed.is_err() {
                    return Err(BackupError::Unusable("the backup ended before the saga records were written".to_owned()));
                }
                continue;
            }
        };
        let entry = match entry {
            Some(Ok(entry)) => entry,
            Some(Err(error)) => return Err(BackupError::nats("watch the saga bucket", error)),
            None => {
                return Err(BackupError::Unusable(
                    "the saga bucket's watch ended".to_owned(),
                ));
            }
        };
        // The phase as of now, after the entry came: an entry written after the copies began
        // arrives after the change that marks their start.
        let now = *phase.borrow();
        if let Phase::Done(last) = now
            && entry.revision > last
        {
            break;
        }
        gathered.last_revision = gathered.last_revision.max(entry.revision);
        keep(&mut gathered, &entry, now == Phase::BeforeCopies)?;
        if caught_up.is_some() {
            progress.set(gathered.records.len() as u64);
            if entry.delta == 0 {
                caught_up.take().map(|signal| signal.send(()));
            }
        }
    }
    progress.finish(&format!(
        "{} records ({} created during the copies, kept as created)",
        gathered.records.len(),
        gathered.restarted
    ));
    Ok(gathered)
}

/// Takes in one entry: before the copies, as the saga's latest state; during them, only a
/// saga not held yet, as created.
fn keep(
    gathered: &mut Gathered,
    entry: &kv::Entry,
    before_copies: bool,
) -> Result<(), BackupError> {
    let removed = matches!(
        entry.operation,
        kv::Operation::Delete | kv::Operation::Purge
    );
    if before_copies {
        if removed {
            gathered.records.remove(&entry.key);
        } else {
            gathered.records.insert(entry.key.clone(), decode(entry)?);
        }
    } else if !removed && !gathered.records.contains_key(&entry.key) {
        gathered
            .records
            .insert(entry.key.clone(), as_created(&decode(entry)?));
        gathered.restarted += 1;
    }
    Ok(())
}

fn decode(entry: &kv::Entry) -> Result<SagaRecord, BackupError> {
    serde_json::from_slice(&entry.value).map_err(|error| {
        BackupError::Unusable(format!(
            "saga {} (revision {}) is not a record this build reads: {error}",
            entry.key, entry.revision
        ))
    })
}

fn write_records(path: &Path, records: &BTreeMap<String, SagaRecord>) -> Result<(), BackupError> {
    let file = std::fs::File::create_new(path).map_err(|error| BackupError::io(path, error))?;
    let mut writer = std::io::BufWriter::new(file);
    for record in records.values() {
        serde_json::to_writer(&mut writer, record)
            .map_err(|error| BackupError::io(path, error.into()))?;
        writer
            .write_all(b"\n")
            .map_err(|error| BackupError::io(path, error))?;
    }
    let file = writer
        .into_inner()
        .map_err(|error| BackupError::io(path, error.into_error()))?;
    file.sync_all()
        .map_err(|error| BackupError::io(path, error))
}

/// Writes the backup's saga records into the (empty) saga bucket, creating it with `replicas`
/// copies; a saga already there means the server was not empty.
pub async fn restore(
    jetstream: &jetstream::Context,
    subjects: &Subjects,
    replicas: usize,
    records: Vec<SagaRecord>,
) -> Result<(), BackupError> {
    let store = SagaStore::open(jetstream, subjects, replicas).await?;
    let mut progress = Progress::start("sagas", Unit::Records, records.len() as u64);
    let mut written = futures::stream::iter(records.into_iter().map(|mut record| {
        let store = store.clone();
        // A lease names a driver of the system the backup was taken from; none of them
        // drives this one, and recovery skips a saga whose lease has not run out yet.
        record.lease = None;
        // Its participants' copies may be ahead of it by steps no record shows (a driver
        // writes when a saga's course changes, not at every step): whoever drives it first
        // asks those steps again and must not give one up for want of an answer.
        if !record.state.is_terminal() {
            record.may_be_behind = true;
        }
        async move {
            match store.create(&record).await? {
                Written::Revision(_) => Ok(()),
                Written::Lost => Err(BackupError::Unusable(format!(
                    "saga {} is already in the bucket: restore onto an empty nats-server",
                    record.saga_id
                ))),
            }
        }
    }))
    .buffer_unordered(RESTORE_CONCURRENCY);
    let mut count = 0;
    while written.try_next().await?.is_some() {
        count += 1;
        progress.set(count);
    }
    progress.finish(&format!("{count} records"));
    Ok(())
}
