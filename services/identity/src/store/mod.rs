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
    include_str!("checks_as_comparisons.sql"),
];

#[cfg(test)]
mod tests {
    use super::MIGRATIONS;

    #[test]
    fn every_insert_checks_its_values_without_building_a_temporary_table() {
        use bikestore_storage::schema_check::migrated_tables_whose_inserts_build_temporary_tables;
        let found =
            migrated_tables_whose_inserts_build_temporary_tables(MIGRATIONS).expect("migrated");
        assert!(
            found.is_empty(),
            "inserts into {found:?} build a temporary table"
        );
    }
}
