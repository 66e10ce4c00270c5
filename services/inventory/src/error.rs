//! Everything that can go wrong in the inventory service, and its wire code: the failures every
//! service shares ([`CoreError`]) and inventory's own.

use std::collections::BTreeMap;

use bikestore_contracts::{ErrorCode, ProductId};
use bikestore_runtime::{CoreError, ServiceError};

/// An inventory failure.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// Invalid input, a missing thing, a conflict, storage, or a replayed reply.
    #[error(transparent)]
    Common(#[from] CoreError),
    /// Not enough stock to reserve or remove.
    #[error("product {product_id}: {requested} requested but only {available} available")]
    InsufficientStock {
        /// The product short of stock.
        product_id: ProductId,
        /// Units asked for.
        requested: i64,
        /// Units available.
        available: i64,
    },
}

bikestore_runtime::core_error!(InventoryError);

impl ServiceError for InventoryError {
    fn code(&self) -> ErrorCode {
        match self {
            InventoryError::Common(common) => common.code(),
            InventoryError::InsufficientStock { .. } => ErrorCode::InsufficientStock,
        }
    }

    fn details(&self) -> BTreeMap<String, String> {
        match self {
            InventoryError::Common(common) => common.details(),
            InventoryError::InsufficientStock {
                product_id,
                requested,
                available,
            } => BTreeMap::from([
                ("product_id".to_owned(), product_id.to_string()),
                ("requested".to_owned(), requested.to_string()),
                ("available".to_owned(), available.to_string()),
            ]),
        }
    }
}
