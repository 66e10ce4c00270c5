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
use bikestore_runtime::application::{self, Application};
use bikestore_runtime::{RuntimeError, ServiceDb, Shutdown};
use bikestore_storage::Database;
use tracing::info;

pub use config::InventoryConfig;
pub use error::InventoryError;

/// The schema version this service's database is at once migrated: the number of its
/// migrations, which `PRAGMA user_version` counts as they apply. A restore refuses a backup copy
/// newer than this: only a later version of the service knows that schema.
pub const SCHEMA_VERSION: u32 = store::MIGRATIONS.len() as u32;

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
    application::open_database(&config.common, ServiceName::Inventory, store::MIGRATIONS).await
}

/// Runs the service until `shutdown`: serves every endpoint, relays the outbox, expires
/// reservations; then drains in-flight requests and flushes the outbox.
pub async fn run(config: InventoryConfig, shutdown: Shutdown) -> Result<(), RuntimeError> {
    let mut app = Application::build(ServiceName::Inventory, &config.common, shutdown).await?;
    let db = app.open_database(store::MIGRATIONS).await?;
    app.ensure_event_streams(&[ServiceName::Inventory]).await?;
    let inventory = Arc::new(Inventory {
        db,
        settings: Settings {
            low_stock_threshold: config.low_stock_threshold,
            reservation_ttl: config.reservation_ttl,
            expiry_sweep_interval: config.expiry_sweep_interval,
        },
    });
    app.spawn(expiry::run(Arc::clone(&inventory), app.shutdown()));
    let mut host = app
        .host("Catalog, stock per store and reservations", inventory)
        .await?;
    commands::register(&mut host).await?;
    queries::register(&mut host).await?;
    info!("inventory service ready");
    app.serve(host).await
}
