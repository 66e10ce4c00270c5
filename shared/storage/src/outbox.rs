//! The outbox: events written in the same transaction as the change they describe.
//!
//! A relay (in the runtime) reads pending messages, publishes each with its message ID as
//! JetStream's de-duplication key, and removes it once acknowledged. A crash between publish and
//! removal means a second publish with the same ID, which JetStream drops.

use rusqlite::{Connection, params};

use crate::error::StorageError;

pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS storage_outbox (
    sequence       INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id     TEXT    NOT NULL UNIQUE,
    subject        TEXT    NOT NULL,
    content_type   TEXT    NOT NULL,
    schema_version INTEGER NOT NULL,
    payload        BLOB    NOT NULL,
    created_at     INTEGER NOT NULL,
    traceparent    TEXT
);
";

/// Brings an outbox made before a column was added up to [`SCHEMA`]: the storage tables are
/// not versioned with the service's own, so each added column is checked for.
pub(crate) fn upgrade(connection: &Connection) -> Result<(), rusqlite::Error> {
    let has_traceparent: bool = connection.query_row(
        "SELECT COUNT(*) > 0 FROM pragma_table_info('storage_outbox') WHERE name = 'traceparent'",
        [],
        |row| row.get(0),
    )?;
    if !has_traceparent {
        connection.execute_batch("ALTER TABLE storage_outbox ADD COLUMN traceparent TEXT")?;
    }
    Ok(())
}

/// A message waiting to be published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    /// Its position in the outbox; publish in this order.
    pub sequence: i64,
    /// The de-duplication ID, unique for ever.
    pub message_id: String,
    /// Where to publish it.
    pub subject: String,
    /// The body's content type.
    pub content_type: String,
    /// The body's schema version.
    pub schema_version: u16,
    /// The body.
    pub payload: Vec<u8>,
    /// When it was written, in milliseconds since the Unix epoch.
    pub created_at_ms: i64,
    /// The trace of the command that wrote it, passed on with the event.
    pub traceparent: Option<String>,
}

/// Adds a message; call it in the transaction that makes the change it describes.
pub fn push(connection: &Connection, message: OutboxMessage) -> Result<(), StorageError> {
    let mut statement = connection.prepare_cached(
        "INSERT INTO storage_outbox
             (message_id, subject, content_type, schema_version, payload, created_at, traceparent)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    statement.execute(params![
        message.message_id,
        message.subject,
        message.content_type,
        message.schema_version,
        message.payload,
        message.created_at_ms,
        message.traceparent,
    ])?;
    crate::committed::written(message, connection.last_insert_rowid());
    Ok(())
}

/// The oldest `limit` messages still to publish.
pub fn pending(connection: &Connection, limit: usize) -> Result<Vec<OutboxMessage>, StorageError> {
    pending_after(connection, 0, limit)
}

/// The oldest `limit` messages after `sequence`: those before it are published, awaiting
/// removal.
pub fn pending_after(
    connection: &Connection,
    sequence: i64,
    limit: usize,
) -> Result<Vec<OutboxMessage>, StorageError> {
    let mut statement = connection.prepare_cached(
        "SELECT sequence, message_id, subject, content_type, schema_version, payload, created_at,
                traceparent
         FROM storage_outbox WHERE sequence > ?1 ORDER BY sequence LIMIT ?2",
    )?;
    let rows = statement.query_map(params![sequence, limit as i64], |row| {
        Ok(OutboxMessage {
            sequence: row.get(0)?,
            message_id: row.get(1)?,
            subject: row.get(2)?,
            content_type: row.get(3)?,
            schema_version: row.get(4)?,
            payload: row.get(5)?,
            created_at_ms: row.get(6)?,
            traceparent: row.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Removes published messages.
pub fn remove(connection: &Connection, sequences: &[i64]) -> Result<(), StorageError> {
    let mut statement =
        connection.prepare_cached("DELETE FROM storage_outbox WHERE sequence = ?1")?;
    for sequence in sequences {
        statement.execute(params![sequence])?;
    }
    Ok(())
}

/// Removes every message up to `sequence`, all published: for the writer, which does it with
/// its next batch once the relay has [`marked them relayed`](crate::Database::mark_relayed).
pub(crate) fn remove_up_to(connection: &Connection, sequence: i64) -> rusqlite::Result<usize> {
    connection
        .prepare_cached("DELETE FROM storage_outbox WHERE sequence <= ?1")?
        .execute(params![sequence])
}

/// How many messages wait to be published.
pub fn count(connection: &Connection) -> Result<u64, StorageError> {
    let count: i64 =
        connection.query_row("SELECT COUNT(*) FROM storage_outbox", [], |row| row.get(0))?;
    Ok(count.max(0) as u64)
}
