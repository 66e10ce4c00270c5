//! Trace and span IDs for every span when no span is exported: a span extension a few
//! nanoseconds cheap, where the OpenTelemetry layer would build, sample and drop a whole span.
//!
//! [`SpanIds`] gives each new span a random span ID and its parent's trace ID (a root gets a new
//! trace); [`crate::trace::continue_trace`] puts a remote parent's trace in place before the span
//! is entered. Log lines and outgoing `traceparent`s read the IDs back through [`ids_of`].
//! Services that export (OpenTelemetry's IDs) and services that do not (these) continue each
//! other's traces through `traceparent` alike.

use std::cell::Cell;

use bikestore_contracts::trace_context::{SAMPLED, TraceParent};
use tracing::span::{Attributes, Id};
use tracing::{Span, Subscriber};
use tracing_subscriber::Registry;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// The layer that gives every span its [`TraceParent`] (its own span ID) as an extension.
pub struct SpanIds;

impl<S> Layer<S> for SpanIds
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
{
    fn on_new_span(&self, _attributes: &Attributes<'_>, id: &Id, context: Context<'_, S>) {
        let Some(span) = context.span(id) else {
            return;
        };
        let inherited = span
            .parent()
            .and_then(|parent| parent.extensions().get::<TraceParent>().copied());
        let ids = match inherited {
            Some(parent) => TraceParent {
                span_id: random_id(),
                ..parent
            },
            None => new_root(),
        };
        span.extensions_mut().insert(ids);
    }
}

/// The IDs [`SpanIds`] gave `span` (the span itself as the parent of what it sends); `None`
/// when the layer is not installed.
pub fn ids_of(span: &Span) -> Option<TraceParent> {
    span.with_subscriber(|(id, dispatch)| {
        let registry = dispatch.downcast_ref::<Registry>()?;
        let data = registry.span(id)?;
        data.extensions().get::<TraceParent>().copied()
    })
    .flatten()
}

/// Moves `span` into the trace of `remote`, its parent in another process; false when the
/// span has no IDs of this layer's to move (the layer is not installed).
pub fn adopt(span: &Span, remote: TraceParent) -> bool {
    span.with_subscriber(|(id, dispatch)| {
        if let Some(data) = dispatch
            .downcast_ref::<Registry>()
            .and_then(|registry| registry.span(id))
            && let Some(ids) = data.extensions_mut().get_mut::<TraceParent>()
        {
            ids.trace_id = remote.trace_id;
            ids.flags = remote.flags;
            return true;
        }
        false
    })
    .unwrap_or(false)
}

fn new_root() -> TraceParent {
    let mut trace_id = [0_u8; 16];
    trace_id[..8].copy_from_slice(&random_id());
    trace_id[8..].copy_from_slice(&random_id());
    TraceParent {
        trace_id,
        span_id: random_id(),
        flags: SAMPLED,
    }
}

/// Eight random bytes, never all zeros: splitmix64 over a per-thread state seeded from the
/// operating system, so a span costs no system call.
fn random_id() -> [u8; 8] {
    thread_local! {
        static STATE: Cell<u64> = Cell::new(u64::from_le_bytes(TraceParent::new_root().span_id));
    }
    let value = STATE.with(|state| {
        let next = state.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        state.set(next);
        let mut mixed = next;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        mixed ^ (mixed >> 31)
    });
    value.max(1).to_le_bytes()
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    #[test]
    fn children_share_their_parents_trace_and_a_remote_parent_is_adopted() {
        let subscriber = tracing_subscriber::registry().with(SpanIds);
        tracing::subscriber::with_default(subscriber, || {
            let root = tracing::info_span!("root");
            let root_ids = ids_of(&root).expect("a root has IDs");
            assert!(root_ids.is_valid());
            let child = root.in_scope(|| tracing::info_span!("child"));
            let child_ids = ids_of(&child).expect("a child has IDs");
            assert_eq!(child_ids.trace_id, root_ids.trace_id);
            assert_ne!(child_ids.span_id, root_ids.span_id);

            let remote = TraceParent::new_root();
            let continued = tracing::info_span!("continued");
            adopt(&continued, remote);
            let grandchild = continued.in_scope(|| tracing::info_span!("grandchild"));
            assert_eq!(
                ids_of(&continued).map(|ids| ids.trace_id),
                Some(remote.trace_id)
            );
            assert_eq!(
                ids_of(&grandchild).map(|ids| ids.trace_id),
                Some(remote.trace_id)
            );
            assert_ne!(
                ids_of(&continued).map(|ids| ids.span_id),
                Some(remote.span_id)
            );
        });
    }

    #[test]
    fn without_the_layer_a_span_has_no_ids() {
        let subscriber = tracing_subscriber::registry();
        tracing::subscriber::with_default(subscriber, || {
            assert_eq!(ids_of(&tracing::info_span!("plain")), None);
        });
    }
}
