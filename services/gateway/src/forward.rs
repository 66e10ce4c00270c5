//! Forwarding an admitted request to its service: a fresh header map with only what services
//! read (content type, schema version, idempotency key, trace context) plus the caller's
//! identity as the gateway established it, never as the caller claimed it, and for identity's
//! asserted operations the gateway's signed caller assertion. The body is the caller's, unless
//! the gateway forced a list to the caller's store (`scope`).

use async_nats::client::RequestErrorKind;
use async_nats::{HeaderMap, HeaderName, HeaderValue};
use bikestore_codec::ContentType;
use bikestore_contracts::trace_context::TraceParent;
use bikestore_contracts::{ErrorCode, WireError};
use bikestore_runtime::header_name;

use crate::pipeline::{Caller, transport_error};
use crate::table::Rule;
use crate::{Gateway, assertion};

/// The longest idempotency key or other copied header value accepted.
pub const MAX_HEADER_VALUE_CHARS: usize = 128;

/// Whether a caller's header value may be passed on: short, printable ASCII.
pub fn header_value_ok(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= MAX_HEADER_VALUE_CHARS
        && value.bytes().all(|byte| byte.is_ascii_graphic())
}

/// Sends `message`'s body to the rule's internal subject and waits for the reply.
pub async fn forward(
    gateway: &Gateway,
    rule: &Rule,
    message: &async_nats::Message,
    content_type: ContentType,
    caller: Option<&Caller>,
) -> Result<async_nats::Message, WireError> {
    let mut forwarded = forwarded_headers(message, content_type, caller)?;
    let subject = gateway.subjects.svc(rule.service, rule.operation);
    let payload = forwarded_body(message, caller);
    if assertion::asserted(rule) {
        let staff_id = caller.map(|caller| caller.access.claims.staff_id);
        assertion::attach(
            &gateway.assertion_key,
            staff_id,
            &subject,
            &payload,
            &mut forwarded,
        );
    }
    let request = async_nats::Request::new()
        .headers(forwarded)
        .payload(payload)
        .timeout(Some(gateway.forward_timeout));
    let reply = gateway.client.send_request(subject, request).await;
    let answered = match &reply {
        Ok(_) => Some(true),
        Err(error) if error.kind() == RequestErrorKind::NoResponders => Some(false),
        Err(_) => None,
    };
    if let Some(present) = answered {
        gateway.presence.set(rule.service, present);
    }
    reply.map_err(|error| transport_error(&error, rule.operation))
}

/// Sends `message`'s body to the rule's internal subject with the caller's own inbox as the
/// reply subject, so the service answers the caller straight, without a second trip through
/// the gateway. Only for queries: the gateway never learns their outcome.
pub async fn hand_over(
    gateway: &Gateway,
    rule: &Rule,
    message: &async_nats::Message,
    content_type: ContentType,
    caller: Option<&Caller>,
    reply_to: async_nats::Subject,
) -> Result<(), WireError> {
    let forwarded = forwarded_headers(message, content_type, caller)?;
    let subject = gateway.subjects.svc(rule.service, rule.operation);
    gateway
        .client
        .publish_with_reply_and_headers(
            subject,
            reply_to,
            forwarded,
            forwarded_body(message, caller),
        )
        .await
        .map_err(|_| {
            WireError::new(
                ErrorCode::Unavailable,
                format!("{} could not be reached", rule.operation),
            )
        })
}

/// The body a service receives: the caller's, or the one the gateway narrowed to the caller's
/// store.
fn forwarded_body(message: &async_nats::Message, caller: Option<&Caller>) -> bytes::Bytes {
    caller
        .and_then(|caller| caller.body.clone())
        .unwrap_or_else(|| message.payload.clone())
}

