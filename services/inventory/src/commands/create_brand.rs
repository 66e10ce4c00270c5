//! `create_brand`: adds a brand.

use bikestore_contracts::BrandId;
use bikestore_contracts::inventory::{BrandSaved, CreateBrand};
use bikestore_runtime::Ctx;

use crate::Inventory;
use crate::domain;
use crate::error::InventoryError;
use crate::store::named::{self, NamedTable};

/// Inserts the brand; a taken name is a conflict.
pub async fn handle(
    ctx: Ctx<Inventory>,
    request: CreateBrand,
) -> Result<BrandSaved, InventoryError> {
    let name = domain::name("name", &request.name)?;
    ctx.db
        .command(&ctx.meta, move |transaction| {
            let id = named::insert(transaction.connection(), NamedTable::Brands, &name)?;
            Ok(BrandSaved {
                brand_id: BrandId(id),
            })
        })
        .await
}
