//! The inventory's SQLite schema and the SQL that several handlers share.

pub mod named;
pub mod products;
pub mod reservations;
pub mod stock;

/// The schema migrations, in order; each runs once.
pub const MIGRATIONS: &[&str] = &[include_str!("schema.sql")];