/// The headers a service receives: only what services read, and the caller as the gateway
/// established it.
fn forwarded_headers(
    message: &async_nats::Message,
    content_type: ContentType,
    caller: Option<&Caller>,
) -> Result<HeaderMap, WireError> {
    let header = |name: HeaderName| {
        message
            .headers
            .as_ref()
            .and_then(|map| map.get(name))
            .map(|value| value.as_str())
    };
    let mut forwarded = HeaderMap::new();
    forwarded.insert(header_name::CONTENT_TYPE, content_type.header_value());
    if let Some(version) =
        bikestore_codec::schema_version_from_header(header(header_name::SCHEMA_VERSION))
            .map_err(|error| WireError::new(error.code(), error.to_string()))?
    {
        forwarded.insert(header_name::SCHEMA_VERSION, HeaderValue::from(version));
    }
    if let Some(key) = header(header_name::IDEMPOTENCY_KEY) {
        if !header_value_ok(key) {
            return Err(WireError::new(
                ErrorCode::Invalid,
                format!(
                    "the idempotency key must be 1 to {MAX_HEADER_VALUE_CHARS} printable ASCII characters"
                ),
            ));
        }
        forwarded.insert(header_name::IDEMPOTENCY_KEY, key);
    }
    // The gateway's own span names the parent: it continues the caller's trace when the
    // caller sent a well-formed one.
    let traceparent = bikestore_runtime::trace::current()
        .or_else(|| {
            header(header_name::TRACEPARENT)
                .filter(|value| TraceParent::parse(value).is_some())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| TraceParent::new_root().to_string());
    forwarded.insert(header_name::TRACEPARENT, traceparent.as_str());
    if let Some(caller) = caller {
        forwarded.insert(
            header_name::CALLER_STAFF_ID,
            caller.access.claims.staff_id.to_string().as_str(),
        );
        forwarded.insert(header_name::CALLER_ROLE, caller.status.role.as_str());
        if let Some(store) = caller.status.store_id {
            forwarded.insert(header_name::CALLER_STORE_ID, store.to_string().as_str());
        }
    }
    Ok(forwarded)
}

/// A successful reply's body decoded as `M`; `None` for an error reply or one that does not
/// decode. For the few replies the gateway reads (a login's member, a customer read's rows).
pub fn decode_success<M: bikestore_contracts::Message>(reply: &async_nats::Message) -> Option<M> {
    let reply_headers = reply.headers.as_ref();
    if reply_headers.is_some_and(|map| map.get(header_name::NATS_SERVICE_ERROR).is_some()) {
        return None;
    }
    let content_type = ContentType::from_header(
        reply_headers
            .and_then(|map| map.get(header_name::CONTENT_TYPE))
            .map(|value| value.as_str()),
    )
    .unwrap_or_default();
    bikestore_codec::decode::<M>(content_type, None, &reply.payload, usize::MAX).ok()
}

/// The error a service's reply carries, if it is an error reply.
pub fn carried_error(reply: &async_nats::Message) -> Option<WireError> {
    let reply_headers = reply.headers.as_ref()?;
    reply_headers.get(header_name::NATS_SERVICE_ERROR)?;
    let content_type = ContentType::from_header(
        reply_headers
            .get(header_name::CONTENT_TYPE)
            .map(|value| value.as_str()),
    )
    .unwrap_or_default();
    Some(bikestore_codec::decode_error(content_type, &reply.payload))
}

#[cfg(test)]
mod tests {
    use bikestore_contracts::headers;

    use super::*;

    #[test]
    fn a_trace_context_is_passed_on_or_made_and_copied_values_are_checked() {
        let sent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let forwarded = |traceparent: &str| {
            let mut sent_headers = HeaderMap::new();
            sent_headers.insert(headers::TRACEPARENT, traceparent);
            let message = async_nats::Message {
                subject: "api".into(),
                reply: None,
                payload: bytes::Bytes::new(),
                headers: Some(sent_headers),
                status: None,
                description: None,
                length: 0,
            };
            let forwarded = forwarded_headers(&message, ContentType::Json, None).expect("forwards");
            forwarded
                .get(headers::TRACEPARENT)
                .map(|value| value.to_string())
                .expect("a trace context")
        };
        // Outside any span (no tracing layer here) the caller's well-formed one goes on as is.
        assert_eq!(forwarded(sent), sent);
        let made = forwarded("00-x-y-01");
        assert!(TraceParent::parse(&made).is_some(), "{made}");
        assert!(header_value_ok("order-42"));
        assert!(!header_value_ok("a b"));
        assert!(!header_value_ok(&"k".repeat(MAX_HEADER_VALUE_CHARS + 1)));
    }

    #[test]
    fn what_a_caller_claims_about_itself_or_the_gateway_never_passes() {
        let claimed = [
            headers::CALLER_STAFF_ID,
            headers::CALLER_ROLE,
            headers::CALLER_STORE_ID,
            headers::ASSERTION_SUBJECT,
            headers::ASSERTION_BODY_SHA256,
            headers::ASSERTION_EXPIRES,
            headers::ASSERTION_SIGNATURE,
        ];
        let mut sent = HeaderMap::new();
        for name in claimed {
            sent.insert(name, "1");
        }
        let message = async_nats::Message {
            subject: "api".into(),
            reply: None,
            payload: bytes::Bytes::new(),
            headers: Some(sent),
            status: None,
            description: None,
            length: 0,
        };
        let forwarded = forwarded_headers(&message, ContentType::Json, None).expect("forwards");
        for name in claimed {
            assert!(forwarded.get(name).is_none(), "{name} passed");
        }
    }
}
