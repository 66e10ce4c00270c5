//! `delete_brand`: removes a brand that no product uses.

use bikestore_contracts::inventory::{DeleteBrand, Done};
use bikestore_runtime::Ctx;

use crate::Inventory;
use crate::error::InventoryError;
use crate::store::named::{self, NamedTable};

/// Deletes the brand; one still used by products is a conflict.
pub async fn handle(ctx: Ctx<Inventory>, request: DeleteBrand) -> Result<Done, InventoryError> {
    ctx.db
        .command(&ctx.meta, move |transaction| {
            named::delete(
                transaction.connection(),
                NamedTable::Brands,
                request.brand_id.0,
            )?;
            Ok(Done {})
        })
        .await
}
