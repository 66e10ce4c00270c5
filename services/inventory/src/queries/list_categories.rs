//! `list_categories`: every category.

use bikestore_contracts::CategoryId;
use bikestore_contracts::inventory::{CategoryList, ListCategories, Named};
use bikestore_runtime::Ctx;

use crate::Inventory;
use crate::error::InventoryError;
use crate::store::named::{self, NamedTable};

/// Reads every category, by name.
pub async fn handle(
    ctx: Ctx<Inventory>,
    _request: ListCategories,
) -> Result<CategoryList, InventoryError> {
    let rows = ctx
        .db
        .query(|connection| named::list(connection, NamedTable::Categories))
        .await?;
    let categories = rows
        .into_iter()
        .map(|(id, name)| Named {
            id: CategoryId(id),
            name,
        })
        .collect();
    Ok(CategoryList { categories })
}
