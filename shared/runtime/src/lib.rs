//! The Bikestore service runtime: everything a service needs that is not a business rule.
//!
//! - [`application`]: the start-up and shutdown every service shares ([`Application`]);
//! - [`config`]: the flags and environment every service shares;
//! - [`telemetry`]: tracing to stderr and to rotating per-service JSON log files, with trace
//!   and span IDs on every line (`log_lines` formats them, `log_writer` writes them to the
//!   file in batches), and OTLP span export when an endpoint is set;
//! - [`trace`]: W3C trace context through requests, saga steps and events;
//! - [`otlp`]: the plain HTTP client the OTLP exporter posts through;
//! - [`span_ids`]: trace and span IDs for every span when none is exported, at a few
//!   nanoseconds a span;
//! - [`metrics`]: Prometheus metrics, served on `--metrics-addr`, and the series every service
//!   shares (requests, inbox hits, the outbox's oldest row, consumer lag);
//! - [`connect`]: a NATS connection that retries at start and reconnects for ever;
//! - [`health`]: the system's health (services' statistics, streams' lag, nodes) for
//!   `just status` and the admins' System screen;
//! - [`header_name`]: the headers every message carries, as names built at compile time;
//! - [`host`]: registration as a NATS micro service, one queue group per service, and the glue
//!   that decodes a request, calls its handler and encodes the typed reply or error;
//! - [`commands`]: command execution through the inbox (exactly once per idempotency key) with
//!   events written to the outbox in the same transaction;
//! - [`relay`]: the outbox relay that publishes events to JetStream with `Nats-Msg-Id`;
//! - [`replica`]: each database's Litestream replica in a JetStream object store bucket;
//! - [`call`]: typed requests to other services;
//! - [`consumer`]: durable pull consumers with bounded redelivery that survive reconnects;
//! - [`dead_letters`]: capture of messages a consumer gave up on, for listing and replay;
//! - [`outage`]: what a failed JetStream call means (a lost compare-and-set, transient,
//!   permanent) and riding out transient ones with backoff for a bounded time;
//! - [`phantom_events`]: after a restore, the removal of events newer than the restored
//!   database copy;
//! - [`ops`]: operator subcommands every service binary shares (dead letters, ping, the
//!   replica's Litestream configuration);
//! - [`stream_snapshot`]: JetStream stream snapshots to bytes and restores from them, for
//!   backups of the event, audit and dead-letter streams;
//! - [`secret_files`]: private key files, created exclusively with mode 0600;
//! - [`shutdown`]: SIGTERM/SIGINT handling and the shared shutdown signal.
//!
//! It holds no business rules and knows no service's schema.
#![warn(missing_docs)]

pub mod application;
pub mod call;
pub mod commands;
pub mod config;
pub mod connect;
pub mod consumer;
pub mod dead_letters;
mod error;
pub mod header_name;
pub mod health;
pub mod host;
mod log_lines;
mod log_writer;
pub mod metrics;
pub mod ops;
pub mod otlp;
pub mod outage;
pub mod phantom_events;
pub mod relay;
pub mod replica;
pub mod secret_files;
pub mod shutdown;
pub mod span_ids;
pub mod stream_snapshot;
pub mod streams;
pub mod telemetry;
pub mod trace;

pub use application::Application;
pub use commands::{CommandTx, Prior, ServiceDb};
pub use config::CommonConfig;
pub use error::{CoreError, RuntimeError, ServiceError, SnapshotError, error_chain};
pub use host::{Ctx, ReplayMark, RequestMeta, ServiceHost};
pub use shutdown::Shutdown;

/// Milliseconds since the Unix epoch, the one clock services use for stored timestamps.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or(0)
}
