//! Opening a database: pragmas, migrations, the writer thread and the reader pool.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};

use crate::error::StorageError;
use crate::readers::ReaderPool;
use crate::writer::Writer;
use crate::{inbox, outbox};

/// SQLite's `synchronous` setting: how hard a commit pushes to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    /// WAL with `synchronous=NORMAL`: survives any process crash; a power loss may lose the
    /// last commits.
    #[default]
    Normal,
    /// `synchronous=FULL`: every commit is on disk before it is acknowledged.
    Full,
}

/// How to open a database.
#[derive(Debug, Clone)]
pub struct DatabaseOptions {
    /// The durability setting.
    pub synchronous: Synchronous,
    /// How many read-only connections serve queries.
    pub readers: usize,
    /// How long a statement waits for another process's lock before failing.
    pub busy_timeout: Duration,
    /// How many queued write jobs may share one transaction.
    pub max_batch: usize,
}

impl Default for DatabaseOptions {
    fn default() -> Self {
        DatabaseOptions {
            synchronous: Synchronous::Normal,
            readers: 4,
            busy_timeout: Duration::from_secs(5),
            max_batch: 128,
        }
    }
}

/// One service's database: a single writer plus read-only connections.
pub struct Database {
    path: PathBuf,
    writer: Writer,
    readers: ReaderPool,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Database")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Database {
    /// Opens (creating if needed) the database at `path`, applies the service's `migrations`
    /// in order (each runs once, tracked by `PRAGMA user_version`), and starts the writer.
    ///
    /// This blocks while it migrates; call it before serving, or from `spawn_blocking`.
    pub fn open(
        path: &Path,
        migrations: &[&str],
        options: &DatabaseOptions,
    ) -> Result<Database, StorageError> {
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            // A missing folder would otherwise surface as SQLite's vaguer "unable to open".
            let _ = std::fs::create_dir_all(parent);
        }
        // Another process on the same file (a second instance) may hold the write lock for
        // longer than the busy timeout while it starts; starting is retried rather than failed.
        let deadline = std::time::Instant::now() + OPEN_PATIENCE;
        let connection = loop {
            match open_writer(path, migrations, options) {
                Err(error) if error.is_busy() && std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                result => break result?,
            }
        };
        let readers = ReaderPool::open(path, options)?;
        let writer = Writer::start(connection, options.max_batch);
        Ok(Database {
            path: path.to_owned(),
            writer,
            readers,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `work` on the writer connection inside its own savepoint of a write transaction;
    /// the result arrives once that transaction has committed. An `Err` from `work` rolls back
    /// its own changes only.
    pub async fn write<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StorageError> + Send + 'static,
    {
        self.writer.submit(work).await
    }

    /// Records that every outbox row up to `sequence` is published and acknowledged: the
    /// writer removes them with its next batch, so the relay spends no transaction on it.
    /// Until then they stay in the outbox; read past them with
    /// [`outbox::pending_after`](crate::outbox::pending_after)`(`[`Database::relayed_up_to`]`)`.
    pub fn mark_relayed(&self, sequence: i64) {
        self.writer.relayed().raise(sequence);
    }

    /// The highest outbox sequence marked relayed in this process (0 before any).
    pub fn relayed_up_to(&self) -> i64 {
        self.writer.relayed().get()
    }

    /// Up to `limit` outbox rows after `sequence`, as this process's writer committed them,
    /// without reading the outbox; `None` when they must be read with
    /// [`outbox::pending_after`](crate::outbox::pending_after) instead: at start, after many
    /// rows went untaken, or when a row after `sequence` did not come through this writer.
    /// Taken rows are not answered again.
    pub fn take_committed_outbox(
        &self,
        sequence: i64,
        limit: usize,
    ) -> Option<Vec<crate::outbox::OutboxMessage>> {
        self.writer.committed().take(sequence, limit)
    }

    /// Runs `work` on a read-only connection, off the async runtime.
    pub async fn read<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StorageError> + Send + 'static,
    {
        self.readers.run(work).await
    }

    /// Runs `work` on a read-only connection on the calling task's own thread: for a read
    /// that finds a few rows through an index (an inbox entry, a payment, the outbox's oldest
    /// rows), which takes less time than the two thread switches of [`Database::read`].
    /// Anything that may scan belongs in `read`, or it stalls the runtime's other tasks.
    pub async fn read_by_key<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E>,
        E: From<StorageError>,
    {
        self.readers.run_here(work).await
    }

    /// Stops the writer after the jobs already queued, and waits for it.
    pub async fn close(self) {
        self.writer.stop().await;
    }
}

/// How long opening waits for another process's lock before giving up.
const OPEN_PATIENCE: Duration = Duration::from_secs(30);

fn open_writer(
    path: &Path,
    migrations: &[&str],
    options: &DatabaseOptions,
) -> Result<Connection, StorageError> {
    let open_error = |source| StorageError::Open {
        path: path.to_owned(),
        source,
    };
    let mut connection = Connection::open(path).map_err(open_error)?;
    configure(&connection, options, false).map_err(open_error)?;
    migrate(&mut connection, migrations)?;
    Ok(connection)
}

pub(crate) fn open_read_only(
    path: &Path,
    options: &DatabaseOptions,
) -> Result<Connection, StorageError> {
    let open_error = |source| StorageError::Open {
        path: path.to_owned(),
        source,
    };
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let connection = Connection::open_with_flags(path, flags).map_err(open_error)?;
    configure(&connection, options, true).map_err(open_error)?;
    Ok(connection)
}

fn configure(
    connection: &Connection,
    options: &DatabaseOptions,
    read_only: bool,
) -> rusqlite::Result<()> {
    connection.busy_timeout(options.busy_timeout)?;
    // Room for every statement a service runs often, so none is parsed again: with the
    // default 16, the profile showed readers parsing the relay's outbox read anew.
    connection.set_prepared_statement_cache_capacity(64);
    // The bundled SQLite is built with STAT4, under which binding a new value to a parameter the
    // planner looked at (any `LIMIT ?`, a `LIKE ?` pattern) expires the statement, so the relay's
    // outbox read and the delivery worker's due query were compiled again on every run: 7% of
    // the benchmark process. The planner stability guarantee keeps one plan per statement; with
    // no `ANALYZE` statistics there is nothing a bound value could improve.
    connection.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    if read_only {
        connection.pragma_update(None, "query_only", true)?;
        return Ok(());
    }
    // journal_mode returns a row, so it cannot go through execute_batch.
    let _mode: String = connection.query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))?;
    let synchronous = match options.synchronous {
        Synchronous::Normal => "NORMAL",
        Synchronous::Full => "FULL",
    };
    connection.pragma_update(None, "synchronous", synchronous)?;
    connection.pragma_update(None, "foreign_keys", true)?;
    // Each job of a batch runs in a savepoint, so SQLite keeps the pages it changes in a
    // sub-journal; past 64 KiB that spills to a temporary file, which then grows for the whole
    // transaction. In memory it is dropped at each release: the profile counted more writes to
    // sub-journals than to the WAL. Nothing durable lives there, so a crash loses nothing.
    connection.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(())
}

