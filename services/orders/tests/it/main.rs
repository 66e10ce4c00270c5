//! Integration tests of the orders service against a real nats-server and real SQLite files.
#![allow(clippy::unwrap_used)]

mod bad_input;
mod cancel_payments;
mod card_secrets;
mod customers;
mod endpoints;
mod exactly_once;
mod payments;
mod status_machine;
mod support;
mod tokens;
