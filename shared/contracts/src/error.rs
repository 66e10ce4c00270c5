//! The wire error every reply may carry instead of its result, and its stable codes.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The stable, machine-readable code of a [`WireError`].
///
/// Callers branch on this, never on message text. A code is never renamed or reused; new codes
/// go at the end, because postcard encodes a variant by its position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The thing asked for does not exist.
    NotFound,
    /// The request is malformed or breaks a validation rule.
    Invalid,
    /// The caller is not authenticated.
    Unauthorized,
    /// The caller is authenticated but not allowed to do this.
    Forbidden,
    /// The request clashes with the current state (a duplicate, an illegal state move).
    Conflict,
    /// Not enough stock is available for the request.
    InsufficientStock,
    /// The payment provider refused the payment.
    PaymentDeclined,
    /// A dependency is unreachable or overloaded; retrying later may succeed.
    Unavailable,
    /// A bug or an unexpected failure inside the service.
    Internal,
    /// The request is larger than the service accepts.
    TooLarge,
    /// The request did not finish in time.
    Timeout,
    /// The caller sent too many requests too quickly; retrying a little later may succeed.
    RateLimited,
}

impl ErrorCode {
    /// Every code, in wire order.
    pub const ALL: [ErrorCode; 12] = [
        ErrorCode::NotFound,
        ErrorCode::Invalid,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::Conflict,
        ErrorCode::InsufficientStock,
        ErrorCode::PaymentDeclined,
        ErrorCode::Unavailable,
        ErrorCode::Internal,
        ErrorCode::TooLarge,
        ErrorCode::Timeout,
        ErrorCode::RateLimited,
    ];

    /// The snake_case name used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NotFound => "not_found",
            ErrorCode::Invalid => "invalid",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::Conflict => "conflict",
            ErrorCode::InsufficientStock => "insufficient_stock",
            ErrorCode::PaymentDeclined => "payment_declined",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::Timeout => "timeout",
            ErrorCode::RateLimited => "rate_limited",
        }
    }

    /// Parses a wire name back into a code.
    pub fn from_name(name: &str) -> Option<ErrorCode> {
        ErrorCode::ALL
            .into_iter()
            .find(|code| code.as_str() == name)
    }

    /// The HTTP-like status carried in the `Nats-Service-Error-Code` header, for operators who
    /// read replies with the NATS CLI.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::NotFound => 404,
            ErrorCode::Invalid => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::Conflict => 409,
            ErrorCode::InsufficientStock => 422,
            ErrorCode::PaymentDeclined => 402,
            ErrorCode::Unavailable => 503,
            ErrorCode::Internal => 500,
            ErrorCode::TooLarge => 413,
            ErrorCode::Timeout => 504,
            ErrorCode::RateLimited => 429,
        }
    }

    /// Whether a caller may retry the same request and hope for another outcome.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            ErrorCode::Unavailable | ErrorCode::Timeout | ErrorCode::RateLimited
        )
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// The error body of a failed request: `{code, message, details}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireError {
    /// The stable code to branch on.
    pub code: ErrorCode,
    /// A sentence for humans.
    pub message: String,
    /// Facts about the failure, such as the requested and available quantity.
    #[serde(default)]
    pub details: BTreeMap<String, String>,
}

impl WireError {
    /// An error with no details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> WireError {
        WireError {
            code,
            message: message.into(),
            details: BTreeMap::new(),
        }
    }

    /// Adds one detail.
    pub fn with_detail(mut self, key: impl Into<String>, value: impl ToString) -> WireError {
        self.details.insert(key.into(), value.to_string());
        self
    }
}

impl fmt::Display for WireError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for WireError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_its_name() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_name(code.as_str()), Some(code));
        }
        assert_eq!(ErrorCode::from_name("nope"), None);
    }
}
