//! Integration tests of the identity service against a real nats-server and real SQLite files.
#![allow(clippy::unwrap_used)]

mod bad_input;
mod gateway_assertion;
mod keys;
mod login;
mod refresh_retry;
mod secrets;
mod sessions;
mod staff;
mod support;
