//! The orders' SQLite schema and the SQL that several handlers share.

pub mod customers;
pub mod orders;
pub mod payments;

/// The schema migrations, in order; each runs once.
pub const MIGRATIONS: &[&str] = &[include_str!("schema.sql"), RECEIPTS];

/// Migration 2: each order line keeps its product's name, as a receipt does, and each order
/// the reservation holding its stock; orders placed before have neither.
const RECEIPTS: &str = "ALTER TABLE order_items ADD COLUMN product_name TEXT;
    ALTER TABLE orders ADD COLUMN reservation_id TEXT;";
