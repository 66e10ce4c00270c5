//! Why the gateway refused or could not serve a request, and each reason's wire code.
//!
//! Messages say what was wrong in general terms; they never echo a token, a signature, a key or
//! anything else the caller sent.

use std::collections::BTreeMap;

use bikestore_auth::AuthError;
use bikestore_codec::CodecError;
use bikestore_contracts::{ErrorCode, WireError, gateway};
use bikestore_runtime::ServiceError;

/// A refused or failed request at the gateway.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The subject names no operation the gateway serves.
    #[error("no such operation")]
    NoSuchOperation,
    /// A signed request lacks a header it needs (the `Authorization`, a timestamp, ...).
    #[error("the request is not signed: {header} is missing or unreadable")]
    Unsigned {
        /// The missing header's name.
        header: &'static str,
    },
    /// The token or the request signature did not verify.
    #[error("{}", auth_message(.0))]
    Credentials(#[source] AuthError),
    /// The nonce was already used within the time window.
    #[error("the request was already seen (replayed nonce)")]
    Replayed,
    /// The member of staff is deactivated or no longer exists.
    #[error("the member of staff is not active")]
    Inactive,
    /// The token's login session ended (logout, deactivation, a new password).
    #[error("the session has ended; log in again")]
    SessionEnded,
    /// The role or store does not allow this operation.
    #[error("not allowed: {reason}")]
    Forbidden {
        /// Which rule refused, in general terms.
        reason: &'static str,
    },
    /// A line's discount is larger than the caller's role may give.
    #[error("line {line}: a {requested}% discount is over your role's limit of {limit}%")]
    DiscountOverLimit {
        /// The line, from 1.
        line: usize,
        /// The discount asked for.
        requested: u8,
        /// The role's limit.
        limit: u8,
    },
    /// A sale names another member of staff as its seller than the caller.
    #[error("not allowed: the seller (staff_id) must be yourself")]
    SellerNotCaller,
    /// The caller sent more requests than a rate budget allows (which one, for the audit).
    #[error("too many requests; slow down and retry shortly")]
    RateLimited(crate::rate::Refused),
    /// The replay memory is full of unexpired nonces; the gateway refuses rather than forgets.
    #[error("the gateway is overloaded; retry shortly")]
    Overloaded,
    /// The body of a request the gateway reads (its store, IDs or list filter) could not be read.
    #[error("the request body could not be read: {0}")]
    Unreadable(#[source] CodecError),
    /// Identity could not be asked about the caller or its keys.
    #[error("identity could not be reached: {0}")]
    Identity(#[source] WireError),
    /// The ID the request names is unknown or belongs to another store; both read the same, so
    /// a member cannot learn what other stores hold.
    #[error("no such {what} in your store")]
    NotInYourStore {
        /// The kind of record (`order`, `saga`, `payment`).
        what: &'static str,
    },
    /// The service keeping the named record could not say which store owns it.
    #[error("the record's store could not be read: {0}")]
    OwnerUnknown(#[source] WireError),
}

impl GatewayError {
    /// Why the gateway refused, as a metrics label: one stable name per kind of refusal.
    pub fn reason(&self) -> &'static str {
        match self {
            GatewayError::NoSuchOperation => "no_such_operation",
            GatewayError::Unsigned { .. } => "unsigned",
            GatewayError::Credentials(_) => "credentials",
            GatewayError::Replayed => "replayed",
            GatewayError::Inactive => "inactive",
            GatewayError::SessionEnded => "session_ended",
            GatewayError::Forbidden { .. } => "forbidden",
            GatewayError::DiscountOverLimit { .. } => "discount_over_limit",
            GatewayError::SellerNotCaller => "seller_not_caller",
            GatewayError::RateLimited(_) => "rate_limited",
            GatewayError::Overloaded => "overloaded",
            GatewayError::Unreadable(_) => "unreadable",
            GatewayError::Identity(_) => "identity_unreachable",
            GatewayError::NotInYourStore { .. } => "not_in_your_store",
            GatewayError::OwnerUnknown(_) => "owner_unknown",
        }
    }
}

fn auth_message(error: &AuthError) -> &'static str {
    match error {
        AuthError::BadSignature => "the token or request signature does not verify",
        AuthError::Expired { .. } => "the access token has expired",
        AuthError::UnknownKey { .. } => "the access token was signed by an unknown key",
        AuthError::Malformed { .. } => "the access token or request signature is malformed",
        AuthError::WrongSession => "the request was signed by another session",
        AuthError::StaleTimestamp { .. } => "the request timestamp is outside the allowed window",
        AuthError::NotYetValid => "the access token is not valid yet",
        AuthError::Randomness(_) => "internal error",
        // The gateway makes caller assertions and never checks one.
        AuthError::AssertionMissing
        | AuthError::AssertionExpired { .. }
        | AuthError::AssertionForAnotherOperation
        | AuthError::AssertionForAnotherBody => "the caller assertion is refused",
    }
}

impl ServiceError for GatewayError {
    fn code(&self) -> ErrorCode {
        match self {
            GatewayError::NoSuchOperation => ErrorCode::NotFound,
            GatewayError::Unsigned { .. }
            | GatewayError::Replayed
            | GatewayError::Inactive
            | GatewayError::SessionEnded => ErrorCode::Unauthorized,
            GatewayError::Credentials(error) => error.code(),
            GatewayError::Forbidden { .. }
            | GatewayError::DiscountOverLimit { .. }
            | GatewayError::SellerNotCaller => ErrorCode::Forbidden,
            GatewayError::RateLimited(_) => ErrorCode::RateLimited,
            GatewayError::Overloaded => ErrorCode::Unavailable,
            GatewayError::Unreadable(error) => error.code(),
            GatewayError::Identity(error) | GatewayError::OwnerUnknown(error)
                if error.code.is_transient() =>
            {
                error.code
            }
            GatewayError::Identity(_) | GatewayError::OwnerUnknown(_) => ErrorCode::Unavailable,
            GatewayError::NotInYourStore { .. } => ErrorCode::NotFound,
        }
    }

    fn details(&self) -> BTreeMap<String, String> {
        match self {
            GatewayError::DiscountOverLimit { limit, .. } => {
                return BTreeMap::from([
                    (
                        gateway::FIELD_DETAIL.to_owned(),
                        "lines.discount_percent".to_owned(),
                    ),
                    (gateway::LIMIT_PERCENT_DETAIL.to_owned(), limit.to_string()),
                ]);
            }
            GatewayError::SellerNotCaller => {
                return BTreeMap::from([(gateway::FIELD_DETAIL.to_owned(), "staff_id".to_owned())]);
            }
            _ => {}
        }
        let refusal = match self {
            GatewayError::Credentials(AuthError::Expired { .. }) => gateway::REFUSAL_TOKEN_EXPIRED,
            GatewayError::SessionEnded => gateway::REFUSAL_SESSION_ENDED,
            _ => return BTreeMap::new(),
        };
        BTreeMap::from([(gateway::REFUSAL_DETAIL.to_owned(), refusal.to_owned())])
    }
}
