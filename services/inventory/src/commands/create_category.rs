//! `create_category`: adds a category.

use bikestore_contracts::CategoryId;
use bikestore_contracts::inventory::{CategorySaved, CreateCategory};
use bikestore_runtime::Ctx;

use crate::Inventory;
use crate::domain;
use crate::error::InventoryError;
use crate::store::named::{self, NamedTable};

/// Inserts the category; a taken name is a conflict.
pub async fn handle(
    ctx: Ctx<Inventory>,
    request: CreateCategory,
) -> Result<CategorySaved, InventoryError> {
    let name = domain::name("name", &request.name)?;
    ctx.db
        .command(&ctx.meta, move |transaction| {
            let id = named::insert(transaction.connection(), NamedTable::Categories, &name)?;
            Ok(CategorySaved {
                category_id: CategoryId(id),
            })
        })
        .await
}
