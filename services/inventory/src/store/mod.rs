//! The inventory's SQLite schema and the SQL that several handlers share.

pub mod named;
pub mod products;
pub mod reservations;
pub mod stock;

/// The schema migrations, in order; each runs once.
pub const MIGRATIONS: &[&str] = &[include_str!("schema.sql")];

/// Escapes `%`, `_` and `\` so user text matches literally in a `LIKE ... ESCAPE '\'`.
pub fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for character in text.chars() {
        if matches!(character, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(character);
    }
    pattern.push('%');
    pattern
}
