//! Integration tests of the gateway against a real nats-server, with identity and inventory
//! in-process: the happy path, the security suite, authorization, limits and the audit trail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod authorization;
mod happy_path;
mod limits;
mod logs;
mod secrets;
mod security;
mod support;
