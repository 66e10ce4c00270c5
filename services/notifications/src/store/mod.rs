//! The notifications' SQLite schema and the SQL that the consumer, the delivery worker and the
//! list query share.

pub mod deliveries;
pub mod notifications;

/// The schema migrations, in order; each runs once.
pub const MIGRATIONS: &[&str] = &[
    include_str!("schema.sql"),
    include_str!("drop_event_index.sql"),
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
