//! Integration tests of the inventory service against a real nats-server and real SQLite files.
#![allow(clippy::unwrap_used)]

mod bad_input;
mod crash_safety;
mod endpoints;
mod exactly_once;
mod expiry;
mod graceful_shutdown;
mod live;
mod nats_restart;
mod oversell;
mod support;
