//! The inventory's commands: the closed list of endpoints that change state.
//!
//! Each runs through the single writer via [`ServiceDb::command`](bikestore_runtime::ServiceDb),
//! so an idempotency key makes it apply once, and its events commit with it.

mod adjust_stock;
mod commit_reservation;
mod create_brand;
mod create_category;
mod create_product;
mod create_store;
mod delete_brand;
mod delete_category;
mod delete_product;
mod receive_stock;
mod release_reservation;
mod reserve_stock;
mod return_reservation;
mod update_brand;
mod update_category;
mod update_product;

use bikestore_runtime::{RuntimeError, ServiceHost};

use crate::Inventory;

/// Registers every command endpoint.
pub async fn register(host: &mut ServiceHost<Inventory>) -> Result<(), RuntimeError> {
    host.endpoint(create_store::handle).await?;
    host.endpoint(create_brand::handle).await?;
    host.endpoint(update_brand::handle).await?;
    host.endpoint(delete_brand::handle).await?;
    host.endpoint(create_category::handle).await?;
    host.endpoint(update_category::handle).await?;
    host.endpoint(delete_category::handle).await?;
    host.endpoint(create_product::handle).await?;
    host.endpoint(update_product::handle).await?;
    host.endpoint(delete_product::handle).await?;
    host.endpoint(receive_stock::handle).await?;
    host.endpoint(adjust_stock::handle).await?;
    host.endpoint(reserve_stock::handle).await?;
    host.endpoint(commit_reservation::handle).await?;
    host.endpoint(release_reservation::handle).await?;
    host.endpoint(return_reservation::handle).await?;
    Ok(())
}
