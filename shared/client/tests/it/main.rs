//! Integration tests of the client library against a real nats-server, with identity,
//! inventory and the gateway in-process: login, signed calls in both encodings, typed errors,
//! automatic refresh, logout and the saved session file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod calls;
mod sessions;
mod support;
