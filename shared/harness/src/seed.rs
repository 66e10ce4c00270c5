//! The demo data, loaded straight into the services' databases before they start, as
//! `just up` does on first start.

use anyhow::Context;

use crate::Configs;

/// The documented password of a demo login (README, "Demo logins").
pub fn demo_password(username: &str) -> String {
    bikestore_identity::seed::demo_password(username)
        .expose()
        .to_owned()
}

/// Seeds the demo staff, the catalog at `scale` and the customers.
pub(crate) async fn seed(configs: &Configs, scale: u32) -> anyhow::Result<()> {
    let database = bikestore_identity::open_database(&configs.identity).await?;
    let seeded = bikestore_identity::seed::seed(&database).await;
    database.close().await;
    seeded.context("seed the staff")?;
    let database = bikestore_inventory::open_database(&configs.inventory).await?;
    let seeded = bikestore_inventory::seed::seed(&database, scale).await;
    database.close().await;
    seeded.context("seed the catalog")?;
    let database = bikestore_orders::open_database(&configs.orders).await?;
    let seeded = bikestore_orders::seed::seed(&database, scale).await;
    database.close().await;
    seeded.context("seed the customers")?;
    Ok(())
}