fn migrate(connection: &mut Connection, migrations: &[&str]) -> Result<(), StorageError> {
    let storage_tables = [inbox::SCHEMA, outbox::SCHEMA].join("\n");
    connection
        .execute_batch(&storage_tables)
        .map_err(|source| StorageError::Migration { version: 0, source })?;
    outbox::upgrade(connection).map_err(|source| StorageError::Migration { version: 0, source })?;
    let current: usize = connection
        .query_row("PRAGMA user_version", [], |row| row.get::<_, i64>(0))
        .map_err(StorageError::Sqlite)?
        .try_into()
        .unwrap_or(0);
    for (index, migration) in migrations.iter().enumerate().skip(current) {
        let version = index + 1;
        let migration_error = |source| StorageError::Migration { version, source };
        let transaction = connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(migration_error)?;
        // Another process on the same file may have migrated while this one waited for the lock.
        let now: usize = transaction
            .query_row("PRAGMA user_version", [], |row| row.get::<_, i64>(0))
            .map_err(migration_error)?
            .try_into()
            .unwrap_or(0);
        if now >= version {
            continue;
        }
        transaction
            .execute_batch(migration)
            .map_err(migration_error)?;
        transaction
            .pragma_update(None, "user_version", version as i64)
            .map_err(migration_error)?;
        transaction.commit().map_err(migration_error)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
