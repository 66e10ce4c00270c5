//! The one place a tracing subscriber is built: JSON lines to a rotating file, and optionally
//! human-readable lines to stderr.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{Builder, Rotation};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::error::RuntimeError;

/// Keeps the log writer alive; dropping it flushes the file.
#[must_use = "dropping the guard stops file logging"]
pub struct TelemetryGuard {
    _file: WorkerGuard,
}

/// Starts logging for `service`: `RUST_LOG` filters (default `info`), JSON lines go to
/// `<log_dir>/<service>.log.<date>` (daily files, the last 14 kept), and with `to_stderr` a
/// readable copy goes to stderr.
pub fn init(
    service: &str,
    log_dir: &Path,
    to_stderr: bool,
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
    let (file_writer, file_guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let file_layer = tracing_subscriber::fmt::layer()
        .json()
        .with_current_span(true)
        .with_writer(file_writer);
    let stderr_layer = to_stderr.then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_target(false)
    });
    tracing_subscriber::registry()
        .with(filter)
        .with(file_layer)
        .with(stderr_layer)
        .try_init()
        .map_err(|error| RuntimeError::Telemetry(error.to_string()))?;
    Ok(TelemetryGuard { _file: file_guard })
}
