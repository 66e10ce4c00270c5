//! `create_store`: opens a store.

use bikestore_contracts::StoreId;
use bikestore_contracts::inventory::{CreateStore, StoreCreated};
use bikestore_runtime::Ctx;
use rusqlite::params;

use crate::Inventory;
use crate::domain;
use crate::error::InventoryError;

/// Validates and inserts the store; a taken name is a conflict.
pub async fn handle(
    ctx: Ctx<Inventory>,
    request: CreateStore,
) -> Result<StoreCreated, InventoryError> {
    let store = CreateStore {
        name: domain::name("name", &request.name)?,
        phone: domain::optional_text("phone", &request.phone)?,
        email: domain::optional_text("email", &request.email)?,
        street: domain::optional_text("street", &request.street)?,
        city: domain::optional_text("city", &request.city)?,
        state: domain::optional_text("state", &request.state)?,
        zip_code: domain::optional_text("zip_code", &request.zip_code)?,
        time_zone: domain::time_zone("time_zone", &request.time_zone)?,
    };
    ctx.db
        .command(&ctx.meta, move |transaction| {
            let connection = transaction.connection();
            connection
                .prepare_cached(
                    "INSERT INTO stores (name, phone, email, street, city, state, zip_code,
                                         time_zone)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?
                .execute(params![
                    store.name,
                    store.phone,
                    store.email,
                    store.street,
                    store.city,
                    store.state,
                    store.zip_code,
                    store.time_zone
                ])
                .map_err(|error| {
                    InventoryError::on_duplicate(error, || {
                        format!("store {:?} already exists", store.name)
                    })
                })?;
            Ok(StoreCreated {
                store_id: StoreId(connection.last_insert_rowid()),
            })
        })
        .await
}
