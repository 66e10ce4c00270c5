//! What a call through the client can fail with, each with its stable wire code.

use bikestore_auth::AuthError;
use bikestore_codec::CodecError;
use bikestore_contracts::{ErrorCode, WireError};

/// A failed call, login, refresh or session file operation.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The gateway or a service answered with an error, or nobody answered in time (`unavailable`
    /// when no one listens, `timeout` when the answer is late).
    #[error("{0}")]
    Wire(WireError),
    /// NATS could not be reached.
    #[error("NATS transport failed: {0}")]
    Transport(String),
    /// A request could not be encoded, or a reply or saved session decoded.
    #[error("{0}")]
    Codec(#[from] CodecError),
    /// A session key could not be made or read, or a request not signed.
    #[error("{0}")]
    Auth(#[from] AuthError),
    /// A saved session file could not be read or written.
    #[error("session file: {0}")]
    Io(#[from] std::io::Error),
}

impl ClientError {
    /// The stable code to branch on.
    pub fn code(&self) -> ErrorCode {
        match self {
            ClientError::Wire(error) => error.code,
            ClientError::Transport(_) => ErrorCode::Unavailable,
            ClientError::Codec(error) => error.code(),
            ClientError::Auth(error) => error.code(),
            ClientError::Io(_) => ErrorCode::Internal,
        }
    }

    /// The wire error, if the failure is one.
    pub fn wire(&self) -> Option<&WireError> {
        match self {
            ClientError::Wire(error) => Some(error),
            _ => None,
        }
    }
}

impl From<WireError> for ClientError {
    fn from(error: WireError) -> ClientError {
        ClientError::Wire(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failure_has_a_stable_code() {
        let wire = ClientError::from(WireError::new(ErrorCode::NotFound, "no such product"));
        assert_eq!(wire.code(), ErrorCode::NotFound);
        assert!(wire.wire().is_some());
        assert_eq!(
            ClientError::Transport("refused".into()).code(),
            ErrorCode::Unavailable
        );
        assert_eq!(
            ClientError::Auth(AuthError::BadSignature).code(),
            ErrorCode::Unauthorized
        );
        let io = ClientError::from(std::io::Error::other("disk"));
        assert_eq!(io.code(), ErrorCode::Internal);
        assert!(io.wire().is_none());
    }
}
