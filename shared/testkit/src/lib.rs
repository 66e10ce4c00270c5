//! Test kit for Bikestore: real infrastructure for tests, never mocks.
//!
//! It owns starting a private `nats-server` per test ([`NatsServer`]), running service binaries as
//! child processes ([`ChildProcess`], [`cargo_bin`]), and the waiting helpers ([`eventually`],
//! [`wait_for_service`]).
//! It must only ever be a dev-dependency, and it never depends on a service crate: tests hand it
//! what to run.
//!
//! Layout:
//! - `binary`: finding the nats-server and litestream binaries, the workspace root and
//!   workspace binaries.
//! - `nats`: [`NatsServer`], one server per test with its own port, JetStream store and NATS
//!   users' credentials (`credentials`), started with [`NatsOptions`] for the durable profile or
//!   a TLS profile (`tls`: [`TlsFiles`], certificates made for the test).
//! - `nats_node`: one nats-server process (ports, store, log; start, stop, kill, lame duck).
//! - `nats_cluster`: a [`NatsServer`] of three nodes ([`NatsOptions::cluster`]): routes, killing
//!   and restarting one node, a stream's leader, replicas caught up.
//! - `process`: [`ChildProcess`], a service binary running as a real process.
//! - `eventually`: [`eventually`], the only polling helper tests may use.
//! - `service`: [`wait_for_service`], readiness of a NATS micro service.
//! - `server_errors`: [`ServerErrors`], the errors (permissions violations) a connection gets.
//! - `in_process`: [`InProcess`], a service's `run` inside the test process.
//! - `bad_input`: [`assert_survives_bad_input`], the bad-input suite every endpoint must pass.
//! - `events`: [`read_events`] and [`count_on_subject`], what a service published to its stream.
//! - `files`: [`files_under`], what processes wrote to disk.
//! - `prometheus`: [`prometheus_samples`] and [`prometheus_value`], reading scraped metrics.
//! - `fault_proxy`: [`FaultProxy`], a TCP proxy that delays, stalls and cuts connections to
//!   nats-server on a seeded [`FaultSchedule`].

#![warn(missing_docs)]

mod bad_input;
mod binary;
mod credentials;
mod events;
mod eventually;
mod fault_proxy;
mod files;
mod in_process;
mod nats;
mod nats_cluster;
mod nats_node;
mod process;
mod prometheus;
mod server_errors;
mod service;
mod tls;

pub use bad_input::assert_survives_bad_input;
pub use binary::{cargo_bin, litestream_binary, nats_server_binary, workspace_root};
pub use credentials::NATS_USERS;
pub use events::{count_on_subject, read_events};
pub use eventually::{Check, eventually};
pub use fault_proxy::{Fault, FaultCounts, FaultKind, FaultProxy, FaultSchedule};
pub use files::files_under;
pub use in_process::{InProcess, SERVICE_READY};
pub use nats::{JetStreamSync, NatsOptions, NatsServer, NatsTls};
pub use nats_cluster::node_name;
pub use process::ChildProcess;
pub use prometheus::{prometheus_samples, prometheus_value};
pub use server_errors::ServerErrors;
pub use service::wait_for_service;
pub use tls::TlsFiles;

/// Whether test logs should be printed: only when the `TEST_LOG` environment variable is set.
fn test_log_enabled() -> bool {
    std::env::var_os("TEST_LOG").is_some()
}
