//! Integration tests of the orchestrator: real nats-server, real participants, real SQLite.
#![allow(clippy::unwrap_used)]

mod cancel_order;
mod contention;
mod crash;
mod index;
mod lease;
mod live;
mod metrics;
mod nats_restart;
mod outage;
mod place_order;
mod recovery;
mod replicas;
mod support;
mod transfer_stock;
mod versions;
mod written;
