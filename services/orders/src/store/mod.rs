//! The orders' SQLite schema and the SQL that several handlers share.

pub mod customers;
pub mod orders;
pub mod payments;

/// The schema migrations, in order; each runs once.
pub const MIGRATIONS: &[&str] = &[include_str!("schema.sql")];
