//! `list_stores`: every store of the chain.

use bikestore_contracts::StoreId;
use bikestore_contracts::inventory::{ListStores, Store, StoreList};
use bikestore_runtime::Ctx;

use crate::Inventory;
use crate::error::InventoryError;

/// Reads every store, by ID.
pub async fn handle(
    ctx: Ctx<Inventory>,
    _request: ListStores,
) -> Result<StoreList, InventoryError> {
    ctx.db
        .query(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT store_id, name, phone, email, street, city, state, zip_code, time_zone
                 FROM stores ORDER BY store_id",
            )?;
            let stores = statement
                .query_map([], |row| {
                    Ok(Store {
                        store_id: StoreId(row.get(0)?),
                        name: row.get(1)?,
                        phone: row.get(2)?,
                        email: row.get(3)?,
                        street: row.get(4)?,
                        city: row.get(5)?,
                        state: row.get(6)?,
                        zip_code: row.get(7)?,
                        time_zone: row.get(8)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(StoreList { stores })
        })
        .await
}
