//! Commands through the inbox, with their events through the outbox, in one transaction.
//!
//! [`ServiceDb::command`] runs a command's work on the single writer. With an idempotency key it
//! first looks the key up in the inbox: a repeat (even a concurrent one, since the writer
//! serialises them) gets the recorded reply, and the work does not run again. Otherwise the work
//! runs in its own savepoint; its reply, or its business refusal, is recorded under the key in
//! the same transaction. Events the work emits go to the outbox in that transaction too, and the
//! relay is woken once it commits.

use std::sync::Arc;

use bikestore_codec::ContentType;
use bikestore_contracts::{ErrorCode, Event, Message, ServiceName, Subjects, WireError, headers};
use bikestore_storage::inbox::{self, RecordedReply};
use bikestore_storage::outbox::{self, OutboxMessage};
use bikestore_storage::{self as storage, Database, StorageError};
use rusqlite::Connection;
use tokio::sync::Notify;

use crate::config::Fault;
use crate::error::ServiceError;
use crate::host::RequestMeta;
use crate::now_ms;

/// A service's database, with the inbox, outbox and relay wake-up wired in.
pub struct ServiceDb {
    service: ServiceName,
    database: Database,
    subjects: Subjects,
    outbox_ready: Arc<Notify>,
    fault: Option<Fault>,
}

/// What a command's work sees: the writer connection, and a way to emit events.
pub struct CommandTx<'a> {
    connection: &'a Connection,
    subjects: &'a Subjects,
    now_ms: i64,
    /// The span the command runs for, which every event it emits carries on.
    traceparent: Option<&'a str>,
}

impl<'a> CommandTx<'a> {
    /// The writer connection, inside the command's savepoint.
    pub fn connection(&self) -> &'a Connection {
        self.connection
    }

    /// The time the command started, in milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        self.now_ms
    }

    /// Writes `event` to the outbox, on its subject (with its store, for an event about one);
    /// it is published only if the command commits.
    pub fn emit<E: Event>(&self, event: &E) -> Result<(), StorageError> {
        let payload = bikestore_codec::encode(ContentType::Json, event)
            .map_err(|error| StorageError::JobPanicked(error.to_string()))?;
        outbox::push(
            self.connection,
            OutboxMessage {
                sequence: 0,
                message_id: ulid::Ulid::new().to_string(),
                subject: self.subjects.event_subject(event),
                content_type: ContentType::Json.header_value().to_owned(),
                schema_version: E::SCHEMA_VERSION,
                payload,
                created_at_ms: self.now_ms,
                traceparent: self.traceparent.map(str::to_owned),
            },
        )
    }
}

/// What [`ServiceDb::recorded_else`] found: the reply recorded for the request's key, or else
/// what the command read.
#[derive(Debug)]
pub enum Prior<Recorded, Read> {
    /// The request is a repeat; this is its recorded reply.
    Recorded(Recorded),
    /// The request is new (or carries no key); this is what the command read.
    Read(Read),
}

/// The outcome of a command before its inbox bookkeeping is unwrapped.
enum Recorded<R, E> {
    Fresh(Result<R, E>),
    Replayed(Result<R, WireError>),
}

impl ServiceDb {
    /// Wraps `service`'s open database.
    pub fn new(
        service: ServiceName,
        database: Database,
        subjects: Subjects,
        fault: Option<Fault>,
    ) -> ServiceDb {
        ServiceDb {
            service,
            database,
            subjects,
            outbox_ready: Arc::new(Notify::new()),
            fault,
        }
    }

    /// Stops the writer after the jobs already queued.
    pub async fn close(self) {
        self.database.close().await;
    }

    /// The service whose database it is.
    pub fn service(&self) -> ServiceName {
        self.service
    }

    /// The underlying database, for reads and for maintenance jobs.
    pub fn database(&self) -> &Database {
        &self.database
    }

    /// The signal the relay waits on.
    pub fn outbox_ready(&self) -> Arc<Notify> {
        Arc::clone(&self.outbox_ready)
    }

    /// Runs a query on a read-only connection.
    pub async fn query<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StorageError> + Send + 'static,
    {
        self.database.read(work).await
    }

