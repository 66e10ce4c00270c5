//! The inventory's SQLite schema and the SQL that several handlers share.

pub mod named;
pub mod products;
pub mod reservations;
pub mod stock;

/// The schema migrations, in order; each runs once.
pub const MIGRATIONS: &[&str] = &[
    include_str!("schema.sql"),
    include_str!("store_time_zone.sql"),
    include_str!("checks_as_comparisons.sql"),
];

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::MIGRATIONS;

    fn zones(connection: &Connection) -> Vec<(String, String)> {
        let mut statement = connection
            .prepare("SELECT name, time_zone FROM stores ORDER BY store_id")
            .expect("the query prepares");
        statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .expect("the query runs")
            .collect::<Result<_, _>>()
            .expect("the rows read")
    }

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

    #[test]
    fn the_time_zone_migration_gives_demo_stores_their_towns_zones_and_others_utc() {
        let connection = Connection::open_in_memory().expect("an in-memory database");
        connection
            .execute_batch(MIGRATIONS[0])
            .expect("the first schema applies");
        connection
            .execute_batch(
                "INSERT INTO stores (name) VALUES ('Santa Cruz Bikes'), ('Baldwin Bikes'),
                    ('Rowlett Bikes'), ('Harbor Bikes');",
            )
            .expect("stores made before time zones");
        connection
            .execute_batch(MIGRATIONS[1])
            .expect("the time zone migration applies");
        let expected = [
            ("Santa Cruz Bikes", "America/Los_Angeles"),
            ("Baldwin Bikes", "America/New_York"),
            ("Rowlett Bikes", "America/Chicago"),
            ("Harbor Bikes", "UTC"),
        ]
        .map(|(name, zone)| (name.to_owned(), zone.to_owned()));
        assert_eq!(zones(&connection), expected);
        for (_, zone) in &expected {
            assert!(bikestore_contracts::calendar::is_time_zone(zone), "{zone}");
        }
    }
}
