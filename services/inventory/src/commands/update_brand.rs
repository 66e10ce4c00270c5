//! `update_brand`: renames a brand.

use bikestore_contracts::inventory::{BrandSaved, UpdateBrand};
use bikestore_runtime::Ctx;

use crate::Inventory;
use crate::domain;
use crate::error::InventoryError;
use crate::store::named::{self, NamedTable};

/// Renames the brand; an unknown ID is `not_found`, a taken name a conflict.
pub async fn handle(
    ctx: Ctx<Inventory>,
    request: UpdateBrand,
) -> Result<BrandSaved, InventoryError> {
    let name = domain::name("name", &request.name)?;
    let brand_id = request.brand_id;
    ctx.db
        .command(&ctx.meta, move |transaction| {
            named::rename(
                transaction.connection(),
                NamedTable::Brands,
                brand_id.0,
                &name,
            )?;
            Ok(BrandSaved { brand_id })
        })
        .await
}
