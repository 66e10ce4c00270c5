//! The orders' queries: the closed list of read-only endpoints.
//!
//! Each reads through a read-only connection and never writes or publishes.

mod get_customer;
mod get_order;
mod get_payment;
mod list_orders;
mod search_customers;

use bikestore_runtime::{RuntimeError, ServiceHost};

use crate::Orders;

/// Registers every query endpoint.
pub async fn register(host: &mut ServiceHost<Orders>) -> Result<(), RuntimeError> {
    host.endpoint(get_customer::handle).await?;
    host.endpoint(search_customers::handle).await?;
    host.endpoint(get_order::handle).await?;
    host.endpoint(list_orders::handle).await?;
    host.endpoint(get_payment::handle).await?;
    Ok(())
}
