//! Reading customers.

use bikestore_contracts::CustomerId;
use bikestore_contracts::orders::{Customer, CustomerFields};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::error::OrdersError;

/// The columns [`from_row`] reads.
pub const CUSTOMER_COLUMNS: &str =
    "customer_id, first_name, last_name, email, phone, street, city, state, zip_code";

/// Reads a customer from a row of [`CUSTOMER_COLUMNS`].
pub fn from_row(row: &Row<'_>) -> rusqlite::Result<Customer> {
    Ok(Customer {
        customer_id: CustomerId(row.get(0)?),
        fields: CustomerFields {
            first_name: row.get(1)?,
            last_name: row.get(2)?,
            email: row.get(3)?,
            phone: row.get(4)?,
            street: row.get(5)?,
            city: row.get(6)?,
            state: row.get(7)?,
            zip_code: row.get(8)?,
        },
    })
}

/// One customer, if it exists.
pub fn find(
    connection: &Connection,
    customer_id: CustomerId,
) -> Result<Option<Customer>, OrdersError> {
    let sql = format!("SELECT {CUSTOMER_COLUMNS} FROM customers WHERE customer_id = ?1");
    let customer = connection
        .prepare_cached(&sql)?
        .query_row(params![customer_id.0], from_row)
        .optional()?;
    Ok(customer)
}

/// Whether the customer exists.
pub fn exists(connection: &Connection, customer_id: CustomerId) -> Result<bool, OrdersError> {
    Ok(connection
        .prepare_cached("SELECT 1 FROM customers WHERE customer_id = ?1")?
        .query_row(params![customer_id.0], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The conflict message for an e-mail another customer already has.
pub fn email_taken(email: &str) -> String {
    format!("a customer with e-mail {email} already exists")
}
