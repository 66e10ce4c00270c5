//! The inventory's queries: the closed list of read-only endpoints.
//!
//! Each reads through a read-only connection and never writes or publishes.

mod get_product;
mod list_brands;
mod list_categories;
mod list_products;
mod list_stores;
mod low_stock;
mod price_products;
mod store_stock;

use bikestore_runtime::{RuntimeError, ServiceHost};

use crate::Inventory;

/// Registers every query endpoint.
pub async fn register(host: &mut ServiceHost<Inventory>) -> Result<(), RuntimeError> {
    host.endpoint(list_stores::handle).await?;
    host.endpoint(list_brands::handle).await?;
    host.endpoint(list_categories::handle).await?;
    host.endpoint(list_products::handle).await?;
    host.endpoint(get_product::handle).await?;
    host.endpoint(price_products::handle).await?;
    host.endpoint(store_stock::handle).await?;
    host.endpoint(low_stock::handle).await?;
    Ok(())
}
