//! The identity service's SQLite schema and the SQL that several handlers share.

pub mod login_attempts;
pub mod refresh_tokens;
pub mod signing_keys;
pub mod staff;

/// The schema migrations, in order; each runs once.
pub const MIGRATIONS: &[&str] = &[
    include_str!("schema.sql"),
    include_str!("bind_refresh_tokens.sql"),
    include_str!("link_refresh_tokens.sql"),
];