    /// Runs a read by key on a read-only connection, on the calling task's thread (see
    /// [`Database::read_by_key`]): for the few indexed rows a saga step or the relay reads.
    pub async fn query_by_key<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E>,
        E: From<StorageError>,
    {
        self.database.read_by_key(work).await
    }

    /// The reply already recorded for this request's idempotency key, if any: for commands that
    /// call something outside the database (a payment provider) before writing, so a repeat
    /// is answered without calling it again. [`ServiceDb::command`] still checks again inside
    /// the transaction, which is what makes a concurrent repeat safe.
    pub async fn recorded<R, E>(&self, meta: &RequestMeta) -> Result<Option<Result<R, E>>, E>
    where
        R: Message,
        E: From<StorageError> + From<WireError> + Send + 'static,
    {
        if meta.idempotency_key.is_none() {
            return Ok(None);
        }
        Ok(match self.recorded_else(meta, |_| Ok(())).await? {
            Prior::Recorded(recorded) => Some(recorded),
            Prior::Read(()) => None,
        })
    }

    /// [`ServiceDb::recorded`], or else what `read` finds, in one read transaction: a command
    /// that reads its state before calling outside (the order it pays for, the payment it
    /// captures) would otherwise begin two, each reading again the pages the last commit
    /// changed.
    pub async fn recorded_else<R, E, T, F>(
        &self,
        meta: &RequestMeta,
        read: F,
    ) -> Result<Prior<Result<R, E>, T>, E>
    where
        R: Message,
        E: From<StorageError> + From<WireError> + Send + 'static,
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    {
        let key = meta.idempotency_key.clone();
        let operation = meta.operation;
        let prior = self
            .database
            .read_by_key(move |connection| {
                if let Some(key) = key
                    && let Some(recorded) = inbox::find(connection, operation, &key)?
                {
                    return Ok(Prior::Recorded(recorded));
                }
                read(connection).map(Prior::Read)
            })
            .await?;
        Ok(match prior {
            Prior::Recorded(recorded) => {
                crate::metrics::inbox_hit(self.service, operation);
                meta.replayed.mark();
                Prior::Recorded(replay::<R>(&recorded).map_err(E::from))
            }
            Prior::Read(read) => Prior::Read(read),
        })
    }

    /// What answers a request whose checks or outside calls before [`ServiceDb::command`]
    /// failed with `error`: the reply a twin under the same idempotency key recorded
    /// meanwhile, if there is one now, else the error. Two deliveries of one request may run
    /// side by side (two saga replicas, a redelivery); when the first lands, the second's
    /// checks see the state the first made and refuse it, and without this the second would
    /// answer that refusal instead of the first's reply.
    pub async fn recorded_or<R, E>(&self, meta: &RequestMeta, error: E) -> Result<R, E>
    where
        R: Message,
        E: From<StorageError> + From<WireError> + Send + 'static,
    {
        match self.recorded::<R, E>(meta).await? {
            Some(recorded) => recorded,
            None => Err(error),
        }
    }

