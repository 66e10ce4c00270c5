//! The JSON log line every service writes: the trace and span ID first, so
//! `grep '"trace_id":"<id>"'` finds one user action in every service's log, then the line
//! exactly as tracing-subscriber's JSON format writes it (`timestamp`, `level`, `fields`,
//! `target`, the current `span` and the `spans` from root to leaf).
//!
//! It writes the line straight into the layer's buffer. tracing-subscriber's own format parses
//! each span's recorded fields back from JSON on every line to add the span's name to them;
//! those fields are a JSON object already, so here the name is spliced in as text, which is
//! most of what a log line cost on the hot path.

use std::fmt;

use bikestore_contracts::trace_context::TraceParent;
use opentelemetry::trace::TraceContextExt;
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::{LookupSpan, SpanRef};

/// The event format of the JSON log files; see the module documentation.
pub struct JsonLines;

impl<S> FormatEvent<S, JsonFields> for JsonLines
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
{
    fn format_event(
        &self,
        context: &FmtContext<'_, S, JsonFields>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        writer.write_char('{')?;
        if let Some(ids) = context.lookup_current().and_then(|span| ids_of(&span)) {
            write!(
                writer,
                "\"trace_id\":\"{}\",\"span_id\":\"{}\",",
                ids.trace_id_hex(),
                ids.span_id_hex()
            )?;
        }
        writer.write_str("\"timestamp\":\"")?;
        SystemTime.format_time(&mut writer)?;
        let metadata = event.metadata();
        write!(writer, "\",\"level\":\"{}\",\"fields\":", metadata.level())?;
        JsonFields::new().format_fields(writer.by_ref(), event)?;
        writer.write_str(",\"target\":")?;
        write_json_string(&mut writer, metadata.target())?;
        let current = event
            .parent()
            .and_then(|id| context.span(id))
            .or_else(|| context.lookup_current());
        if let Some(current) = current {
            writer.write_str(",\"span\":")?;
            write_span(&mut writer, &current)?;
            writer.write_str(",\"spans\":[")?;
            if let Some(leaf) = context.lookup_current() {
                for (index, span) in leaf.scope().from_root().enumerate() {
                    if index > 0 {
                        writer.write_char(',')?;
                    }
                    write_span(&mut writer, &span)?;
                }
            }
            writer.write_char(']')?;
        }
        writer.write_str("}\n")
    }
}

/// The IDs a span was given: by the span-ID layer, else by the OpenTelemetry layer.
fn ids_of<S>(span: &SpanRef<'_, S>) -> Option<TraceParent>
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
{
    if let Some(ids) = span.extensions().get::<TraceParent>().copied() {
        return Some(ids);
    }
    let exported = tracing::dispatcher::get_default(|dispatch| {
        tracing_opentelemetry::get_otel_context(&span.id(), dispatch)
    })?;
    let span_context = exported.span().span_context().clone();
    span_context.is_valid().then(|| TraceParent {
        trace_id: span_context.trace_id().to_bytes(),
        span_id: span_context.span_id().to_bytes(),
        flags: span_context.trace_flags().to_u8(),
    })
}

/// A span as an object of its recorded fields and its `name`. The fields were recorded as a
/// JSON object (`{"key":value,...}`); its members are copied as they are.
fn write_span<S>(writer: &mut Writer<'_>, span: &SpanRef<'_, S>) -> fmt::Result
where
    S: for<'lookup> LookupSpan<'lookup>,
{
    writer.write_char('{')?;
    let extensions = span.extensions();
    let members = extensions
        .get::<FormattedFields<JsonFields>>()
        .and_then(|fields| fields.fields.strip_prefix('{')?.strip_suffix('}'))
        .filter(|members| !members.is_empty());
    if let Some(members) = members {
        writer.write_str(members)?;
        writer.write_char(',')?;
    }
    writer.write_str("\"name\":")?;
    write_json_string(writer, span.metadata().name())?;
    writer.write_char('}')
}

/// `text` as a JSON string, escaped as serde_json escapes it.
fn write_json_string(writer: &mut Writer<'_>, text: &str) -> fmt::Result {
    let plain = |byte: u8| byte >= 0x20 && byte != b'"' && byte != b'\\';
    if text.bytes().all(plain) {
        return write!(writer, "\"{text}\"");
    }
    let escaped = serde_json::to_string(text).map_err(|_| fmt::Error)?;
    writer.write_str(&escaped)
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::fmt::MakeWriter;
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    /// Lines written, shared with the test.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'writer> MakeWriter<'writer> for Captured {
        type Writer = Captured;

        fn make_writer(&'writer self) -> Captured {
            self.clone()
        }
    }

    impl Captured {
        fn lines(&self) -> Vec<serde_json::Value> {
            let bytes = self
                .0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            String::from_utf8_lossy(&bytes)
                .lines()
                .map(|line| serde_json::from_str(line).expect("every line is JSON"))
                .collect()
        }
    }

    #[test]
    fn a_line_is_tracing_subscribers_json_line_with_the_trace_and_span_id_first() {
        let ours = Captured::default();
        let stock = Captured::default();
        let subscriber = tracing_subscriber::registry()
            .with(crate::span_ids::SpanIds)
            .with(
                tracing_subscriber::fmt::layer()
                    .fmt_fields(JsonFields::new())
                    .event_format(JsonLines)
                    .with_writer(ours.clone()),
            )
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_writer(stock.clone()),
            );
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!("outside any span");
            let request = tracing::info_span!("request", service = "orders", attempt = 2_u32);
            let _request = request.enter();
            let command = tracing::info_span!(
                "command",
                note = "a \"quoted\"\nline",
                empty = tracing::field::Empty
            );
            command.record("empty", true);
            let _command = command.enter();
            tracing::warn!(count = 3, ratio = 0.5, error = ?Some("x"), "in \"both\" spans");
            let bare = tracing::info_span!("bare");
            bare.in_scope(|| tracing::error!(target: "a::target", "in a span without fields"));
        });
        let (ours, stock) = (ours.lines(), stock.lines());
        assert_eq!(ours.len(), 3);
        assert_eq!(ours.len(), stock.len());
        for (mut our_line, mut stock_line) in ours.into_iter().zip(stock) {
            let our_object = our_line.as_object_mut().expect("an object");
            if our_object.contains_key("span") {
                let trace_id = our_object.remove("trace_id").expect("a trace ID in a span");
                let span_id = our_object.remove("span_id").expect("a span ID in a span");
                assert_eq!(trace_id.as_str().map(str::len), Some(32));
                assert_eq!(span_id.as_str().map(str::len), Some(16));
            }
            for line in [&mut our_line, &mut stock_line] {
                line.as_object_mut()
                    .and_then(|object| object.remove("timestamp"));
            }
            assert_eq!(our_line, stock_line);
        }
    }

    #[test]
    fn the_trace_and_span_id_come_before_every_other_key() {
        let ours = Captured::default();
        let subscriber = tracing_subscriber::registry()
            .with(crate::span_ids::SpanIds)
            .with(
                tracing_subscriber::fmt::layer()
                    .fmt_fields(JsonFields::new())
                    .event_format(JsonLines)
                    .with_writer(ours.clone()),
            );
        tracing::subscriber::with_default(subscriber, || {
            tracing::info_span!("request").in_scope(|| tracing::info!("hello"));
        });
        let bytes = ours
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.starts_with("{\"trace_id\":\""), "{text}");
        assert!(text.ends_with("}\n"), "{text}");
    }
}
