//! What can go wrong taking or restoring a backup.

use std::path::{Path, PathBuf};

use bikestore_orchestrator::OrchestratorError;
use bikestore_runtime::RuntimeError;
use bikestore_storage::StorageError;

/// A backup that could not be taken, or restored.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The backup cannot be honoured (a part missing or damaged, a schema newer than this
    /// build's, parts in an unsafe order ...): every reason found, one per line. Nothing was
    /// written.
    #[error("this backup cannot be restored:\n{}", .0.join("\n"))]
    Refused(Vec<String>),
    /// The place to write to is not usable (a backup folder or data folder not empty ...).
    #[error("{0}")]
    Unusable(String),
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// NATS refused or dropped something.
    #[error("NATS: {context}: {source}")]
    Nats {
        /// What the backup was doing.
        context: String,
        /// NATS's reason.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A JetStream snapshot or restore failed.
    #[error("stream {stream}: {source}")]
    Snapshot {
        /// The stream.
        stream: String,
        /// Why.
        #[source]
        source: bikestore_runtime::SnapshotError,
    },
    /// The runtime failed (connecting, reading a stream).
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// A database copy failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The saga store failed.
    #[error(transparent)]
    Sagas(#[from] OrchestratorError),
}

impl BackupError {
    /// Wraps an I/O error with its file.
    pub fn io(path: &Path, source: std::io::Error) -> BackupError {
        BackupError::Io {
            path: path.to_owned(),
            source,
        }
    }

    /// Wraps a NATS error with what the backup was doing.
    pub fn nats(
        context: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> BackupError {
        BackupError::Nats {
            context: context.into(),
            source: Box::new(source),
        }
    }
}