    /// Runs a command exactly once per idempotency key; see the module documentation.
    pub async fn command<R, E, F>(&self, meta: &RequestMeta, work: F) -> Result<R, E>
    where
        R: Message,
        E: ServiceError + From<StorageError> + From<WireError>,
        F: FnOnce(&CommandTx<'_>) -> Result<R, E> + Send + 'static,
    {
        let operation = meta.operation;
        let key = meta.idempotency_key.clone();
        let subjects = self.subjects.clone();
        // Read here: the work runs on the writer's thread, outside the request's span.
        let traceparent = crate::trace::current();
        let recorded = self
            .database
            .write(move |connection| {
                if let Some(key) = &key
                    && let Some(recorded) = inbox::find(connection, operation, key)?
                {
                    return Ok(Recorded::Replayed(replay::<R>(&recorded)));
                }
                let transaction = CommandTx {
                    connection,
                    subjects: &subjects,
                    now_ms: now_ms(),
                    traceparent: traceparent.as_deref(),
                };
                // An inner savepoint lets a refused command leave its inbox row behind while
                // every change it made is undone.
                storage::control(connection, "SAVEPOINT command").map_err(StorageError::from)?;
                let result = work(&transaction);
                match &result {
                    Ok(_) => storage::control(connection, "RELEASE command"),
                    Err(_) => storage::control(connection, "ROLLBACK TO command")
                        .and_then(|()| storage::control(connection, "RELEASE command")),
                }
                .map_err(StorageError::from)?;
                if let Some(key) = &key
                    && let Some(reply) = record::<R, E>(&result)
                {
                    inbox::record(connection, operation, key, &reply, transaction.now_ms)?;
                }
                Ok::<_, E>(Recorded::Fresh(result))
            })
            .await?;
        match recorded {
            Recorded::Fresh(result) => {
                if result.is_ok() {
                    self.after_commit(operation);
                    if let Some(delay) = self.fault.as_ref().and_then(|f| f.reply_delay(operation))
                    {
                        tracing::warn!(
                            operation,
                            delay_ms = delay.as_millis() as u64,
                            "fault injection: holding the reply"
                        );
                        tokio::time::sleep(delay).await;
                    }
                }
                result
            }
            Recorded::Replayed(result) => {
                crate::metrics::inbox_hit(self.service, operation);
                meta.replayed.mark();
                result.map_err(E::from)
            }
        }
    }

    /// Runs work that is not a request (a timer, a sweep) on the writer, with events; no inbox.
    pub async fn transact<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&CommandTx<'_>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StorageError> + Send + 'static,
    {
        let subjects = self.subjects.clone();
        let traceparent = crate::trace::current();
        let result = self
            .database
            .write(move |connection| {
                work(&CommandTx {
                    connection,
                    subjects: &subjects,
                    now_ms: now_ms(),
                    traceparent: traceparent.as_deref(),
                })
            })
            .await;
        if result.is_ok() {
            self.outbox_ready.notify_one();
        }
        result
    }

    /// Forgets recorded replies older than `retention`, every `interval`, until shutdown: a
    /// repeat older than that is no longer expected, and the inbox must not grow for ever.
    pub async fn prune_inbox(
        &self,
        retention: std::time::Duration,
        interval: std::time::Duration,
        mut shutdown: crate::Shutdown,
    ) {
        loop {
            let cutoff = now_ms() - retention.as_millis() as i64;
            match self
                .database
                .write(move |connection| inbox::prune(connection, cutoff))
                .await
            {
                Ok(0) => {}
                Ok(removed) => tracing::info!(removed, "pruned old inbox entries"),
                Err(error) => {
                    tracing::warn!(error = %crate::error_chain(&error), "could not prune the inbox")
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = shutdown.wait() => return,
            }
        }
    }

    fn after_commit(&self, operation: &str) {
        if let Some(Fault::CrashAfterCommit(target)) = &self.fault
            && target == operation
        {
            tracing::error!(operation, "fault injection: aborting right after commit");
            std::process::abort();
        }
        self.outbox_ready.notify_one();
    }
}

/// The inbox row for a command's outcome: replies always, refusals when they are final.
/// Infrastructure failures are not recorded, so a retry with the same key can still succeed.
fn record<R: Message, E: ServiceError>(result: &Result<R, E>) -> Option<RecordedReply> {
    match result {
        Ok(reply) => bikestore_codec::encode(ContentType::Postcard, reply)
            .ok()
            .map(|body| RecordedReply {
                body,
                is_error: false,
            }),
        Err(error) => {
            let code = error.code();
            let final_refusal = !matches!(
                code,
                ErrorCode::Internal | ErrorCode::Unavailable | ErrorCode::Timeout
            );
            final_refusal.then(|| RecordedReply {
                body: bikestore_codec::encode_error(ContentType::Postcard, &error.to_wire()),
                is_error: true,
            })
        }
    }
}

fn replay<R: Message>(recorded: &RecordedReply) -> Result<R, WireError> {
    if recorded.is_error {
        return Err(bikestore_codec::decode_error(
            ContentType::Postcard,
            &recorded.body,
        ));
    }
    bikestore_codec::decode::<R>(ContentType::Postcard, None, &recorded.body, usize::MAX).map_err(
        |error| {
            WireError::new(
                ErrorCode::Internal,
                format!("the recorded reply could not be read: {error}"),
            )
        },
    )
}

/// The header names an event carries, for relays and readers.
pub const EVENT_HEADERS: [&str; 3] = [
    headers::NATS_MSG_ID,
    headers::CONTENT_TYPE,
    headers::SCHEMA_VERSION,
];

/// How often old inbox entries are pruned.
const INBOX_PRUNE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(3600);
/// How long shutdown waits for the outbox to drain.
const OUTBOX_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Starts a service database's background work until shutdown: the outbox relay (which
/// flushes what is left when shutdown comes) and the inbox pruner.
pub fn background(
    db: &Arc<ServiceDb>,
    jetstream: async_nats::jetstream::Context,
    common: &crate::CommonConfig,
    shutdown: &crate::Shutdown,
) -> tokio::task::JoinSet<()> {
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(crate::relay::run(
        Arc::clone(db),
        jetstream,
        shutdown.clone(),
        OUTBOX_GRACE,
    ));
    let (pruning_db, retention, pruner_shutdown) =
        (Arc::clone(db), common.inbox_retention, shutdown.clone());
    tasks.spawn(async move {
        pruning_db
            .prune_inbox(retention, INBOX_PRUNE_INTERVAL, pruner_shutdown)
            .await
    });
    tasks
}

#[cfg(test)]
mod tests {
    use bikestore_contracts::sagas::{SagaId, SagaStarted, SagaState};
    use bikestore_storage::DatabaseOptions;

    use super::*;
    use crate::error::CoreError;

    fn meta(key: Option<&str>) -> RequestMeta {
        RequestMeta {
            operation: "start",
            idempotency_key: key.map(str::to_owned),
            saga_id: None,
            saga_step: None,
            traceparent: None,
            replayed: Default::default(),
        }
    }

    fn seven(connection: &Connection) -> Result<i64, CoreError> {
        Ok(connection.query_row("SELECT 7", [], |row| row.get(0))?)
    }

    #[tokio::test]
    async fn a_repeat_gets_its_recorded_reply_marked_replayed_and_anything_else_what_it_reads()
    -> anyhow::Result<()> {
        let folder = tempfile::tempdir()?;
        let database = Database::open(
            &folder.path().join("commands.db"),
            &[],
            &DatabaseOptions::default(),
        )?;
        let db = ServiceDb::new(ServiceName::Orders, database, Subjects::default(), None);
        let started = SagaStarted {
            saga_id: SagaId("s".into()),
            state: SagaState::Running,
            error: None,
            order_id: None,
        };
        let first = meta(Some("done"));
        let reply = started.clone();
        db.command::<SagaStarted, CoreError, _>(&first, move |_| Ok(reply))
            .await?;
        assert!(!first.replayed.is_marked(), "done now, not replayed");
        let again = meta(Some("done"));
        let replayed = db
            .command::<SagaStarted, CoreError, _>(&again, |_| {
                Err(CoreError::Conflict("a repeat does nothing".into()))
            })
            .await?;
        assert_eq!(replayed, started);
        assert!(again.replayed.is_marked(), "answered from the inbox");

        let looked_up = meta(Some("done"));
        let repeat = db
            .recorded_else::<SagaStarted, CoreError, i64, _>(&looked_up, |_| {
                Err(CoreError::Conflict("a repeat reads nothing".into()))
            })
            .await?;
        assert!(
            matches!(&repeat, Prior::Recorded(Ok(recorded)) if *recorded == started),
            "{repeat:?}"
        );
        assert!(looked_up.replayed.is_marked());
        for key in [Some("new"), None] {
            let unseen = meta(key);
            let fresh = db
                .recorded_else::<SagaStarted, CoreError, _, _>(&unseen, seven)
                .await?;
            assert!(matches!(fresh, Prior::Read(7)), "{key:?}: {fresh:?}");
            assert!(!unseen.replayed.is_marked(), "{key:?}");
        }
        let recorded = db
            .recorded::<SagaStarted, CoreError>(&meta(Some("done")))
            .await?;
        assert_eq!(recorded.transpose()?, Some(started));
        assert!(
            db.recorded::<SagaStarted, CoreError>(&meta(Some("new")))
                .await?
                .is_none()
        );
        Ok(())
    }
}
