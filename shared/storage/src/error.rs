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
    /// There is no database file where one was expected.
    #[error("no database at {path}")]
    DatabaseMissing {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// A copy would overwrite a file that exists; copies only ever go to a new file.
    #[error("will not copy a database to {path}: it exists")]
    DestinationExists {
        /// The file in the way.
        path: PathBuf,
    },
    /// The file is not a SQLite database at all (garbage, or some other kind of file).
    #[error("{path} is not a SQLite database")]
    NotADatabase {
        /// The file.
        path: PathBuf,
        /// SQLite's reason.
        #[source]
        source: rusqlite::Error,
    },
    /// The file is a SQLite database, but damaged: `PRAGMA quick_check` found problems.
    #[error("the database {path} is damaged: {problems}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What the check found (its first findings).
        problems: String,
    },
    /// The file is a sound SQLite database without the storage tables every service's database
    /// has, so it is not one.
    #[error("{path} is not a Bikestore service database: it has no outbox table")]
    NotAServiceDatabase {
        /// The file.
        path: PathBuf,
    },
    /// `VACUUM INTO` could not copy a database.
    #[error("cannot copy the database {from} to {to}")]
    Copy {
        /// The database copied.
        from: PathBuf,
        /// The copy that was being written.
        to: PathBuf,
        /// SQLite's reason.
        #[source]
        source: rusqlite::Error,
    },
    /// A database (or a copy) could not be read.
    #[error("cannot read the database {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// SQLite's reason.
        #[source]
        source: rusqlite::Error,
    },
    /// A file operation on a copy failed.
    #[error("cannot {step} {path}")]
    File {
        /// What was being done (`sync to disk`, `read the size of`).
        step: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
}

impl StorageError {
    /// Whether the failure is SQLite being busy or locked, which a retry may cure.
    pub fn is_busy(&self) -> bool {
        let sqlite_error = match self {
            StorageError::Sqlite(error)
            | StorageError::Open { source: error, .. }
            | StorageError::Migration { source: error, .. }
            | StorageError::Copy { source: error, .. }
            | StorageError::Read { source: error, .. } => error,
            _ => return false,
        };
        matches!(
            sqlite_error.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        )
    }
}
