//! The runtime's own errors, and the trait that turns a service's error into a wire error.

use std::collections::BTreeMap;

use bikestore_contracts::{ErrorCode, WireError};
use bikestore_storage::StorageError;

/// A failure of the runtime itself: connecting, registering, publishing.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The configuration is unusable.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// NATS refused or dropped something.
    #[error("NATS: {context}")]
    Nats {
        /// What the runtime was doing.
        context: String,
        /// NATS's reason.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The database failed.
    #[error("storage")]
    Storage(#[from] StorageError),
    /// Telemetry could not be set up.
    #[error("telemetry: {0}")]
    Telemetry(String),
}

impl RuntimeError {
    /// Wraps a NATS error with what the runtime was doing.
    pub fn nats(
        context: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> RuntimeError {
        RuntimeError::Nats {
            context: context.into(),
            source: Box::new(source),
        }
    }
}

/// A handler's error: it knows its wire code, and may carry details.
///
/// Internal errors are logged with their cause chain and answered with a generic message, so
/// SQL text and file paths never leave the service.
pub trait ServiceError: std::error::Error + Send + 'static {
    /// The stable wire code.
    fn code(&self) -> ErrorCode;

    /// Facts for the caller, such as the requested and available quantity.
    fn details(&self) -> BTreeMap<String, String> {
        BTreeMap::new()
    }

    /// The error as it goes on the wire.
    fn to_wire(&self) -> WireError {
        let code = self.code();
        let message = if code == ErrorCode::Internal {
            "internal error; the service log has the details".to_owned()
        } else {
            self.to_string()
        };
        WireError {
            code,
            message,
            details: self.details(),
        }
    }
}

impl ServiceError for WireError {
    fn code(&self) -> ErrorCode {
        self.code
    }

    fn details(&self) -> BTreeMap<String, String> {
        self.details.clone()
    }

    fn to_wire(&self) -> WireError {
        self.clone()
    }
}

/// Renders an error with its whole cause chain, for logs.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
