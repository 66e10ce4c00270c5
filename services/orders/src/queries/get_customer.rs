//! `get_customer`: one customer.

use bikestore_contracts::orders::{Customer, GetCustomer};
use bikestore_runtime::Ctx;

use crate::Orders;
use crate::error::OrdersError;
use crate::store::customers;

/// Reads the customer; an unknown one is `not_found`.
pub async fn handle(ctx: Ctx<Orders>, request: GetCustomer) -> Result<Customer, OrdersError> {
    let customer_id = request.customer_id;
    ctx.db
        .query(move |connection| {
            customers::find(connection, customer_id)?
                .ok_or_else(|| OrdersError::not_found("customer", customer_id))
        })
        .await
}
