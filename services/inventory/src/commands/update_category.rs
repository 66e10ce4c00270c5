//! `update_category`: renames a category.

use bikestore_contracts::inventory::{CategorySaved, UpdateCategory};
use bikestore_runtime::Ctx;

use crate::Inventory;
use crate::domain;
use crate::error::InventoryError;
use crate::store::named::{self, NamedTable};

/// Renames the category; an unknown ID is `not_found`, a taken name a conflict.
pub async fn handle(
    ctx: Ctx<Inventory>,
    request: UpdateCategory,
) -> Result<CategorySaved, InventoryError> {
    let name = domain::name("name", &request.name)?;
    let category_id = request.category_id;
    ctx.db
        .command(&ctx.meta, move |transaction| {
            named::rename(
                transaction.connection(),
                NamedTable::Categories,
                category_id.0,
                &name,
            )?;
            Ok(CategorySaved { category_id })
        })
        .await
}
