//! Loading the demo customers into an empty orders database.
//!
//! The loader writes the service's own database directly, in one transaction, so a seed is all
//! or nothing. A database that already holds customers is left alone: seeding is for first
//! start. Orders are not seeded: they come from placing orders through the system.

pub mod customers;

use bikestore_storage::Database;
use rusqlite::params;

use crate::domain;
use crate::error::OrdersError;

/// What a seed run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedOutcome {
    /// The customers were loaded.
    Loaded {
        /// Customers written.
        customers: usize,
    },
    /// The database already had customers; nothing was written.
    AlreadySeeded {
        /// How many customers it has.
        customers: i64,
    },
}

/// Loads the demo customers at `scale` unless the database already has customers.
pub async fn seed(database: &Database, scale: u32) -> Result<SeedOutcome, OrdersError> {
    let demo = customers::demo_customers(scale);
    database
        .write(move |connection| {
            let existing: i64 =
                connection.query_row("SELECT COUNT(*) FROM customers", [], |row| row.get(0))?;
            if existing > 0 {
                return Ok(SeedOutcome::AlreadySeeded {
                    customers: existing,
                });
            }
            let mut insert = connection.prepare_cached(
                "INSERT INTO customers (first_name, last_name, email, email_key, phone, street, city, state, zip_code)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            for customer in &demo {
                insert.execute(params![
                    customer.first_name,
                    customer.last_name,
                    customer.email,
                    domain::email_key(&customer.email),
                    customer.phone,
                    customer.street,
                    customer.city,
                    customer.state,
                    customer.zip_code
                ])?;
            }
            Ok(SeedOutcome::Loaded {
                customers: demo.len(),
            })
        })
        .await
}
