//! The one place a tracing subscriber is built: JSON lines to a rotating file, optionally
//! human-readable lines to stderr, and trace and span IDs on every span.
//!
//! Every span gets a trace and span ID, so a log line written inside one carries `trace_id` and
//! `span_id` at its top level, and [`trace`](crate::trace) passes the span on in `traceparent`.
//! With `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) set, the IDs come
//! from the OpenTelemetry layer (tracing-opentelemetry), which records the spans, sampled as
//! their parent was (a new trace always), with their log lines as events, and exports them over
//! OTLP/HTTP in batches; without it, the [`span_ids`](crate::span_ids) layer gives IDs alone and
//! nothing is recorded, so tracing costs next to nothing.

use std::path::Path;

use opentelemetry::trace::TracerProvider;
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider, SpanExporter};
use tracing_appender::rolling::{Builder, Rotation};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::error::RuntimeError;
use crate::log_lines::{JsonLines, JsonText};
use crate::log_writer::{LogWriterGuard, log_writer};

/// The environment variables that turn span export on, as the OpenTelemetry SDKs name them.
const ENDPOINT_VARIABLES: [&str; 2] = [
    opentelemetry_otlp::OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    opentelemetry_otlp::OTEL_EXPORTER_OTLP_ENDPOINT,
];

/// Keeps the log writer and the span exporter alive; dropping it flushes both.
#[must_use = "dropping the guard stops file logging"]
pub struct TelemetryGuard {
    _file: LogWriterGuard,
    spans: Option<SdkTracerProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        // Exports the spans still batched; a collector that is gone is not worth a complaint
        // at exit.
        if let Some(spans) = &self.spans {
            let _ = spans.shutdown();
        }
    }
}

/// Starts logging for `service`: `RUST_LOG` filters (default `info`), JSON lines go to
/// `<log_dir>/<service>.log.<date>` (daily files, the last 14 kept), and with `to_stderr` a
/// readable copy goes to stderr. Spans are exported when an OTLP endpoint is set.
pub fn init(
    service: &str,
    log_dir: &Path,
    to_stderr: bool,
) -> Result<TelemetryGuard, RuntimeError> {
    let spans = match configured_endpoint() {
        Some(endpoint) => {
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_http_client(crate::otlp::PlainHttpClient)
                .with_protocol(Protocol::HttpBinary)
                .build()
                .map_err(|error| {
                    RuntimeError::Telemetry(format!("OTLP exporter for {endpoint}: {error}"))
                })?;
            Some(exporting_provider(service, exporter, false))
        }
        None => None,
    };
    install(service, log_dir, to_stderr, spans)
}

/// Like [`init`], but every span is recorded and handed to `exporter` as it ends, whatever the
/// environment says: for a test that checks the spans one saga makes.
pub fn init_with_exporter<E: SpanExporter + 'static>(
    service: &str,
    log_dir: &Path,
    to_stderr: bool,
    exporter: E,
) -> Result<TelemetryGuard, RuntimeError> {
    install(
        service,
        log_dir,
        to_stderr,
        Some(exporting_provider(service, exporter, true)),
    )
}

fn configured_endpoint() -> Option<String> {
    ENDPOINT_VARIABLES
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.trim().is_empty())
}

fn exporting_provider<E: SpanExporter + 'static>(
    service: &str,
    exporter: E,
    at_once: bool,
) -> SdkTracerProvider {
    let builder = SdkTracerProvider::builder()
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::AlwaysOn)))
        .with_resource(
            Resource::builder()
                .with_service_name(format!("bikestore-{service}"))
                .build(),
        );
    if at_once {
        builder.with_simple_exporter(exporter).build()
    } else {
        builder.with_batch_exporter(exporter).build()
    }
}

/// With `spans` to export to, the OpenTelemetry layer gives spans their IDs and records them,
/// log lines included as span events; without, the span-ID layer gives them IDs alone.
fn install(
    service: &str,
    log_dir: &Path,
    to_stderr: bool,
    spans: Option<SdkTracerProvider>,
) -> Result<TelemetryGuard, RuntimeError> {
    // The appender prunes old files by reading the folder, so it must exist first.
    std::fs::create_dir_all(log_dir).map_err(|error| {
        RuntimeError::Telemetry(format!("log folder {}: {error}", log_dir.display()))
    })?;
    let appender = Builder::new()
        .rotation(Rotation::DAILY)
        .filename_prefix(format!("{service}.log"))
        .max_log_files(14)
        .build(log_dir)
        .map_err(|error| {
            RuntimeError::Telemetry(format!("log folder {}: {error}", log_dir.display()))
        })?;
    let (file_writer, file_guard) = log_writer(appender).map_err(|error| {
        RuntimeError::Telemetry(format!("cannot start the log writer: {error}"))
    })?;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Every option that costs on each enter or exit is off: a span's context is built when
    // something asks for it (a traceparent to send, a log line's IDs, its end).
    let exporting_layer = spans.as_ref().map(|spans| {
        tracing_opentelemetry::layer()
            .with_tracer(spans.tracer("bikestore"))
            .with_context_activation(false)
            .with_tracked_inactivity(false)
            .with_location(false)
            .with_threads(false)
    });
    let span_ids_layer = spans.is_none().then_some(crate::span_ids::SpanIds);
    let file_layer = tracing_subscriber::fmt::layer()
        .fmt_fields(JsonText)
        .event_format(JsonLines)
        .with_writer(file_writer);
    let stderr_layer = to_stderr.then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_target(false)
    });
    tracing_subscriber::registry()
        .with(filter)
        .with(exporting_layer)
        .with(span_ids_layer)
        .with(file_layer)
        .with(stderr_layer)
        .try_init()
        .map_err(|error| RuntimeError::Telemetry(error.to_string()))?;
    Ok(TelemetryGuard {
        _file: file_guard,
        spans,
    })
}
