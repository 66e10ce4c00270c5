//! `update_product`: replaces a product's fields.

use bikestore_contracts::inventory::{ProductSaved, UpdateProduct};
use bikestore_runtime::Ctx;
use rusqlite::params;

use super::create_product::check_references;
use crate::Inventory;
use crate::domain;
use crate::error::InventoryError;

/// Validates and stores the new fields; an unknown product is `not_found`.
pub async fn handle(
    ctx: Ctx<Inventory>,
    request: UpdateProduct,
) -> Result<ProductSaved, InventoryError> {
    let fields = domain::product_fields(&request.product)?;
    let product_id = request.product_id;
    ctx.db
        .command(&ctx.meta, move |transaction| {
            let connection = transaction.connection();
            check_references(connection, &fields)?;
            let changed = connection
                .prepare_cached(
                    "UPDATE products SET name = ?2, brand_id = ?3, category_id = ?4, model_year = ?5, list_price = ?6
                     WHERE product_id = ?1",
                )?
                .execute(params![
                    product_id.0,
                    fields.name,
                    fields.brand_id.0,
                    fields.category_id.0,
                    fields.model_year,
                    fields.list_price.0
                ])
                .map_err(|error| InventoryError::on_duplicate(error, || format!("product {:?} already exists", fields.name)))?;
            if changed == 0 {
                return Err(InventoryError::not_found("product", product_id));
            }
            Ok(ProductSaved { product_id })
        })
        .await
}
