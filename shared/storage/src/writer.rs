//! The single writer thread, with group commit.
//!
//! Jobs queue on a bounded channel. The thread takes every job waiting (up to a batch limit),
//! opens one `BEGIN IMMEDIATE` transaction, runs each job in its own savepoint, commits once,
//! and only then sends each job its result. One commit, and so one fsync, serves a whole batch,
//! which is what lets many concurrent commands share the cost of durability. The transaction
//! and savepoint statements are prepared once and cached, not parsed again for every job.
//!
//! Each batch also removes the outbox rows the relay has published since the last one (see
//! [`RelayedUpTo`]), so a published event costs no transaction of its own, and hands the rows
//! it wrote to the relay once committed ([`crate::committed`]).

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::thread::JoinHandle;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use crate::committed::{self, CommittedOutbox};
use crate::error::StorageError;

const QUEUE_CAPACITY: usize = 1024;

trait Job: Send {
    /// Runs the work inside a savepoint, keeping its result until the commit is known.
    fn run(&mut self, connection: &Connection);
    /// Sends the kept result, or the commit failure.
    fn finish(self: Box<Self>, commit: Result<(), &StorageError>);
}

struct TypedJob<F, T, E> {
    work: Option<F>,
    result: Option<Result<T, E>>,
    reply: oneshot::Sender<Result<T, E>>,
}

impl<F, T, E> Job for TypedJob<F, T, E>
where
    F: FnOnce(&Connection) -> Result<T, E> + Send,
    T: Send,
    E: From<StorageError> + Send,
{
    fn run(&mut self, connection: &Connection) {
        let Some(work) = self.work.take() else {
            return;
        };
        if let Err(error) = control(connection, "SAVEPOINT job") {
            self.result = Some(Err(E::from(StorageError::Sqlite(error))));
            return;
        }
        let rows_before = committed::written_so_far();
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| work(connection)));
        let result = match outcome {
            Ok(result) => result,
            Err(panic) => Err(E::from(StorageError::JobPanicked(panic_message(&panic)))),
        };
        let close = if result.is_ok() {
            control(connection, "RELEASE job")
        } else {
            control(connection, "ROLLBACK TO job").and_then(|()| control(connection, "RELEASE job"))
        };
        let result = match close {
            Ok(()) => result,
            Err(error) => Err(E::from(StorageError::Sqlite(error))),
        };
        if result.is_err() {
            // Its rows are gone, or (a savepoint that would not close) of unknown fate: either
            // way not handed over; a row that did commit leaves a gap, and the relay reads.
            committed::forget_written_since(rows_before);
        }
        self.result = Some(result);
    }

    fn finish(self: Box<Self>, commit: Result<(), &StorageError>) {
        let result = match (commit, self.result) {
            (Ok(()), Some(result)) => result,
            (Err(error), _) => Err(E::from(clone_error(error))),
            (Ok(()), None) => Err(E::from(StorageError::WriterStopped)),
        };
        // The caller may have gone away (a cancelled request); its result is then moot.
        let _ = self.reply.send(result);
    }
}

pub(crate) struct Writer {
    sender: mpsc::Sender<Box<dyn Job>>,
    thread: Option<JoinHandle<()>>,
    relayed: RelayedUpTo,
    committed: CommittedOutbox,
}

/// The highest outbox sequence whose row, and every row before it, the relay has published
/// and JetStream acknowledged: the writer removes them with its next batch.
#[derive(Clone, Default)]
pub(crate) struct RelayedUpTo(Arc<AtomicI64>);

impl RelayedUpTo {
    pub(crate) fn raise(&self, sequence: i64) {
        self.0.fetch_max(sequence, Ordering::AcqRel);
    }

    pub(crate) fn get(&self) -> i64 {
        self.0.load(Ordering::Acquire)
    }
}

impl Writer {
    pub(crate) fn start(connection: Connection, max_batch: usize) -> Writer {
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let relayed = RelayedUpTo::default();
        let committed = CommittedOutbox::new();
        let outbox = Outbox {
            relayed: relayed.clone(),
            committed: committed.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || write_loop(connection, receiver, max_batch.max(1), outbox))
            .ok();
        Writer {
            sender,
            thread,
            relayed,
            committed,
        }
    }

    /// What the relay has published; removed from the outbox with the next batch.
    pub(crate) fn relayed(&self) -> &RelayedUpTo {
        &self.relayed
    }

