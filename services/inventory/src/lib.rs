//! The inventory service: catalog (stores, brands, categories, products), stock per store, and
//! the reservations sagas use to hold stock for an order or a transfer.
//!
//! Layout: [`commands`] and [`queries`] hold one module per endpoint; `domain` holds the
//! validation rules; `store` the schema and shared SQL; `expiry` the sweep that gives back
//! stock of reservations nobody settled; `seed` the demo catalog. Events (`stock_changed`,
//! `stock_low`) are written to the outbox with the change and relayed to the
//! `<PREFIX>_INVENTORY_EVENTS` stream. The service owns its SQLite file and talks to nothing
//! but NATS.

pub mod commands;
pub mod config;
mod domain;
mod error;
pub mod expiry;
pub mod queries;
pub mod seed;
mod store;

use std::sync::Arc;
use std::time::Duration;

use bikestore_contracts::ServiceName;
use bikestore_runtime::{
    RuntimeError, ServiceDb, ServiceHost, Shutdown, connect, dead_letters, streams,
};
use bikestore_storage::Database;
use tracing::info;

pub use config::InventoryConfig;
pub use error::InventoryError;

/// Settings the handlers read.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Available units at or below this are low.
    pub low_stock_threshold: i64,
    /// How long a reservation holds stock.
    pub reservation_ttl: Duration,
    /// How often expired reservations are looked for.
    pub expiry_sweep_interval: Duration,
}

/// The state every handler shares.
pub struct Inventory {
    /// The database, with inbox and outbox.
    pub db: Arc<ServiceDb>,
    /// The settings.
    pub settings: Settings,
}

/// Opens the inventory database at the configured place, migrating it.
pub async fn open_database(config: &InventoryConfig) -> Result<Database, RuntimeError> {
    let path = config.common.database_path(ServiceName::Inventory.as_str());
    let options = config.common.database_options();
    tokio::task::spawn_blocking(move || Database::open(&path, store::MIGRATIONS, &options))
        .await
        .map_err(|error| RuntimeError::Config(format!("database open task failed: {error}")))?
        .map_err(RuntimeError::from)
}

/// Runs the service until `shutdown`: serves every endpoint, relays the outbox, expires
/// reservations; then drains in-flight requests and flushes the outbox.
pub async fn run(config: InventoryConfig, shutdown: Shutdown) -> Result<(), RuntimeError> {
    let subjects = config.common.subjects()?;
    let database = open_database(&config).await?;
    let db = Arc::new(ServiceDb::new(
        database,
        subjects.clone(),
        config.common.fault.clone(),
    ));
    let inventory = Arc::new(Inventory {
        db: Arc::clone(&db),
        settings: Settings {
            low_stock_threshold: config.low_stock_threshold,
            reservation_ttl: config.reservation_ttl,
            expiry_sweep_interval: config.expiry_sweep_interval,
        },
    });
    let client = connect::connect_as(
        &config.common.nats_url,
        config.common.nats_credentials.as_deref(),
        ServiceName::Inventory.as_str(),
    )
    .await?;
    let jetstream = async_nats::jetstream::new(client.clone());
    streams::ensure_event_stream(&jetstream, &subjects, ServiceName::Inventory).await?;
    // Created by every service at start, so a consumer's give-ups are kept from the first one.
    dead_letters::ensure_stream(&jetstream, &subjects).await?;

    let mut host = ServiceHost::start(
        client,
        subjects,
        ServiceName::Inventory,
        "Catalog, stock per store and reservations",
        Arc::clone(&inventory),
        config.common.max_request_bytes,
        shutdown.clone(),
    )
    .await?
    .with_fault(config.common.fault.as_ref());
    commands::register(&mut host).await?;
    queries::register(&mut host).await?;

    let mut background =
        bikestore_runtime::commands::background(&db, jetstream, &config.common, &shutdown);
    let expiry_task = tokio::spawn(expiry::run(Arc::clone(&inventory), shutdown.clone()));
    info!("inventory service ready");
    let served = host.serve().await;
    let _ = expiry_task.await;
    while background.join_next().await.is_some() {}
    drop(inventory);
    if let Ok(db) = Arc::try_unwrap(db) {
        db.close().await;
    }
    info!("inventory service stopped");
    served
}
