//! Why a body could not be encoded or decoded.

use bikestore_contracts::ErrorCode;

/// A body that could not be turned into a message, or a message that could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// The body is over the size limit.
    #[error("the request is {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        /// The body's size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The body names a schema version this side does not speak.
    #[error(
        "{message} schema version {received} is not supported; this service speaks version {supported}"
    )]
    UnsupportedSchemaVersion {
        /// The message type.
        message: &'static str,
        /// The version the sender named.
        received: u16,
        /// The version this side speaks.
        supported: u16,
    },
    /// The schema-version header is not a number.
    #[error("the schema version header {value:?} is not a number")]
    MalformedSchemaVersion {
        /// The start of the header value.
        value: String,
    },
    /// The content type is neither postcard nor JSON.
    #[error(
        "content type {content_type:?} is not supported; use application/json or application/postcard"
    )]
    UnsupportedContentType {
        /// The header value.
        content_type: String,
    },
    /// The body is not a valid message of the expected type.
    #[error("the body is not a valid {format} {message}: {reason}")]
    Malformed {
        /// The message type.
        message: &'static str,
        /// `postcard` or `JSON`.
        format: &'static str,
        /// What the decoder said.
        reason: String,
    },
    /// A postcard body has bytes after the message.
    #[error("the body holds {count} bytes after the end of the {message}")]
    TrailingBytes {
        /// The message type.
        message: &'static str,
        /// How many bytes are left over.
        count: usize,
    },
    /// A message could not be encoded.
    #[error("could not encode {message}: {reason}")]
    Encode {
        /// The message type.
        message: &'static str,
        /// What the encoder said.
        reason: String,
    },
}

impl CodecError {
    /// The wire code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            CodecError::TooLarge { .. } => ErrorCode::TooLarge,
            CodecError::UnsupportedSchemaVersion { .. }
            | CodecError::MalformedSchemaVersion { .. }
            | CodecError::UnsupportedContentType { .. }
            | CodecError::Malformed { .. }
            | CodecError::TrailingBytes { .. } => ErrorCode::Invalid,
            CodecError::Encode { .. } => ErrorCode::Internal,
        }
    }
}
