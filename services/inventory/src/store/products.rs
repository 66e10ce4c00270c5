//! Reading products with their brand and category names.

use bikestore_contracts::inventory::{Named, Product};
use bikestore_contracts::{BrandId, CategoryId, Cents, ProductId};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::error::InventoryError;

/// The columns [`from_row`] reads, joined from products, brands and categories.
pub const PRODUCT_COLUMNS: &str =
    "p.product_id, p.name, b.brand_id, b.name, c.category_id, c.name, p.model_year, p.list_price";

/// The join [`PRODUCT_COLUMNS`] reads from.
pub const PRODUCT_JOIN: &str = "products p
    JOIN brands b ON b.brand_id = p.brand_id
    JOIN categories c ON c.category_id = p.category_id";

/// Reads a product from a row of [`PRODUCT_COLUMNS`].
pub fn from_row(row: &Row<'_>) -> rusqlite::Result<Product> {
    Ok(Product {
        product_id: ProductId(row.get(0)?),
        name: row.get(1)?,
        brand: Named {
            id: BrandId(row.get(2)?),
            name: row.get(3)?,
        },
        category: Named {
            id: CategoryId(row.get(4)?),
            name: row.get(5)?,
        },
        model_year: row.get(6)?,
        list_price: Cents(row.get(7)?),
    })
}

/// One product, if it exists.
pub fn find(
    connection: &Connection,
    product_id: ProductId,
) -> Result<Option<Product>, InventoryError> {
    let sql = format!("SELECT {PRODUCT_COLUMNS} FROM {PRODUCT_JOIN} WHERE p.product_id = ?1");
    let product = connection
        .prepare_cached(&sql)?
        .query_row(params![product_id.0], from_row)
        .optional()?;
    Ok(product)
}

/// Whether a row with this ID exists in a table whose key column is named.
pub fn exists(connection: &Connection, sql: &'static str, id: i64) -> Result<bool, InventoryError> {
    Ok(connection
        .prepare_cached(sql)?
        .query_row(params![id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// SQL for [`exists`]: a store.
pub const STORE_EXISTS: &str = "SELECT 1 FROM stores WHERE store_id = ?1";
/// SQL for [`exists`]: a brand.
pub const BRAND_EXISTS: &str = "SELECT 1 FROM brands WHERE brand_id = ?1";
/// SQL for [`exists`]: a category.
pub const CATEGORY_EXISTS: &str = "SELECT 1 FROM categories WHERE category_id = ?1";
