//! `price_products`: the catalog price and name of each product of a sale, in one request, so
//! the place-order saga never takes a price from its caller.

use bikestore_contracts::inventory::{PriceProducts, ProductPrice, ProductPrices};
use bikestore_contracts::orders::MAX_ORDER_LINES;
use bikestore_contracts::{Cents, ProductId};
use bikestore_runtime::Ctx;
use rusqlite::{OptionalExtension, params};

use crate::Inventory;
use crate::error::InventoryError;

/// Prices every product asked for, in the order asked; an unknown product is `not_found`, a
/// product named twice or a list longer than an order may be is `invalid`.
pub async fn handle(
    ctx: Ctx<Inventory>,
    request: PriceProducts,
) -> Result<ProductPrices, InventoryError> {
    let product_ids = product_ids(request.product_ids)?;
    ctx.db
        .query_by_key(move |connection| {
            let mut statement = connection
                .prepare_cached("SELECT name, list_price FROM products WHERE product_id = ?1")?;
            let mut prices = Vec::with_capacity(product_ids.len());
            for product_id in product_ids {
                let found = statement
                    .query_row(params![product_id.0], |row| {
                        Ok((row.get::<_, String>(0)?, Cents(row.get(1)?)))
                    })
                    .optional()?;
                let (name, list_price) =
                    found.ok_or_else(|| InventoryError::not_found("product", product_id))?;
                prices.push(ProductPrice {
                    product_id,
                    name,
                    list_price,
                });
            }
            Ok(ProductPrices { prices })
        })
        .await
}

/// Checks the list: 1 to [`MAX_ORDER_LINES`] products, each once.
fn product_ids(product_ids: Vec<ProductId>) -> Result<Vec<ProductId>, InventoryError> {
    if product_ids.is_empty() || product_ids.len() > MAX_ORDER_LINES {
        return Err(InventoryError::invalid(
            "product_ids",
            format!("must hold 1 to {MAX_ORDER_LINES} products"),
        ));
    }
    let mut seen = product_ids.clone();
    seen.sort_unstable();
    seen.dedup();
    if seen.len() != product_ids.len() {
        return Err(InventoryError::invalid(
            "product_ids",
            "a product appears at most once",
        ));
    }
    Ok(product_ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_or_empty_list_is_refused() {
        assert!(product_ids(vec![ProductId(1), ProductId(2)]).is_ok());
        assert!(product_ids(vec![]).is_err());
        assert!(product_ids(vec![ProductId(1), ProductId(1)]).is_err());
        assert!(product_ids(vec![ProductId(1); MAX_ORDER_LINES + 1]).is_err());
    }
}
