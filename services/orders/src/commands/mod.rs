//! The orders' commands: the closed list of endpoints that change state.
//!
//! Each runs through the single writer via [`ServiceDb::command`](bikestore_runtime::ServiceDb),
//! so an idempotency key makes it apply once, and its events commit with it. The payment
//! commands call the provider first, so they look for a recorded reply before calling it.

mod authorize_payment;
mod authorize_with_token;
mod cancel_order_payments;
mod capture_payment;
mod change_order_status;
mod create_customer;
mod create_order;
mod refund_payment;
mod tokenize_card;
mod update_customer;
mod void_payment;

use bikestore_runtime::{RuntimeError, ServiceHost};

use crate::Orders;

/// Registers every command endpoint.
pub async fn register(host: &mut ServiceHost<Orders>) -> Result<(), RuntimeError> {
    host.endpoint(create_customer::handle).await?;
    host.endpoint(update_customer::handle).await?;
    host.endpoint(create_order::handle).await?;
    host.endpoint(change_order_status::handle).await?;
    host.endpoint(authorize_payment::handle).await?;
    host.endpoint(tokenize_card::handle).await?;
    host.endpoint(authorize_with_token::handle).await?;
    host.endpoint(capture_payment::handle).await?;
    host.endpoint(void_payment::handle).await?;
    host.endpoint(refund_payment::handle).await?;
    host.endpoint(cancel_order_payments::handle).await?;
    Ok(())
}
