//! `create_customer`: adds a customer.

use bikestore_contracts::CustomerId;
use bikestore_contracts::orders::{CreateCustomer, CustomerSaved};
use bikestore_runtime::Ctx;
use rusqlite::params;

use crate::Orders;
use crate::domain;
use crate::error::OrdersError;
use crate::store::customers::email_taken;

/// Validates and inserts the customer; an e-mail another customer has (in any case) is a
/// conflict.
pub async fn handle(
    ctx: Ctx<Orders>,
    request: CreateCustomer,
) -> Result<CustomerSaved, OrdersError> {
    let fields = domain::customer_fields(&request.customer)?;
    ctx.db
        .command(&ctx.meta, move |transaction| {
            let connection = transaction.connection();
            connection
                .prepare_cached(
                    "INSERT INTO customers (first_name, last_name, email, email_key, phone, street, city, state, zip_code)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?
                .execute(params![
                    fields.first_name,
                    fields.last_name,
                    fields.email,
                    domain::email_key(&fields.email),
                    fields.phone,
                    fields.street,
                    fields.city,
                    fields.state,
                    fields.zip_code
                ])
                .map_err(|error| OrdersError::on_duplicate(error, || email_taken(&fields.email)))?;
            Ok(CustomerSaved {
                customer_id: CustomerId(connection.last_insert_rowid()),
            })
        })
        .await
}
