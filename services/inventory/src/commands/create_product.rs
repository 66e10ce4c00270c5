//! `create_product`: adds a product to the catalog.

use bikestore_contracts::ProductId;
use bikestore_contracts::inventory::{CreateProduct, ProductFields, ProductSaved};
use bikestore_runtime::Ctx;
use rusqlite::{Connection, params};

use crate::Inventory;
use crate::domain;
use crate::error::InventoryError;
use crate::store::products::{BRAND_EXISTS, CATEGORY_EXISTS, exists};

/// Validates the fields, checks the brand and category exist, and inserts the product.
pub async fn handle(
    ctx: Ctx<Inventory>,
    request: CreateProduct,
) -> Result<ProductSaved, InventoryError> {
    let fields = domain::product_fields(&request.product)?;
    ctx.db
        .command(&ctx.meta, move |transaction| {
            let connection = transaction.connection();
            check_references(connection, &fields)?;
            connection
                .prepare_cached(
                    "INSERT INTO products (name, brand_id, category_id, model_year, list_price)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![
                    fields.name,
                    fields.brand_id.0,
                    fields.category_id.0,
                    fields.model_year,
                    fields.list_price.0
                ])
                .map_err(|error| {
                    InventoryError::on_duplicate(error, || {
                        format!("product {:?} already exists", fields.name)
                    })
                })?;
            Ok(ProductSaved {
                product_id: ProductId(connection.last_insert_rowid()),
            })
        })
        .await
}

/// A product's brand and category must exist; shared with `update_product`.
pub(super) fn check_references(
    connection: &Connection,
    fields: &ProductFields,
) -> Result<(), InventoryError> {
    if !exists(connection, BRAND_EXISTS, fields.brand_id.0)? {
        return Err(InventoryError::not_found("brand", fields.brand_id));
    }
    if !exists(connection, CATEGORY_EXISTS, fields.category_id.0)? {
        return Err(InventoryError::not_found("category", fields.category_id));
    }
    Ok(())
}
