//! Integration tests of the test kit itself, against real nats-server processes.
//!
//! One test binary (see STYLE.md, "Tests"); each module covers one part of the kit.

mod fault_proxy;
mod nats_cluster;
mod nats_server;
mod processes;
