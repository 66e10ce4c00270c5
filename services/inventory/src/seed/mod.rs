//! Loading the demo catalog into an empty inventory database.
//!
//! The loader writes the service's own database directly, in one transaction, so a seed is all
//! or nothing and runs in seconds even at large scales. A database that already holds products
//! is left alone: seeding is for first start.

pub mod catalog;

use bikestore_storage::{Database, StorageError};
use rusqlite::{Connection, params};

use crate::error::InventoryError;

/// What a seed run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedOutcome {
    /// The catalog was loaded.
    Loaded {
        /// Stores written.
        stores: usize,
        /// Products written.
        products: usize,
        /// Stock rows written.
        stock_rows: usize,
    },
    /// The database already had products; nothing was written.
    AlreadySeeded {
        /// How many products it has.
        products: i64,
    },
}

/// Loads the demo catalog at `scale` unless the database already has products.
pub async fn seed(database: &Database, scale: u32) -> Result<SeedOutcome, InventoryError> {
    let demo = catalog::demo_catalog(scale);
    database
        .write(move |connection| {
            let products: i64 =
                connection.query_row("SELECT COUNT(*) FROM products", [], |row| row.get(0))?;
            if products > 0 {
                return Ok(SeedOutcome::AlreadySeeded { products });
            }
            load(connection, &demo)
        })
        .await
}

fn load(
    connection: &Connection,
    demo: &catalog::DemoCatalog,
) -> Result<SeedOutcome, InventoryError> {
    let mut store_ids = Vec::with_capacity(demo.stores.len());
    let mut insert_store = connection.prepare_cached(
        "INSERT INTO stores (name, phone, email, street, city, state, zip_code, time_zone)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (name) DO UPDATE SET phone = excluded.phone, time_zone = excluded.time_zone
         RETURNING store_id",
    )?;
    for store in &demo.stores {
        let store_id: i64 = insert_store.query_row(
            params![
                store.name,
                store.phone,
                store.email,
                store.street,
                store.city,
                store.state,
                store.zip_code,
                store.time_zone
            ],
            |row| row.get(0),
        )?;
        store_ids.push(store_id);
    }
    let brand_ids = insert_named(connection, "brands", "brand_id", &demo.brands)?;
    let category_ids = insert_named(connection, "categories", "category_id", &demo.categories)?;
    let mut product_ids = Vec::with_capacity(demo.products.len());
    let mut insert_product = connection.prepare_cached(
        "INSERT INTO products (name, brand_id, category_id, model_year, list_price) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for product in &demo.products {
        let brand_id = lookup(&brand_ids, product.brand_index)?;
        let category_id = lookup(&category_ids, product.category_index)?;
        insert_product.execute(params![
            product.name,
            brand_id,
            category_id,
            product.model_year,
            product.list_price.0
        ])?;
        product_ids.push(connection.last_insert_rowid());
    }
    let mut insert_stock = connection.prepare_cached(
        "INSERT INTO stocks (store_id, product_id, on_hand, reserved) VALUES (?1, ?2, ?3, 0)",
    )?;
    for stock in &demo.stock {
        insert_stock.execute(params![
            lookup(&store_ids, stock.store_index)?,
            lookup(&product_ids, stock.product_index)?,
            stock.quantity
        ])?;
    }
    Ok(SeedOutcome::Loaded {
        stores: store_ids.len(),
        products: product_ids.len(),
        stock_rows: demo.stock.len(),
    })
}

fn insert_named(
    connection: &Connection,
    table: &'static str,
    id_column: &'static str,
    names: &[String],
) -> Result<Vec<i64>, InventoryError> {
    let sql = format!(
        "INSERT INTO {table} (name) VALUES (?1) ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING {id_column}"
    );
    let mut statement = connection.prepare(&sql)?;
    names
        .iter()
        .map(|name| {
            statement
                .query_row(params![name], |row| row.get(0))
                .map_err(InventoryError::from)
        })
        .collect()
}

fn lookup(ids: &[i64], index: usize) -> Result<i64, InventoryError> {
    ids.get(index).copied().ok_or_else(|| {
        InventoryError::from(StorageError::JobPanicked(format!(
            "demo data index {index} out of range"
        )))
    })
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;

    #[test]
    fn the_demo_stores_are_seeded_with_the_zones_of_their_towns() {
        let connection = Connection::open_in_memory().expect("an in-memory database");
        for migration in crate::store::MIGRATIONS {
            connection
                .execute_batch(migration)
                .expect("the schema applies");
        }
        load(&connection, &catalog::demo_catalog(1)).expect("the demo catalog loads");
        let mut statement = connection
            .prepare("SELECT name, time_zone FROM stores ORDER BY store_id")
            .expect("the query prepares");
        let zones: Vec<(String, String)> = statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .expect("the query runs")
            .collect::<Result<_, _>>()
            .expect("the rows read");
        let expected = [
            ("Santa Cruz Bikes", "America/Los_Angeles"),
            ("Baldwin Bikes", "America/New_York"),
            ("Rowlett Bikes", "America/Chicago"),
        ]
        .map(|(name, zone)| (name.to_owned(), zone.to_owned()));
        assert_eq!(zones, expected);
    }
}
