//! The notifications service: renders notifications from order and stock events and delivers
//! each one, never twice, on every channel that takes it.
//!
//! Layout: `events` holds the durable consumers of the orders and inventory event streams and
//! records an event's notifications with its ID in one transaction; `templates` the texts;
//! `delivery` the worker that delivers pending notifications with retries; `channels` the
//! [`channels::Channel`] trait and the two shipped channels (a rotating log file and a live
//! NATS subject per store); [`queries`] the list endpoint; `store` the schema and shared SQL;
//! `domain` the rules. The service owns its SQLite file and talks to nothing but NATS.

pub mod channels;
pub mod config;
mod delivery;
mod domain;
mod error;
mod events;
pub mod queries;
mod store;
pub mod templates;

use std::sync::Arc;
use std::time::Duration;

use bikestore_contracts::{ServiceName, Subjects};
use bikestore_runtime::{
    RuntimeError, ServiceDb, ServiceHost, Shutdown, connect, consumer, dead_letters, streams,
};
use bikestore_storage::Database;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tracing::info;

use crate::channels::Channels;
use crate::channels::live::LiveChannel;
use crate::channels::log_file::LogFileChannel;
pub use crate::config::NotificationsConfig;
pub use crate::domain::RetryPolicy;
pub use crate::error::NotificationsError;

/// Settings the consumer and the delivery worker read.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How failed deliveries are retried.
    pub retry_policy: RetryPolicy,
    /// How often the delivery worker looks for pending deliveries when nothing wakes it.
    pub delivery_poll: Duration,
    /// The pause before an event that could not be handled is delivered again.
    pub event_retry: Duration,
    /// Event bodies larger than this are refused.
    pub max_event_bytes: usize,
}

/// The state the consumers, the delivery worker and the query share.
pub struct Notifications {
    /// The database.
    pub db: Arc<ServiceDb>,
    /// The delivery channels.
    pub channels: Arc<Channels>,
    /// Woken when notifications are recorded, so the delivery worker starts at once.
    pub wake: Notify,
    /// The settings.
    pub settings: Settings,
    /// The subject builder.
    pub subjects: Subjects,
}

/// Opens the notifications database at the configured place, migrating it.
pub async fn open_database(config: &NotificationsConfig) -> Result<Database, RuntimeError> {
    let path = config
        .common
        .database_path(ServiceName::Notifications.as_str());
    let options = config.common.database_options();
    tokio::task::spawn_blocking(move || Database::open(&path, store::MIGRATIONS, &options))
        .await
        .map_err(|error| RuntimeError::Config(format!("database open task failed: {error}")))?
        .map_err(RuntimeError::from)
}

/// Runs the service until `shutdown`: consumes order and stock events, delivers notifications
/// and serves the list query; then lets the current delivery round and requests finish.
pub async fn run(config: NotificationsConfig, shutdown: Shutdown) -> Result<(), RuntimeError> {
    let subjects = config.common.subjects()?;
    let database = open_database(&config).await?;
    let db = Arc::new(ServiceDb::new(
        database,
        subjects.clone(),
        config.common.fault.clone(),
    ));
    let client = connect::connect_as(
        &config.common.nats_url,
        config.common.nats_credentials.as_deref(),
        ServiceName::Notifications.as_str(),
    )
    .await?;
    let channels = Channels::new(
        vec![
            Box::new(LogFileChannel::new(
                config.log_file_path(),
                config.log_file_max_bytes,
                config.log_file_keep,
            )),
            Box::new(LiveChannel::new(client.clone(), subjects.clone())),
        ],
        config.fail_channel.as_deref(),
    )
    .map_err(RuntimeError::Config)?;
    let notifications = Arc::new(Notifications {
        db: Arc::clone(&db),
        channels: Arc::new(channels),
        wake: Notify::new(),
        settings: Settings {
            retry_policy: RetryPolicy {
                base: config.delivery_retry_base,
                max_attempts: config.delivery_max_attempts.max(1),
            },
            delivery_poll: config.delivery_poll,
            event_retry: config.event_retry,
            max_event_bytes: config.common.max_request_bytes,
        },
        subjects: subjects.clone(),
    });

    let jetstream = async_nats::jetstream::new(client.clone());
    // The source streams are created here too, so the services may start in any order.
    for source in [ServiceName::Orders, ServiceName::Inventory] {
        streams::ensure_event_stream(&jetstream, &subjects, source).await?;
    }
    dead_letters::ensure_stream(&jetstream, &subjects).await?;

    let mut host = ServiceHost::start(
        client,
        subjects.clone(),
        ServiceName::Notifications,
        "Renders and delivers notifications",
        Arc::clone(&notifications),
        config.common.max_request_bytes,
        shutdown.clone(),
    )
    .await?;
    queries::register(&mut host).await?;

    let mut tasks = JoinSet::new();
    for definition in events::consumers(&subjects, config.event_ack_wait) {
        let state = Arc::clone(&notifications);
        let max_deliver = definition.max_deliver;
        tasks.spawn(consumer::run(
            jetstream.clone(),
            definition,
            shutdown.clone(),
            move |message| events::handle(Arc::clone(&state), max_deliver, message),
        ));
    }
    tasks.spawn(delivery::run(
        Arc::clone(&notifications),
        config.delivery_lock_path(),
        shutdown.clone(),
    ));
    info!("notifications service ready");
    let served = host.serve().await;
    while tasks.join_next().await.is_some() {}
    drop(notifications);
    if let Ok(db) = Arc::try_unwrap(db) {
        db.close().await;
    }
    info!("notifications service stopped");
    served
}
