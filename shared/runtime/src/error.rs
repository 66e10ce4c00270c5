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
    /// The metrics address could not be bound (taken, or not this machine's).
    #[error("cannot serve metrics on {address}")]
    Metrics {
        /// The address asked for.
        address: std::net::SocketAddr,
        /// Why it could not be bound.
        #[source]
        source: std::io::Error,
    },
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

/// What a JetStream stream snapshot or restore ([`stream_snapshot`](crate::stream_snapshot)) ran
/// into. `operation` is `"snapshot"` or `"restore"`.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The stream to snapshot does not exist.
    #[error("stream {stream} does not exist")]
    StreamNotFound {
        /// The stream's name.
        stream: String,
    },
    /// A stream of that name exists, and a restore never replaces one.
    #[error("stream {stream} already exists and a restore never replaces one: {description}")]
    StreamExists {
        /// The stream's name.
        stream: String,
        /// The server's words.
        description: String,
    },
    /// The JetStream API answered with an error.
    #[error(
        "the server refused the {operation} of stream {stream}: {description} \
         (status {status}, JetStream error {err_code})"
    )]
    Refused {
        /// The stream's name.
        stream: String,
        /// `"snapshot"` or `"restore"`.
        operation: &'static str,
        /// The HTTP-like status of the API error (400, 404, 500, ...).
        status: u64,
        /// JetStream's own error code (10059 is "stream not found", ...).
        err_code: u64,
        /// The server's words.
        description: String,
    },
    /// The server ended a snapshot it had started sending with an error status: it failed to
    /// read its store (500), or gave up waiting for acknowledgements (408).
    #[error("the server broke off the snapshot of stream {stream}: status {status}: {description}")]
    BrokenOff {
        /// The stream's name.
        stream: String,
        /// The status of the end-of-snapshot message.
        status: u16,
        /// The server's words.
        description: String,
    },
    /// Nothing came from the server for `waited`: no reply to a request, no chunk of a snapshot.
    #[error("the {operation} of stream {stream} stalled: no answer from the server for {waited:?}")]
    Stalled {
        /// The stream's name.
        stream: String,
        /// `"snapshot"` or `"restore"`.
        operation: &'static str,
        /// How long the client waited.
        waited: std::time::Duration,
    },
    /// A chunk of a snapshot never arrived (the connection dropped it, as it does for a
    /// subscriber that falls far behind), so the copy would be corrupt.
    #[error(
        "the snapshot of stream {stream} lost chunk {expected} (chunk {received} came instead)"
    )]
    ChunkLost {
        /// The stream's name.
        stream: String,
        /// The chunk that should have come next.
        expected: u64,
        /// The chunk that came.
        received: u64,
    },
    /// The server no longer takes the restore's chunks: it gave up on it (it waits about five
    /// seconds between chunks) or lost its JetStream leadership.
    #[error("the server gave up the restore of stream {stream}: nothing receives its chunks")]
    RestoreAbandoned {
        /// The stream's name.
        stream: String,
    },
    /// Writing the snapshot out or reading it back in failed.
    #[error("the {operation} of stream {stream}: reading or writing the snapshot failed")]
    Io {
        /// The stream's name.
        stream: String,
        /// `"snapshot"` or `"restore"`.
        operation: &'static str,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The NATS connection failed.
    #[error("the {operation} of stream {stream}: NATS failed")]
    Nats {
        /// The stream's name.
        stream: String,
        /// `"snapshot"` or `"restore"`.
        operation: &'static str,
        /// NATS's reason.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The server's answer is not what the protocol promises.
    #[error("the {operation} of stream {stream}: unexpected answer from the server: {reason}")]
    BadResponse {
        /// The stream's name.
        stream: String,
        /// `"snapshot"` or `"restore"`.
        operation: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The configuration handed to a restore has no stream name.
    #[error("the stream configuration to restore has no name")]
    UnnamedConfig,
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

/// The failures every service with a database shares: a field that breaks a rule, a missing
/// thing, a clash with the current state, the database failing, and a reply recorded for the
/// idempotency key coming back. A service's error enum holds it as one `Common` variant beside
/// its own domain variants, and [`core_error!`](crate::core_error) gives the enum the shared
/// constructors and conversions.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// A field breaks a validation rule. The reason never repeats a secret.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field, as named in the request (`card.number`, `lines.quantity`).
        field: &'static str,
        /// The rule it breaks.
        reason: String,
    },
    /// The thing named does not exist.
    #[error("{what} {id} does not exist")]
    NotFound {
        /// What kind of thing.
        what: &'static str,
        /// Its ID.
        id: String,
    },
    /// The request clashes with the current state (a duplicate, an illegal move).
    #[error("{0}")]
    Conflict(String),
    /// The database failed.
    #[error("storage failure")]
    Storage(#[from] StorageError),
    /// A reply recorded for this idempotency key, replayed.
    #[error("{}", .0.message)]
    Replayed(#[from] WireError),
}

impl CoreError {
    /// A validation failure.
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> CoreError {
        CoreError::Invalid {
            field,
            reason: reason.into(),
        }
    }

    /// A missing thing.
    pub fn not_found(what: &'static str, id: impl ToString) -> CoreError {
        CoreError::NotFound {
            what,
            id: id.to_string(),
        }
    }

    /// A uniqueness violation as a conflict that says what clashed; any other database error
    /// as a storage failure.
    pub fn on_duplicate(error: rusqlite::Error, message: impl FnOnce() -> String) -> CoreError {
        match error.sqlite_error_code() {
            Some(rusqlite::ErrorCode::ConstraintViolation) => CoreError::Conflict(message()),
            _ => CoreError::from(error),
        }
    }
}

impl From<rusqlite::Error> for CoreError {
    fn from(error: rusqlite::Error) -> CoreError {
        CoreError::Storage(StorageError::Sqlite(error))
    }
}

impl ServiceError for CoreError {
    fn code(&self) -> ErrorCode {
        match self {
            CoreError::Invalid { .. } => ErrorCode::Invalid,
            CoreError::NotFound { .. } => ErrorCode::NotFound,
            CoreError::Conflict(_) => ErrorCode::Conflict,
            CoreError::Storage(error) if error.is_busy() => ErrorCode::Unavailable,
            CoreError::Storage(_) => ErrorCode::Internal,
            CoreError::Replayed(wire) => wire.code,
        }
    }

    fn details(&self) -> BTreeMap<String, String> {
        match self {
            CoreError::Invalid { field, .. } => {
                BTreeMap::from([("field".to_owned(), (*field).to_owned())])
            }
            CoreError::Replayed(wire) => wire.details.clone(),
            _ => BTreeMap::new(),
        }
    }
}

/// Gives a service's error enum, which holds [`CoreError`] as its `Common` variant
/// (`#[error(transparent)] Common(#[from] CoreError)`), the shared constructors (`invalid`,
/// `not_found`, `conflict`, `on_duplicate`) and the conversions from the storage, SQLite and
/// replayed-reply errors that `?` needs.
#[macro_export]
macro_rules! core_error {
    ($error:ident) => {
        impl $error {
            /// A validation failure.
            pub fn invalid(field: &'static str, reason: impl Into<String>) -> $error {
                $error::Common($crate::CoreError::invalid(field, reason))
            }

            /// A missing thing.
            pub fn not_found(what: &'static str, id: impl ToString) -> $error {
                $error::Common($crate::CoreError::not_found(what, id))
            }

            /// A clash with the current state.
            pub fn conflict(message: impl Into<String>) -> $error {
                $error::Common($crate::CoreError::Conflict(message.into()))
            }

            /// A uniqueness violation as a conflict that says what clashed.
            pub fn on_duplicate(
                error: ::rusqlite::Error,
                message: impl FnOnce() -> String,
            ) -> $error {
                $error::Common($crate::CoreError::on_duplicate(error, message))
            }
        }

        impl From<::bikestore_storage::StorageError> for $error {
            fn from(error: ::bikestore_storage::StorageError) -> $error {
                $error::Common($crate::CoreError::Storage(error))
            }
        }

        impl From<::rusqlite::Error> for $error {
            fn from(error: ::rusqlite::Error) -> $error {
                $error::Common($crate::CoreError::from(error))
            }
        }

        impl From<::bikestore_contracts::WireError> for $error {
            fn from(error: ::bikestore_contracts::WireError) -> $error {
                $error::Common($crate::CoreError::Replayed(error))
            }
        }
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_core_failures_have_their_codes_and_details() {
        let invalid = CoreError::invalid("quantity", "must be positive");
        assert_eq!(invalid.code(), ErrorCode::Invalid);
        assert_eq!(invalid.to_wire().message, "quantity: must be positive");
        assert_eq!(invalid.details()["field"], "quantity");
        assert_eq!(
            CoreError::not_found("store", 7).to_wire().message,
            "store 7 does not exist"
        );
        let replayed = CoreError::from(WireError::new(ErrorCode::Conflict, "taken"));
        assert_eq!(replayed.code(), ErrorCode::Conflict);
        assert_eq!(replayed.to_wire().message, "taken");
    }

    #[test]
    fn a_uniqueness_violation_is_a_conflict_and_other_sqlite_failures_stay_hidden() {
        let connection = rusqlite::Connection::open_in_memory().expect("an in-memory database");
        connection
            .execute_batch("CREATE TABLE names (name TEXT UNIQUE); INSERT INTO names VALUES ('a');")
            .expect("the table");
        let duplicate = connection
            .execute("INSERT INTO names VALUES ('a')", [])
            .expect_err("a duplicate");
        let conflict = CoreError::on_duplicate(duplicate, || "name a is taken".to_owned());
        assert_eq!(conflict.code(), ErrorCode::Conflict);
        assert_eq!(conflict.to_wire().message, "name a is taken");
        let broken = connection
            .execute("INSERT INTO missing VALUES (1)", [])
            .expect_err("no such table");
        let hidden = CoreError::on_duplicate(broken, || unreachable!("not a duplicate"));
        assert_eq!(hidden.code(), ErrorCode::Internal);
        assert!(!hidden.to_wire().message.contains("missing"));
    }
}
