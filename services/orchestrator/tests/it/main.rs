//! Integration tests of the orchestrator: real nats-server, real participants, real SQLite.
#![allow(clippy::unwrap_used)]

mod place_order;
mod support;
mod transfer_stock;
