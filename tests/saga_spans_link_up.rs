//! The spans of one place-order saga, caught by an in-memory exporter, link up as one tree: the
//! gateway's public request continues the console's trace, the orchestrator's intake is its
//! child, every saga step is a child of the intake (whichever driver runs it), every
//! participant's request is a child of a step, and notifications handles each event it causes
//! as a child of the participant request that emitted it.
#![allow(clippy::unwrap_used)]

#[path = "support/console_sale.rs"]
mod console_sale;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bikestore_harness::System;
use bikestore_testkit::eventually;
use console_sale::sell_one_at_the_console;
use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};

const WAIT: Duration = Duration::from_secs(30);

/// Keeps every span it is handed.
#[derive(Debug, Clone, Default)]
struct InMemorySpans(Arc<Mutex<Vec<SpanData>>>);

impl SpanExporter for InMemorySpans {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        if let Ok(mut spans) = self.0.lock() {
            spans.extend(batch);
        }
        Ok(())
    }
}

impl InMemorySpans {
    fn of_trace(&self, trace_id: TraceId) -> Vec<SpanData> {
        self.0
            .lock()
            .map(|spans| {
                spans
                    .iter()
                    .filter(|span| span.span_context.trace_id() == trace_id)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn attribute(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|attribute| attribute.key.as_str() == key)
        .map(|attribute| attribute.value.as_str().into_owned())
}

fn named<'a>(spans: &'a [SpanData], name: &'a str) -> impl Iterator<Item = &'a SpanData> {
    spans.iter().filter(move |span| span.name == name)
}

fn span_ids<'a>(spans: impl Iterator<Item = &'a SpanData>) -> Vec<SpanId> {
    spans.map(|span| span.span_context.span_id()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_sagas_spans_form_one_tree_from_the_console_to_its_notifications() {
    let exported = InMemorySpans::default();
    let logs = tempfile::tempdir().unwrap();
    let _telemetry = bikestore_runtime::telemetry::init_with_exporter(
        "test",
        logs.path(),
        false,
        exported.clone(),
    )
    .unwrap();
    let system = System::builder()
        .seeded()
        .all_services()
        .start()
        .await
        .unwrap();
    let traceparent = sell_one_at_the_console(&system).await.unwrap();
    let trace_id = TraceId::from_bytes(traceparent.trace_id);

    // Notifications handles the order's events after the saga answered; wait for its spans.
    let spans = eventually("the notifications' spans", WAIT, async || {
        let spans = exported.of_trace(trace_id);
        spans
            .iter()
            .any(|span| {
                span.name == "event"
                    && attribute(span, "consumer").is_some_and(|c| c.contains("notifications"))
            })
            .then_some(spans)
    })
    .await
    .unwrap();

    let gateway: Vec<&SpanData> = named(&spans, "public_request")
        .filter(|span| attribute(span, "subject").is_some_and(|s| s.ends_with("place_order")))
        .collect();
    assert_eq!(gateway.len(), 1, "one gateway span for the order");
    let gateway = gateway[0];
    assert!(
        gateway.parent_span_is_remote,
        "the gateway continues the console's trace"
    );

    let intake: Vec<&SpanData> = named(&spans, "place_order").collect();
    assert_eq!(intake.len(), 1, "one intake span");
    let intake = intake[0];
    assert_eq!(
        intake.parent_span_id,
        gateway.span_context.span_id(),
        "the intake is the gateway's child"
    );

    let steps: Vec<&SpanData> = named(&spans, "saga_step").collect();
    assert!(steps.len() >= 4, "a span per step: {}", steps.len());
    for step in &steps {
        assert_eq!(
            step.parent_span_id,
            intake.span_context.span_id(),
            "a saga step is the intake's child"
        );
    }
    let step_ids = span_ids(steps.iter().copied());

    let participants = [
        "create_order",
        "reserve_stock",
        "authorize_with_token",
        "capture_payment",
        "commit_reservation",
        "change_order_status",
    ];
    let mut participant_ids = Vec::new();
    for operation in participants {
        let served: Vec<&SpanData> = named(&spans, operation).collect();
        assert!(
            !served.is_empty(),
            "no span of {operation} among {:?}",
            spans.iter().map(|span| &span.name).collect::<Vec<_>>()
        );
        for span in served {
            assert!(
                step_ids.contains(&span.parent_span_id),
                "{operation} is not a saga step's child"
            );
            participant_ids.push(span.span_context.span_id());
        }
    }

    // Each event notifications handled descends from the participant request that emitted it
    // (through the handler's own span inside that request).
    let parent_of = |id: SpanId| {
        spans
            .iter()
            .find(|span| span.span_context.span_id() == id)
            .map(|span| span.parent_span_id)
    };
    let notified: Vec<&SpanData> = named(&spans, "event")
        .filter(|span| attribute(span, "consumer").is_some_and(|c| c.contains("notifications")))
        .collect();
    assert!(
        !notified.is_empty(),
        "notifications handled no event of the saga"
    );
    for event in &notified {
        let mut ancestor = Some(event.parent_span_id);
        let mut hops = 0;
        while let Some(id) = ancestor.filter(|id| !participant_ids.contains(id) && hops < 8) {
            ancestor = parent_of(id);
            hops += 1;
        }
        assert!(
            ancestor.is_some_and(|id| participant_ids.contains(&id)),
            "an event notifications handled does not descend from a participant's request: {:?}",
            attribute(event, "subject")
        );
    }
    system.stop().await.unwrap();
}
