//! `list_brands`: every brand.

use bikestore_contracts::BrandId;
use bikestore_contracts::inventory::{BrandList, ListBrands, Named};
use bikestore_runtime::Ctx;

use crate::Inventory;
use crate::error::InventoryError;
use crate::store::named::{self, NamedTable};

/// Reads every brand, by name.
pub async fn handle(
    ctx: Ctx<Inventory>,
    _request: ListBrands,
) -> Result<BrandList, InventoryError> {
    let rows = ctx
        .db
        .query(|connection| named::list(connection, NamedTable::Brands))
        .await?;
    let brands = rows
        .into_iter()
        .map(|(id, name)| Named {
            id: BrandId(id),
            name,
        })
        .collect();
    Ok(BrandList { brands })
}
