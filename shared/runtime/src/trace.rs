//! Trace context across NATS: a span continues the trace named by a message's `traceparent`,
//! and whatever the span sends on (a request, an event, a saga step) carries the span's own.
//!
//! Spans are `tracing` spans. [`telemetry`](crate::telemetry) gives each one its trace and span
//! ID: the OpenTelemetry layer when spans are exported, else the far cheaper
//! [`span_ids`](crate::span_ids) layer; log lines show the IDs either way. Without either (a
//! test binary that installs no subscriber) nothing is continued and nothing is sent on:
//! tracing is never a reason for a request to fail.

use async_nats::HeaderMap;
use bikestore_contracts::trace_context::TraceParent;
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::header_name;

/// Makes `span` continue the trace `traceparent` names; a missing or malformed one leaves it
/// the root of a new trace. Call it before the span is first entered.
pub fn continue_trace(span: &Span, traceparent: Option<&str>) {
    let Some(parent) = traceparent.and_then(TraceParent::parse) else {
        return;
    };
    // The span-ID layer, when it gives spans their IDs, takes the trace without the
    // OpenTelemetry context (a few allocations) that the exporting layer needs.
    if crate::span_ids::adopt(span, parent) {
        return;
    }
    let remote = SpanContext::new(
        TraceId::from_bytes(parent.trace_id),
        SpanId::from_bytes(parent.span_id),
        TraceFlags::new(parent.flags),
        true,
        TraceState::default(),
    );
    // Refused when the OpenTelemetry layer is not installed either or the span already
    // started (there is no trace to continue).
    let _ = span.set_parent(opentelemetry::Context::new().with_remote_span_context(remote));
}

/// Makes `span` continue the trace of a message's `traceparent` header.
pub fn continue_from_headers(span: &Span, message_headers: Option<&HeaderMap>) {
    let traceparent = message_headers
        .and_then(|map| map.get(header_name::TRACEPARENT))
        .map(|value| value.as_str());
    continue_trace(span, traceparent);
}

/// The `traceparent` that names `span` as the parent of what it sends; `None` without a layer
/// that gives spans IDs.
pub fn traceparent_of(span: &Span) -> Option<String> {
    ids_of(span).map(|ids| ids.to_string())
}

/// `span`'s own place in its trace, from whichever layer gives spans IDs.
pub fn ids_of(span: &Span) -> Option<TraceParent> {
    if let Some(ids) = crate::span_ids::ids_of(span) {
        return Some(ids);
    }
    exported_ids(&span.context())
}

/// The place in its trace of the span an OpenTelemetry `context` holds, if it is valid.
pub(crate) fn exported_ids(context: &opentelemetry::Context) -> Option<TraceParent> {
    let span_context = context.span().span_context().clone();
    span_context.is_valid().then(|| TraceParent {
        trace_id: span_context.trace_id().to_bytes(),
        span_id: span_context.span_id().to_bytes(),
        flags: span_context.trace_flags().to_u8(),
    })
}

/// The `traceparent` of the span the caller is in.
pub fn current() -> Option<String> {
    traceparent_of(&Span::current())
}
