//! Everything that can go wrong in the orchestrator, and its wire code.

use bikestore_contracts::sagas::SagaId;
use bikestore_contracts::{ErrorCode, WireError};
use bikestore_runtime::ServiceError;

/// An orchestrator failure.
#[derive(Debug, thiserror::Error)]
pub enum OrchestratorError {
    /// A field breaks a validation rule.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// The rule it breaks.
        reason: String,
    },
    /// No such saga.
    #[error("saga {0} does not exist")]
    SagaNotFound(SagaId),
    /// The request clashes with the saga's state.
    #[error("{0}")]
    Conflict(String),
    /// A saga record could not be read or written as JSON.
    #[error("saga {saga_id} has an unreadable record: {reason}")]
    CorruptRecord {
        /// The saga.
        saga_id: SagaId,
        /// Why.
        reason: String,
    },
    /// NATS, JetStream or the KV bucket failed.
    #[error("NATS: {context}")]
    Nats {
        /// What the orchestrator was doing.
        context: String,
        /// NATS's reason.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A participant refused or failed a request made at intake.
    #[error("{}", .0.message)]
    Participant(WireError),
    /// The saga index's SQLite file failed.
    #[error("the saga index failed")]
    Index(#[from] bikestore_storage::StorageError),
    /// The saga index's file or its lock could not be opened.
    #[error("cannot open the saga index at {path}")]
    IndexFile {
        /// The file or folder.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The saga index has not yet applied every change the bucket held when asked.
    #[error("saga index is catching up: {applied} of {target}")]
    IndexCatchingUp {
        /// The bucket revision applied.
        applied: u64,
        /// The bucket revision it must reach.
        target: u64,
    },
}

impl OrchestratorError {
    /// Wraps a NATS error with what the orchestrator was doing.
    pub fn nats(
        context: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> OrchestratorError {
        OrchestratorError::Nats {
            context: context.into(),
            source: Box::new(source),
        }
    }

    /// A validation failure.
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> OrchestratorError {
        OrchestratorError::Invalid {
            field,
            reason: reason.into(),
        }
    }
}

impl ServiceError for OrchestratorError {
    fn code(&self) -> ErrorCode {
        match self {
            OrchestratorError::Invalid { .. } => ErrorCode::Invalid,
            OrchestratorError::SagaNotFound(_) => ErrorCode::NotFound,
            OrchestratorError::Conflict(_) => ErrorCode::Conflict,
            OrchestratorError::CorruptRecord { .. } => ErrorCode::Internal,
            OrchestratorError::Nats { .. } => ErrorCode::Unavailable,
            OrchestratorError::Participant(wire) => wire.code,
            OrchestratorError::Index(_) | OrchestratorError::IndexFile { .. } => {
                ErrorCode::Internal
            }
            OrchestratorError::IndexCatchingUp { .. } => ErrorCode::Unavailable,
        }
    }

    fn details(&self) -> std::collections::BTreeMap<String, String> {
        match self {
            OrchestratorError::Invalid { field, .. } => {
                [("field".to_owned(), (*field).to_owned())].into()
            }
            OrchestratorError::Participant(wire) => wire.details.clone(),
            _ => Default::default(),
        }
    }
}

impl From<WireError> for OrchestratorError {
    fn from(wire: WireError) -> OrchestratorError {
        OrchestratorError::Participant(wire)
    }
}
