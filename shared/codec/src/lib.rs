//! Encoding and decoding of contract messages, with no IO.
//!
//! Postcard is the default format; JSON is used when a request says
//! `Content-Type: application/json`, and the reply then follows it. Every decode checks the size
//! limit first and the schema version second, so a body of another version is refused with a
//! clear [`CodecError`] rather than misread. Trailing bytes after a postcard body are refused too:
//! a body is either exactly one message or an error.
#![warn(missing_docs)]

mod error;

pub use error::CodecError;

use bikestore_contracts::headers::{CONTENT_TYPE_JSON, CONTENT_TYPE_POSTCARD};
use bikestore_contracts::{ErrorCode, Message, WireError};

/// The default request-size limit: 64 KiB is far above any legitimate Bikestore request.
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 64 * 1024;

/// The body formats Bikestore speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContentType {
    /// Compact binary, the default between services.
    #[default]
    Postcard,
    /// For operators with the NATS CLI, and for anything readable.
    Json,
}

impl ContentType {
    /// Reads a `Content-Type` header value; postcard when the header is absent.
    pub fn from_header(value: Option<&str>) -> Result<ContentType, CodecError> {
        let Some(value) = value else {
            return Ok(ContentType::Postcard);
        };
        // Parameters such as `; charset=utf-8` do not change the format.
        let media_type = value.split(';').next().unwrap_or_default().trim();
        if media_type.eq_ignore_ascii_case(CONTENT_TYPE_JSON) {
            Ok(ContentType::Json)
        } else if media_type.eq_ignore_ascii_case(CONTENT_TYPE_POSTCARD) || media_type.is_empty() {
            Ok(ContentType::Postcard)
        } else {
            Err(CodecError::UnsupportedContentType {
                content_type: value.to_owned(),
            })
        }
    }

    /// The header value naming this format.
    pub fn header_value(self) -> &'static str {
        match self {
            ContentType::Postcard => CONTENT_TYPE_POSTCARD,
            ContentType::Json => CONTENT_TYPE_JSON,
        }
    }
}

/// Encodes a message in the given format.
pub fn encode<M: Message>(content_type: ContentType, message: &M) -> Result<Vec<u8>, CodecError> {
    let result = match content_type {
        ContentType::Postcard => postcard::to_stdvec(message).map_err(|source| source.to_string()),
        ContentType::Json => serde_json::to_vec(message).map_err(|source| source.to_string()),
    };
    result.map_err(|reason| CodecError::Encode {
        message: M::NAME,
        reason,
    })
}

/// Encodes a wire error; it cannot fail, since the error type is plain strings and a code.
pub fn encode_error(content_type: ContentType, error: &WireError) -> Vec<u8> {
    let encoded = match content_type {
        ContentType::Postcard => postcard::to_stdvec(error).ok(),
        ContentType::Json => serde_json::to_vec(error).ok(),
    };
    encoded.unwrap_or_default()
}

/// Reads a schema-version header value; absent means "the current version".
pub fn schema_version_from_header(value: Option<&str>) -> Result<Option<u16>, CodecError> {
    value
        .map(|text| {
            text.trim()
                .parse::<u16>()
                .map_err(|_| CodecError::MalformedSchemaVersion {
                    value: text.chars().take(32).collect(),
                })
        })
        .transpose()
}

/// Decodes a message, checking size, schema version and format.
pub fn decode<M: Message>(
    content_type: ContentType,
    schema_version: Option<u16>,
    body: &[u8],
    max_bytes: usize,
) -> Result<M, CodecError> {
    if body.len() > max_bytes {
        return Err(CodecError::TooLarge {
            size: body.len(),
            limit: max_bytes,
        });
    }
    if let Some(version) = schema_version
        && version != M::SCHEMA_VERSION
    {
        return Err(CodecError::UnsupportedSchemaVersion {
            message: M::NAME,
            received: version,
            supported: M::SCHEMA_VERSION,
        });
    }
    match content_type {
        ContentType::Postcard => {
            let (message, rest) =
                postcard::take_from_bytes::<M>(body).map_err(|source| CodecError::Malformed {
                    message: M::NAME,
                    format: "postcard",
                    reason: source.to_string(),
                })?;
            if rest.is_empty() {
                Ok(message)
            } else {
                Err(CodecError::TrailingBytes {
                    message: M::NAME,
                    count: rest.len(),
                })
            }
        }
        ContentType::Json => serde_json::from_slice(body).map_err(|source| CodecError::Malformed {
            message: M::NAME,
            format: "JSON",
            reason: redact_long_numbers(&source.to_string()),
        }),
    }
}

/// Decodes a wire error body; a body that is not one becomes an `internal` error saying so.
pub fn decode_error(content_type: ContentType, body: &[u8]) -> WireError {
    let decoded = match content_type {
        ContentType::Postcard => postcard::from_bytes::<WireError>(body).ok(),
        ContentType::Json => serde_json::from_slice::<WireError>(body).ok(),
    };
    decoded.unwrap_or_else(|| {
        WireError::new(
            ErrorCode::Internal,
            "the service answered with an error this client could not read",
        )
    })
}

/// Masks every run of eight or more digits. A JSON error may quote the value it could not
/// read, and that value may be a card number sent as a number: error messages go to callers
/// and logs, so no such run may survive in them.
fn redact_long_numbers(text: &str) -> String {
    let mut redacted = String::with_capacity(text.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, redacted: &mut String| {
        if digits.len() >= 8 {
            redacted.push_str("[redacted number]");
        } else {
            redacted.push_str(digits);
        }
        digits.clear();
    };
    for character in text.chars() {
        if character.is_ascii_digit() {
            digits.push(character);
        } else {
            flush(&mut digits, &mut redacted);
            redacted.push(character);
        }
    }
    flush(&mut digits, &mut redacted);
    redacted
}

#[cfg(test)]
mod tests;
