//! Integration tests of the runtime's JetStream parts against a real nats-server.
#![allow(clippy::unwrap_used)]

mod consumers;
mod phantom_events;
mod relay;
mod servers;
mod stream_snapshot;
mod streams;
