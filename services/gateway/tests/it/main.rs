//! Integration tests of the gateway against a real nats-server, with identity and inventory
//! in-process: the happy path, the security suite, authorization, limits, the audit trail, ended
//! sessions, the NATS users' permissions and the sales policy (with every service); on the seeded demo system, the door that stays
//! open under a flood and what the audit trail records.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod authorization;
mod happy_path;
mod limits;
mod logs;
mod nats_users;
mod open_door;
mod sales_policy;
mod secrets;
mod security;
mod sessions;
mod support;
