//! The JSON log line every service writes: the trace and span ID first, so
//! `grep '"trace_id":"<id>"'` finds one user action in every service's log, then the line
//! exactly as tracing-subscriber's JSON format writes it (`timestamp`, `level`, `fields`,
//! `target`, the current `span` and the `spans` from root to leaf).
//!
//! A line costs a fraction of what tracing-subscriber's JSON format costs, which matters
//! because every request makes spans and most log a line: [`JsonText`] records fields as JSON
//! text as they are visited (tracing-subscriber's `JsonFields` gathers them in a map of
//! `serde_json` values first), and [`JsonLines`] writes the line straight into the layer's
//! buffer, splicing each span's recorded fields in as text where tracing-subscriber's format
//! parses them back on every line to add the span's name. A unit test holds the two formats
//! to the same JSON.

use std::fmt::{self, Write as _};

use bikestore_contracts::trace_context::TraceParent;
use tracing::field::{Field, Visit};
use tracing::span::Record;
use tracing::{Event, Subscriber};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::{LookupSpan, SpanRef};

/// The event format of the JSON log files; see the module documentation.
pub struct JsonLines;

impl<S> FormatEvent<S, JsonText> for JsonLines
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
{
    fn format_event(
        &self,
        context: &FmtContext<'_, S, JsonText>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        writer.write_char('{')?;
        if let Some(ids) = context.lookup_current().and_then(|span| ids_of(&span)) {
            let text = ids.text();
            writer.write_str("\"trace_id\":\"")?;
            writer.write_str(text.trace_id())?;
            writer.write_str("\",\"span_id\":\"")?;
            writer.write_str(text.span_id())?;
            writer.write_str("\",")?;
        }
        writer.write_str("\"timestamp\":\"")?;
        SystemTime.format_time(&mut writer)?;
        let metadata = event.metadata();
        write!(writer, "\",\"level\":\"{}\",\"fields\":", metadata.level())?;
        JsonText.format_fields(writer.by_ref(), event)?;
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
    crate::trace::exported_ids(&exported)
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
        .get::<FormattedFields<JsonText>>()
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

/// `text` as a JSON string.
fn write_json_string(writer: &mut dyn fmt::Write, text: &str) -> fmt::Result {
    writer.write_char('"')?;
    Escaped(writer).write_str(text)?;
    writer.write_char('"')
}

/// Writes what it is given as the inside of a JSON string.
struct Escaped<'a>(&'a mut dyn fmt::Write);

impl fmt::Write for Escaped<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let mut plain_from = 0;
        for (at, byte) in text.bytes().enumerate() {
            let escape = match byte {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0..=0x1f => "",
                _ => continue,
            };
            self.0.write_str(&text[plain_from..at])?;
            if escape.is_empty() {
                write!(self.0, "\\u{byte:04x}")?;
            } else {
                self.0.write_str(escape)?;
            }
            plain_from = at + 1;
        }
        self.0.write_str(&text[plain_from..])
    }
}

/// Fields as a JSON object (`{"key":value,...}`), written as they are recorded: the values
/// tracing-subscriber's `JsonFields` would give (numbers and booleans as they are, anything
/// else as the string of its `Debug`), without the map and the serializer it builds them in.
pub struct JsonText;

impl<'writer> FormatFields<'writer> for JsonText {
    fn format_fields<R: RecordFields>(
        &self,
        mut writer: Writer<'writer>,
        fields: R,
    ) -> fmt::Result {
        writer.write_char('{')?;
        let mut members = JsonMembers {
            writer: &mut writer,
            empty: true,
            result: Ok(()),
        };
        fields.record(&mut members);
        members.result?;
        writer.write_char('}')
    }

    /// Fields recorded after the span was made join the object: its closing brace gives way
    /// to them.
    fn add_fields(
        &self,
        current: &'writer mut FormattedFields<Self>,
        fields: &Record<'_>,
    ) -> fmt::Result {
        let had_members = current.fields.len() > 2;
        if current.fields.ends_with('}') {
            current.fields.pop();
        } else {
            current.fields.clear();
            current.fields.push('{');
        }
        let mut writer = current.as_writer();
        let mut members = JsonMembers {
            writer: &mut writer,
            empty: !had_members,
            result: Ok(()),
        };
        fields.record(&mut members);
        members.result?;
        writer.write_char('}')
    }
}

/// Writes each field it visits as a member of a JSON object.
struct JsonMembers<'a, 'writer> {
    writer: &'a mut Writer<'writer>,
    empty: bool,
    result: fmt::Result,
}

impl JsonMembers<'_, '_> {
    fn member(&mut self, field: &Field, value: impl FnOnce(&mut Writer<'_>) -> fmt::Result) {
        if self.result.is_err() {
            return;
        }
        let name = field.name();
        let name = name.strip_prefix("r#").unwrap_or(name);
        let separator = if self.empty { "" } else { "," };
        self.empty = false;
        self.result = self
            .writer
            .write_str(separator)
            .and_then(|()| write_json_string(self.writer, name))
            .and_then(|()| self.writer.write_char(':'))
            .and_then(|()| value(self.writer));
    }
}

impl Visit for JsonMembers<'_, '_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.member(field, |writer| match value {
            value if !value.is_finite() => writer.write_str("null"),
            value if value.fract() == 0.0 && value.abs() < 1e16 => write!(writer, "{value:.1}"),
            value => write!(writer, "{value}"),
        });
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.member(field, |writer| write!(writer, "{value}"));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.member(field, |writer| write!(writer, "{value}"));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.member(field, |writer| write!(writer, "{value}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.member(field, |writer| write_json_string(writer, value));
    }

    fn record_bytes(&mut self, field: &Field, value: &[u8]) {
        self.member(field, |writer| {
            writer.write_char('[')?;
            for (index, byte) in value.iter().enumerate() {
                let separator = if index == 0 { "" } else { "," };
                write!(writer, "{separator}{byte}")?;
            }
            writer.write_char(']')
        });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.member(field, |writer| {
            writer.write_char('"')?;
            write!(Escaped(writer), "{value:?}")?;
            writer.write_char('"')
        });
    }
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

    /// A registry with span IDs whose log lines, in this module's format, go to `ours`.
    fn with_our_lines(ours: &Captured) -> impl Subscriber + for<'lookup> LookupSpan<'lookup> {
        tracing_subscriber::registry()
            .with(crate::span_ids::SpanIds)
            .with(
                tracing_subscriber::fmt::layer()
                    .fmt_fields(JsonText)
                    .event_format(JsonLines)
                    .with_writer(ours.clone()),
            )
    }

    #[test]
    fn a_line_is_tracing_subscribers_json_line_with_the_trace_and_span_id_first() {
        let ours = Captured::default();
        let stock = Captured::default();
        let subscriber = with_our_lines(&ours).with(
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
                note = "a \"quoted\"\nline\u{1}\\",
                empty = tracing::field::Empty
            );
            command.record("empty", true);
            let _command = command.enter();
            tracing::warn!(
                count = 3,
                below = -7_i64,
                ratio = 0.5,
                whole = 2.0,
                error = ?Some("x"),
                r#type = "raw",
                "in \"both\" spans"
            );
            let bare = tracing::info_span!("bare", later = tracing::field::Empty);
            bare.in_scope(|| tracing::error!(target: "a::target", "in a span without fields"));
            bare.record("later", "recorded after");
            bare.in_scope(|| tracing::info!(tab = "\t", "in a span given a field later"));
        });
        let (ours, stock) = (ours.lines(), stock.lines());
        assert_eq!(ours.len(), 4);
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
        let subscriber = with_our_lines(&ours);
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
