//! SQLite storage for one Bikestore service: one database file, owned by that service alone.
//!
//! Writes go through a single writer thread that owns the only read-write connection; callers
//! hand it closures and await the result, so the async runtime never blocks on SQLite. The
//! writer groups the jobs waiting in its queue into one transaction (one fsync) and gives each
//! job its own savepoint, so one job's failure never undoes another's. Reads run on read-only
//! WAL connections in `spawn_blocking`.
//!
//! Beside the service's own tables it keeps two of its own: the [`inbox`], which makes a
//! command with an idempotency key apply once, and the [`outbox`], which holds events written in
//! the same transaction as the change until a relay has published them. For backups,
//! [`copy_database`] takes a consistent copy of a live database and [`inspect_database`] reads
//! back what a copy holds. This crate knows nothing of NATS or of any service's schema.
#![warn(missing_docs)]

mod committed;
mod copy;
mod database;
mod error;
pub mod inbox;
mod like;
pub mod outbox;
mod readers;
pub mod schema_check;
mod writer;

pub use copy::{DatabaseCopy, copy_database, inspect_database};
pub use database::{Database, DatabaseOptions, Synchronous};
pub use error::StorageError;
pub use like::like_pattern;
pub use writer::control;
