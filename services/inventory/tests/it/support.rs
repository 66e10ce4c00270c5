//! The inventory under test: a [`System`] from the harness with inventory's test
//! configuration, and helpers to make a catalog and read what inventory published.

use std::time::Duration;

use bikestore_contracts::inventory::{
    CreateBrand, CreateCategory, CreateProduct, CreateStore, ProductFields, ReceiveStock,
};
use bikestore_contracts::{Cents, ProductId, ServiceName, StoreId};
use bikestore_harness::System;

pub const READY: Duration = bikestore_testkit::SERVICE_READY;

/// nats-server and a data folder, inventory configured with fast expiry sweeps but not
/// started.
pub async fn without_service() -> anyhow::Result<System> {
    System::builder()
        .configure(|configs| configs.inventory.expiry_sweep_interval = Duration::from_millis(50))
        .start()
        .await
}

/// A system running inventory alone, in this process.
pub async fn with_service() -> anyhow::Result<System> {
    let mut system = without_service().await?;
    system.start_service(ServiceName::Inventory).await?;
    Ok(system)
}

/// One store, one brand, one category, and one product with `stock` units in the store.
pub async fn fixture(system: &System, stock: i64) -> anyhow::Result<Fixture> {
    let store_id = system
        .caller()
        .call(&CreateStore {
            name: format!("Store {}", ulid::Ulid::new()),
            city: "Santa Cruz".into(),
            state: "CA".into(),
            ..CreateStore::default()
        })
        .await?
        .store_id;
    let brand_id = system
        .caller()
        .call(&CreateBrand {
            name: format!("Brand {}", ulid::Ulid::new()),
        })
        .await?
        .brand_id;
    let category_id = system
        .caller()
        .call(&CreateCategory {
            name: format!("Category {}", ulid::Ulid::new()),
        })
        .await?
        .category_id;
    let product_id = system
        .caller()
        .call(&CreateProduct {
            product: ProductFields {
                name: format!("Trek 820 {}", ulid::Ulid::new()),
                brand_id,
                category_id,
                model_year: 2019,
                list_price: Cents(37_999),
            },
        })
        .await?
        .product_id;
    if stock > 0 {
        system
            .caller()
            .call(&ReceiveStock {
                store_id,
                product_id,
                quantity: stock,
            })
            .await?;
    }
    Ok(Fixture {
        store_id,
        product_id,
        brand_id,
        category_id,
    })
}

#[derive(Debug, Clone, Copy)]
pub struct Fixture {
    pub store_id: StoreId,
    pub product_id: ProductId,
    pub brand_id: bikestore_contracts::BrandId,
    pub category_id: bikestore_contracts::CategoryId,
}
