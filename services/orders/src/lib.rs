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
use bikestore_runtime::{
    RuntimeError, ServiceDb, ServiceHost, Shutdown, connect, dead_letters, streams,
};
use bikestore_storage::Database;
use tracing::info;

pub use config::OrdersConfig;
pub use error::OrdersError;

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
    let path = config.common.database_path(ServiceName::Orders.as_str());
    let options = config.common.database_options();
    tokio::task::spawn_blocking(move || Database::open(&path, store::MIGRATIONS, &options))
        .await
        .map_err(|error| RuntimeError::Config(format!("database open task failed: {error}")))?
        .map_err(RuntimeError::from)
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
    let subjects = config.common.subjects()?;
    let database = open_database(&config).await?;
    let db = Arc::new(ServiceDb::new(
        database,
        subjects.clone(),
        config.common.fault.clone(),
    ));
    let provider_name = provider.name();
    let orders = Arc::new(Orders {
        db: Arc::clone(&db),
        provider: TimedProvider::new(provider, config.provider_timeout),
    });
    let client = connect::connect_as(
        &config.common.nats_url,
        config.common.nats_credentials.as_deref(),
        ServiceName::Orders.as_str(),
    )
    .await?;
    let jetstream = async_nats::jetstream::new(client.clone());
    streams::ensure_event_stream(&jetstream, &subjects, ServiceName::Orders).await?;
    // Created by every service at start, so a consumer's give-ups are kept from the first one.
    dead_letters::ensure_stream(&jetstream, &subjects).await?;

    let mut host = ServiceHost::start(
        client,
        subjects,
        ServiceName::Orders,
        "Customers, orders and payments",
        Arc::clone(&orders),
        config.common.max_request_bytes,
        shutdown.clone(),
    )
    .await?;
    commands::register(&mut host).await?;
    queries::register(&mut host).await?;

    let mut background =
        bikestore_runtime::commands::background(&db, jetstream, &config.common, &shutdown);
    info!(
        provider = provider_name,
        provider_timeout_ms = config.provider_timeout.as_millis() as u64,
        "orders service ready"
    );
    let served = host.serve().await;
    while background.join_next().await.is_some() {}
    drop(orders);
    if let Ok(db) = Arc::try_unwrap(db) {
        db.close().await;
    }
    info!("orders service stopped");
    served
}
