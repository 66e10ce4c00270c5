//! `update_customer`: replaces a customer's fields.

use bikestore_contracts::orders::{CustomerSaved, UpdateCustomer};
use bikestore_runtime::Ctx;
use rusqlite::params;

use crate::Orders;
use crate::domain;
use crate::error::OrdersError;
use crate::store::customers::email_taken;

/// Validates and stores the new fields; an unknown customer is `not_found`, an e-mail another
/// customer has is a conflict.
pub async fn handle(
    ctx: Ctx<Orders>,
    request: UpdateCustomer,
) -> Result<CustomerSaved, OrdersError> {
    let fields = domain::customer_fields(&request.customer)?;
    let customer_id = request.customer_id;
    ctx.db
        .command(&ctx.meta, move |transaction| {
            let changed = transaction
                .connection()
                .prepare_cached(
                    "UPDATE customers SET first_name = ?2, last_name = ?3, email = ?4, email_key = ?5,
                         phone = ?6, street = ?7, city = ?8, state = ?9, zip_code = ?10
                     WHERE customer_id = ?1",
                )?
                .execute(params![
                    customer_id.0,
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
            if changed == 0 {
                return Err(OrdersError::not_found("customer", customer_id));
            }
            Ok(CustomerSaved { customer_id })
        })
        .await
}
