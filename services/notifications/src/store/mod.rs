//! The notifications' SQLite schema and the SQL that the consumer, the delivery worker and the
//! list query share.

pub mod deliveries;
pub mod notifications;

/// The schema migrations, in order; each runs once.
pub const MIGRATIONS: &[&str] = &[
    include_str!("schema.sql"),
    include_str!("drop_event_index.sql"),
];
