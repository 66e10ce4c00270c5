//! Integration tests of the notifications service against a real nats-server and real SQLite
//! files.
#![allow(clippy::unwrap_used)]

mod bad_input;
mod crash_safety;
mod kinds;
mod poison;
mod replay;
mod retries;
mod support;
