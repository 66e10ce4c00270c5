//! The orders' SQLite schema and the SQL that several handlers share.

pub mod customers;
pub mod orders;
pub mod payments;

/// The schema migrations, in order; each runs once.
pub const MIGRATIONS: &[&str] = &[
    include_str!("schema.sql"),
    RECEIPTS,
    include_str!("checks_as_comparisons.sql"),
];

/// Migration 2: each order line keeps its product's name, as a receipt does, and each order
/// the reservation holding its stock; orders placed before have neither.
const RECEIPTS: &str = "ALTER TABLE order_items ADD COLUMN product_name TEXT;
    ALTER TABLE orders ADD COLUMN reservation_id TEXT;";

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
