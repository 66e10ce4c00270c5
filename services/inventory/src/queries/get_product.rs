//! `get_product`: one product with its stock in every store.

use bikestore_contracts::inventory::{GetProduct, ProductDetail};
use bikestore_runtime::Ctx;
use rusqlite::params;

use crate::Inventory;
use crate::error::InventoryError;
use crate::store::products;
use crate::store::stock::level_from_row;

/// Reads the product and one stock level per store; a store that never held it shows zero.
pub async fn handle(
    ctx: Ctx<Inventory>,
    request: GetProduct,
) -> Result<ProductDetail, InventoryError> {
    let product_id = request.product_id;
    ctx.db
        .query(move |connection| {
            let product = products::find(connection, product_id)?
                .ok_or_else(|| InventoryError::not_found("product", product_id))?;
            // Every store is listed, with zero where it never held the product; the columns are
            // those of `level_from_row`.
            let sql = "SELECT st.store_id, p.product_id, p.name, COALESCE(s.on_hand, 0), COALESCE(s.reserved, 0)
                 FROM stores st
                 JOIN products p ON p.product_id = ?1
                 LEFT JOIN stocks s ON s.store_id = st.store_id AND s.product_id = p.product_id
                 ORDER BY st.store_id";
            let stock = connection
                .prepare_cached(sql)?
                .query_map(params![product_id.0], level_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(ProductDetail { product, stock })
        })
        .await
}
