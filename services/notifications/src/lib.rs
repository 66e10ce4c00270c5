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
use bikestore_runtime::application::Application;
use bikestore_runtime::{RuntimeError, ServiceDb, Shutdown, consumer};
use tokio::sync::Notify;
use tracing::info;

use crate::channels::Channels;
use crate::channels::live::LiveChannel;
use crate::channels::log_file::LogFileChannel;
pub use crate::config::NotificationsConfig;
pub use crate::domain::RetryPolicy;
pub use crate::error::NotificationsError;

/// The schema version this service's database is at once migrated: the number of its
/// migrations, which `PRAGMA user_version` counts as they apply. A restore refuses a backup copy
/// newer than this: only a later version of the service knows that schema.
pub const SCHEMA_VERSION: u32 = store::MIGRATIONS.len() as u32;

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

/// Runs the service until `shutdown`: consumes order and stock events, delivers notifications
/// and serves the list query; then lets the current delivery round and requests finish.
pub async fn run(config: NotificationsConfig, shutdown: Shutdown) -> Result<(), RuntimeError> {
    let mut app = Application::build(ServiceName::Notifications, &config.common, shutdown).await?;
    let db = app.open_database(store::MIGRATIONS).await?;
    // The source streams are created here too, so the services may start in any order.
    app.ensure_event_streams(&[ServiceName::Orders, ServiceName::Inventory])
        .await?;
    let subjects = app.subjects().clone();
    let channels = Channels::new(
        vec![
            Box::new(LogFileChannel::new(
                config.log_file_path(),
                config.log_file_max_bytes,
                config.log_file_keep,
            )),
            Box::new(LiveChannel::new(app.client().clone(), subjects.clone())),
        ],
        config.fail_channel.as_deref(),
    )
    .map_err(RuntimeError::Config)?;
    let notifications = Arc::new(Notifications {
        db,
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
    for definition in events::consumers(&subjects, config.event_ack_wait) {
        let state = Arc::clone(&notifications);
        let max_deliver = definition.max_deliver;
        app.spawn(consumer::run_batched(
            app.jetstream().clone(),
            definition,
            events::BATCH,
            app.shutdown(),
            move |messages| events::handle_batch(Arc::clone(&state), max_deliver, messages),
        ));
    }
    app.spawn(delivery::run(
        Arc::clone(&notifications),
        config.delivery_lock_path(),
        app.shutdown(),
    ));
    let mut host = app
        .host("Renders and delivers notifications", notifications)
        .await?;
    queries::register(&mut host).await?;
    info!("notifications service ready");
    app.serve(host).await
}
