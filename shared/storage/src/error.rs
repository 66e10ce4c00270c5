//! What can go wrong in storage.

use std::path::PathBuf;

/// A storage failure. Messages name the file or step; SQL text stays in logs.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database file could not be opened or configured.
    #[error("cannot open database {path}")]
    Open {
        /// The file.
        path: PathBuf,
        /// SQLite's reason.
        #[source]
        source: rusqlite::Error,
    },
    /// A schema migration failed; the database is left at the previous version.
    #[error("migration {version} failed")]
    Migration {
        /// The version the migration would have reached.
        version: usize,
        /// SQLite's reason.
        #[source]
        source: rusqlite::Error,
    },
    /// A statement failed.
    #[error("database error")]
    Sqlite(#[from] rusqlite::Error),
    /// The writer thread has stopped, so no write can be made.
    #[error("the database writer has stopped")]
    WriterStopped,
    /// A job panicked; its savepoint was rolled back and the writer carries on.
    #[error("a database job panicked: {0}")]
    JobPanicked(String),
    /// A blocking read task could not run to completion.
    #[error("a database read was cancelled")]
    ReadCancelled,
}

impl StorageError {
    /// Whether the failure is SQLite being busy or locked, which a retry may cure.
    pub fn is_busy(&self) -> bool {
        let sqlite_error = match self {
            StorageError::Sqlite(error)
            | StorageError::Open { source: error, .. }
            | StorageError::Migration { source: error, .. } => error,
            _ => return false,
        };
        matches!(
            sqlite_error.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        )
    }
}
