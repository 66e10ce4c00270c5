//! What a command can fail with, and the documented exit code of each failure.
//!
//! Scripts branch on the exit code, so every [`CliError`] maps to one [`Exit`] in one `match`,
//! and wire errors map through their stable [`ErrorCode`], never through message text.

use std::path::PathBuf;
use std::process::ExitCode;

use bikestore_client::ClientError;
use bikestore_contracts::sagas::{SagaId, SagaState};
use bikestore_contracts::{ErrorCode, WireError};

/// The exit codes of `bikestore`, documented in the README and in `--help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The command did what was asked.
    Success = 0,
    /// An unexpected failure: a bug, a broken file, a saga stuck for an operator.
    Failure = 1,
    /// The command line or a value in the request is wrong (clap's own code for usage errors).
    Usage = 2,
    /// Not logged in, or the session expired or was revoked: log in again.
    Unauthorized = 3,
    /// Logged in, but your role or store may not do this.
    Forbidden = 4,
    /// The thing asked for does not exist.
    NotFound = 5,
    /// A business rule refused it: a declined card, short stock, a conflicting state.
    Rejected = 6,
    /// NATS or a service is unreachable, overloaded or too slow: retrying later may succeed.
    Unavailable = 7,
}

impl Exit {
    /// The exit code a wire error's code stands for.
    pub fn of(code: ErrorCode) -> Exit {
        match code {
            ErrorCode::Unauthorized => Exit::Unauthorized,
            ErrorCode::Forbidden => Exit::Forbidden,
            ErrorCode::NotFound => Exit::NotFound,
            ErrorCode::Conflict | ErrorCode::InsufficientStock | ErrorCode::PaymentDeclined => {
                Exit::Rejected
            }
            ErrorCode::Unavailable | ErrorCode::Timeout | ErrorCode::RateLimited => {
                Exit::Unavailable
            }
            ErrorCode::Invalid | ErrorCode::TooLarge => Exit::Usage,
            ErrorCode::Internal => Exit::Failure,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// There is no session file: nobody logged in on this account yet (or logged out).
    #[error("not logged in (no session at {}); log in with: bikestore login <username>", path.display())]
    NotLoggedIn {
        /// Where the session was looked for.
        path: PathBuf,
    },
    /// The session file exists but cannot be read as a session.
    #[error("cannot read the session at {}: {source}; log in again with: bikestore login <username>", path.display())]
    BrokenSession {
        /// The session file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: ClientError,
    },
    /// The session could not be written.
    #[error("cannot save the session to {}: {source}", path.display())]
    SavingSession {
        /// The session file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: ClientError,
    },
    /// No session file was given and no config folder is known.
    #[error(
        "no place for the session file: set XDG_CONFIG_HOME or HOME, or pass --session-file FILE"
    )]
    NoSessionPlace,
    /// A value on the command line or on standard input is unusable.
    #[error("{0}")]
    Input(String),
    /// A call through the gateway (or the connection to NATS) failed.
    #[error("{0}")]
    Client(#[from] ClientError),
    /// A saga started but did not complete: it was rejected, got stuck, or is still running.
    #[error("{}", saga_outcome_message(saga_id, *state, error.as_ref()))]
    SagaNotCompleted {
        /// The saga.
        saga_id: SagaId,
        /// Where it stands.
        state: SagaState,
        /// The error that ended it, if any.
        error: Option<WireError>,
    },
    /// Reading standard input or writing standard output failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl CliError {
    /// The exit code of this failure.
    pub fn exit(&self) -> Exit {
        match self {
            CliError::NotLoggedIn { .. } | CliError::BrokenSession { .. } => Exit::Unauthorized,
            CliError::SavingSession { .. } | CliError::NoSessionPlace | CliError::Io(_) => {
                Exit::Failure
            }
            CliError::Input(_) => Exit::Usage,
            CliError::Client(error) => Exit::of(error.code()),
            CliError::SagaNotCompleted { state, error, .. } => match (state, error) {
                (SagaState::Failed, Some(error)) => Exit::of(error.code),
                (SagaState::Failed, None) => Exit::Rejected,
                // Still running when the wait ended: asking again later may show the outcome.
                (SagaState::Running | SagaState::Compensating, _) => Exit::Unavailable,
                (SagaState::Stuck | SagaState::Completed | SagaState::Resolved, _) => Exit::Failure,
            },
        }
    }

    /// The wire error behind this failure, for `--json` error output.
    pub fn wire(&self) -> WireError {
        let code = match self {
            CliError::Client(error) => {
                return error
                    .wire()
                    .cloned()
                    .unwrap_or_else(|| WireError::new(error.code(), error.to_string()));
            }
            CliError::SagaNotCompleted {
                error: Some(error), ..
            } => return error.clone(),
            CliError::NotLoggedIn { .. } | CliError::BrokenSession { .. } => {
                ErrorCode::Unauthorized
            }
            CliError::Input(_) => ErrorCode::Invalid,
            CliError::SagaNotCompleted { .. }
            | CliError::SavingSession { .. }
            | CliError::NoSessionPlace
            | CliError::Io(_) => ErrorCode::Internal,
        };
        WireError::new(code, self.to_string())
    }

    /// A hint printed after the message, telling the user what to do next.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            CliError::Client(error) => match error.code() {
                ErrorCode::Unauthorized => {
                    Some("the session is over; log in again with: bikestore login <username>")
                }
                ErrorCode::Unavailable if error.wire().is_none() => {
                    Some("is nats-server running (just up), and is --nats-url right?")
                }
                ErrorCode::Unavailable => Some("is the service running? (just status)"),
                _ => None,
            },
            _ => None,
        }
    }
}

