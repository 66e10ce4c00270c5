//! The orders service: customers, orders and their status, and payments through a pluggable
//! provider.
//!
//! Layout: [`commands`] and [`queries`] hold one module per endpoint; `domain` holds the
//! validation rules, the totals and the order state machine; [`payments`] the provider trait,
//! the simulated provider with its test cards, card checks and the provider timeout; `store`
//! the schema and shared SQL; [`seed`] the demo customers. Events (`order_placed`,
//! `order_status_changed`, `payment_*`) are written to the outbox with the change and relayed
//! to the `<PREFIX>_ORDERS_EVENTS` stream. The service owns its SQLite file and talks to
//! nothing but NATS (and its payment provider).

pub mod commands;
pub mod config;
mod domain;
mod error;
pub mod payments;
pub mod queries;
pub mod seed;
mod store;

use std::sync::Arc;

use bikestore_contracts::ServiceName;
use bikestore_runtime::application::{self, Application};
use bikestore_runtime::{RuntimeError, ServiceDb, Shutdown};
use bikestore_storage::Database;
use tracing::info;

pub use config::OrdersConfig;
pub use error::OrdersError;

/// The schema version this service's database is at once migrated: the number of its
/// migrations, which `PRAGMA user_version` counts as they apply. A restore refuses a backup copy
/// newer than this: only a later version of the service knows that schema.
pub const SCHEMA_VERSION: u32 = store::MIGRATIONS.len() as u32;

use payments::{PaymentProvider, SimulatedProvider, TimedProvider};

/// The state every handler shares.
pub struct Orders {
    /// The database, with inbox and outbox.
    pub db: Arc<ServiceDb>,
    /// The payment provider, each call bounded by the provider timeout.
    pub provider: TimedProvider,
}

/// Opens the orders database at the configured place, migrating it.
pub async fn open_database(config: &OrdersConfig) -> Result<Database, RuntimeError> {
    application::open_database(&config.common, ServiceName::Orders, store::MIGRATIONS).await
}

/// Runs the service with the simulated payment provider until `shutdown`.
pub async fn run(config: OrdersConfig, shutdown: Shutdown) -> Result<(), RuntimeError> {
    let provider = Arc::new(SimulatedProvider::new(config.flaky_card_failures));
    run_with_provider(config, provider, shutdown).await
}

/// Runs the service with `provider` until `shutdown`: serves every endpoint and relays the
/// outbox; then drains in-flight requests and flushes the outbox.
pub async fn run_with_provider(
    config: OrdersConfig,
    provider: Arc<dyn PaymentProvider>,
    shutdown: Shutdown,
) -> Result<(), RuntimeError> {
    let mut app = Application::build(ServiceName::Orders, &config.common, shutdown).await?;
    let db = app.open_database(store::MIGRATIONS).await?;
    app.ensure_event_streams(&[ServiceName::Orders]).await?;
    let provider_name = provider.name();
    let orders = Arc::new(Orders {
        db,
        provider: TimedProvider::new(provider, config.provider_timeout),
    });
    let mut host = app.host("Customers, orders and payments", orders).await?;
    commands::register(&mut host).await?;
    queries::register(&mut host).await?;
    info!(
        provider = provider_name,
        provider_timeout_ms = config.provider_timeout.as_millis() as u64,
        "orders service ready"
    );
    app.serve(host).await
}
