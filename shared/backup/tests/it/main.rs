//! Integration tests of the backup tool against a real nats-server and real SQLite files.

mod refusals;
mod saga_capture;