/// One line saying how a saga that did not complete stands.
fn saga_outcome_message(saga_id: &SagaId, state: SagaState, error: Option<&WireError>) -> String {
    let reason = error.map(describe_wire_error).unwrap_or_default();
    match state {
        SagaState::Failed => format!("rejected (saga {saga_id}): {reason}"),
        SagaState::Stuck => format!(
            "saga {saga_id} is stuck and needs an operator (bikestore sagas retry|resolve {saga_id}): {reason}"
        ),
        SagaState::Running | SagaState::Compensating => format!(
            "saga {saga_id} is still running; see its outcome later with: bikestore sagas show {saga_id}"
        ),
        SagaState::Completed | SagaState::Resolved => {
            format!(
                "saga {saga_id} ended as {}",
                crate::cli::output::name_of(&state)
            )
        }
    }
}

/// A wire error as one line: code, message and its details.
pub fn describe_wire_error(error: &WireError) -> String {
    let mut text = format!("{}: {}", error.code, error.message);
    if !error.details.is_empty() {
        let details: Vec<String> = error
            .details
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect();
        text.push_str(&format!(" ({})", details.join(", ")));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_wire_code_has_a_documented_exit_code() {
        for code in ErrorCode::ALL {
            let exit = Exit::of(code) as u8;
            assert!((1..=7).contains(&exit), "{code} exits {exit}");
        }
        assert_eq!(Exit::of(ErrorCode::PaymentDeclined), Exit::Rejected);
        assert_eq!(Exit::of(ErrorCode::Forbidden), Exit::Forbidden);
        assert_eq!(Exit::of(ErrorCode::Timeout), Exit::Unavailable);
    }

    #[test]
    fn a_declined_saga_exits_as_rejected_and_a_running_one_as_unavailable() {
        let declined = CliError::SagaNotCompleted {
            saga_id: SagaId("s1".into()),
            state: SagaState::Failed,
            error: Some(
                WireError::new(ErrorCode::PaymentDeclined, "declined")
                    .with_detail("reason", "card_declined"),
            ),
        };
        assert_eq!(declined.exit(), Exit::Rejected);
        assert!(declined.to_string().contains("reason=card_declined"));
        let running = CliError::SagaNotCompleted {
            saga_id: SagaId("s2".into()),
            state: SagaState::Running,
            error: None,
        };
        assert_eq!(running.exit(), Exit::Unavailable);
        assert!(running.to_string().contains("bikestore sagas show s2"));
    }

    #[test]
    fn a_missing_session_is_unauthorized() {
        let missing = CliError::NotLoggedIn {
            path: PathBuf::from("/nowhere/session.json"),
        };
        assert_eq!(missing.exit(), Exit::Unauthorized);
        assert_eq!(missing.wire().code, ErrorCode::Unauthorized);
    }
}
