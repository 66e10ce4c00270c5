//! The inbox: what makes a command with an idempotency key apply exactly once.
//!
//! The command's effect and its inbox row are written in the same transaction by the single
//! writer, which also looks the key up first; a repeat, even a concurrent one, therefore finds
//! the recorded reply instead of applying the command again.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::StorageError;

pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS storage_inbox (
    operation   TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    reply       BLOB    NOT NULL,
    is_error    INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (operation, key)
) WITHOUT ROWID;
";

/// A reply recorded for an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedReply {
    /// The encoded reply or error.
    pub body: Vec<u8>,
    /// Whether `body` is an error.
    pub is_error: bool,
}

/// Looks up the reply recorded for `key` of `operation`.
pub fn find(
    connection: &Connection,
    operation: &str,
    key: &str,
) -> Result<Option<RecordedReply>, StorageError> {
    let mut statement = connection.prepare_cached(
        "SELECT reply, is_error FROM storage_inbox WHERE operation = ?1 AND key = ?2",
    )?;
    let recorded = statement
        .query_row(params![operation, key], |row| {
            Ok(RecordedReply {
                body: row.get(0)?,
                is_error: row.get(1)?,
            })
        })
        .optional()?;
    Ok(recorded)
}

/// Records the reply for `key` of `operation`; call it in the command's own transaction.
pub fn record(
    connection: &Connection,
    operation: &str,
    key: &str,
    reply: &RecordedReply,
    now_ms: i64,
) -> Result<(), StorageError> {
    let mut statement = connection.prepare_cached(
        "INSERT INTO storage_inbox (operation, key, reply, is_error, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    statement.execute(params![operation, key, reply.body, reply.is_error, now_ms])?;
    Ok(())
}

/// Forgets replies recorded before `before_ms`; returns how many.
pub fn prune(connection: &Connection, before_ms: i64) -> Result<usize, StorageError> {
    let removed = connection.execute(
        "DELETE FROM storage_inbox WHERE recorded_at < ?1",
        params![before_ms],
    )?;
    Ok(removed)
}
