//! `delete_category`: removes a category that no product uses.

use bikestore_contracts::inventory::{DeleteCategory, Done};
use bikestore_runtime::Ctx;

use crate::Inventory;
use crate::error::InventoryError;
use crate::store::named::{self, NamedTable};

/// Deletes the category; one still used by products is a conflict.
pub async fn handle(ctx: Ctx<Inventory>, request: DeleteCategory) -> Result<Done, InventoryError> {
    ctx.db
        .command(&ctx.meta, move |transaction| {
            named::delete(
                transaction.connection(),
                NamedTable::Categories,
                request.category_id.0,
            )?;
            Ok(Done {})
        })
        .await
}