    /// The outbox rows committed and not yet taken by the relay.
    pub(crate) fn committed(&self) -> &CommittedOutbox {
        &self.committed
    }

    pub(crate) async fn submit<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StorageError> + Send + 'static,
    {
        let (reply, result) = oneshot::channel();
        let job = Box::new(TypedJob {
            work: Some(work),
            result: None,
            reply,
        });
        if self.thread.is_none() || self.sender.send(job).await.is_err() {
            return Err(E::from(StorageError::WriterStopped));
        }
        result
            .await
            .unwrap_or_else(|_| Err(E::from(StorageError::WriterStopped)))
    }

    pub(crate) async fn stop(mut self) {
        let Writer { sender, thread, .. } = &mut self;
        drop(std::mem::replace(sender, mpsc::channel(1).0));
        if let Some(thread) = thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

/// What the writer shares with the relay about the outbox.
struct Outbox {
    relayed: RelayedUpTo,
    committed: CommittedOutbox,
}

fn write_loop(
    connection: Connection,
    mut receiver: mpsc::Receiver<Box<dyn Job>>,
    max_batch: usize,
    outbox: Outbox,
) {
    committed::keep_written_rows();
    let mut batch: Vec<Box<dyn Job>> = Vec::with_capacity(max_batch);
    let mut removed_up_to = 0;
    while let Some(first) = receiver.blocking_recv() {
        batch.push(first);
        while batch.len() < max_batch {
            match receiver.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let relayed_up_to = outbox.relayed.get();
        let removing = (relayed_up_to > removed_up_to).then_some(relayed_up_to);
        let commit = run_batch(&connection, &mut batch, removing);
        match commit {
            Ok(removed) => {
                // Before the jobs hear of their commit: a job's caller wakes the relay.
                committed::hand_over_written(&outbox.committed);
                if let Some(removed) = removed {
                    removed_up_to = removed;
                }
            }
            Err(_) => committed::forget_written_since(0),
        }
        let commit = commit.map(|_| ());
        for job in batch.drain(..) {
            job.finish(commit.as_ref().map(|_| ()));
        }
    }
}

/// Runs the batch in one transaction, with the removal of the outbox rows relayed up to
/// `remove_relayed_up_to`; answers up to where rows were removed, once committed.
fn run_batch(
    connection: &Connection,
    batch: &mut [Box<dyn Job>],
    remove_relayed_up_to: Option<i64>,
) -> Result<Option<i64>, StorageError> {
    control(connection, "BEGIN IMMEDIATE")?;
    for job in batch.iter_mut() {
        job.run(connection);
    }
    let removed = remove_relayed_up_to.and_then(|sequence| remove_relayed(connection, sequence));
    if let Err(error) = control(connection, "COMMIT") {
        let _ = connection.execute_batch("ROLLBACK");
        return Err(StorageError::Sqlite(error));
    }
    Ok(removed)
}

/// Removes the outbox rows up to `sequence` in a savepoint of their own: a failure undoes only
/// that, leaving the rows to a later batch while the jobs' work stands.
fn remove_relayed(connection: &Connection, sequence: i64) -> Option<i64> {
    control(connection, "SAVEPOINT relayed").ok()?;
    if crate::outbox::remove_up_to(connection, sequence).is_ok() {
        return control(connection, "RELEASE relayed")
            .ok()
            .map(|()| sequence);
    }
    let _ = control(connection, "ROLLBACK TO relayed")
        .and_then(|()| control(connection, "RELEASE relayed"));
    None
}

/// Runs one transaction-control statement (`BEGIN`, `COMMIT`, `SAVEPOINT`, `RELEASE`, ...)
/// through the statement cache: these run several times per job, and parsing them each time
/// was a measurable share of the writer's work.
pub fn control(connection: &Connection, sql: &str) -> rusqlite::Result<()> {
    connection.prepare_cached(sql)?.execute([])?;
    Ok(())
}

fn clone_error(error: &StorageError) -> StorageError {
    match error {
        StorageError::Sqlite(rusqlite::Error::SqliteFailure(code, message)) => {
            StorageError::Sqlite(rusqlite::Error::SqliteFailure(*code, message.clone()))
        }
        other => StorageError::JobPanicked(format!("batch commit failed: {other}")),
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}
