//! The notifications service under test: a [`System`] from the harness with notifications'
//! test configuration and the source streams it reads (orders and inventory do not run), and
//! helpers to publish source events and read what came out.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use async_nats::HeaderMap;
use async_nats::jetstream;
use bikestore_codec::ContentType;
use bikestore_contracts::inventory::Page;
use bikestore_contracts::inventory::{StockLevel, StockLow};
use bikestore_contracts::notifications::{ListNotifications, Notification, NotificationPage};
use bikestore_contracts::orders::{OrderStatus, OrderStatusChanged};
use bikestore_contracts::{CustomerId, Event, OrderId, ProductId, ServiceName, StoreId, headers};
use bikestore_harness::{Configs, System};
use bikestore_runtime::streams;
use futures::StreamExt;

pub const READY: Duration = bikestore_testkit::SERVICE_READY;

/// What a notifications process gets on top of the system's settings: quick polls and
/// redeliveries.
pub const PROCESS_ENV: [(&str, &str); 2] = [
    ("BIKESTORE_NOTIFICATIONS_DELIVERY_POLL_MS", "100"),
    ("BIKESTORE_NOTIFICATIONS_EVENT_ACK_WAIT_MS", "2000"),
];

/// The notifications configuration tests start with: quick retries and polls.
fn quick_retries(configs: &mut Configs) {
    let config = &mut configs.notifications;
    config.delivery_retry_base = Duration::from_millis(10);
    config.delivery_max_attempts = 3;
    config.delivery_poll = Duration::from_millis(100);
    config.event_retry = Duration::from_millis(20);
}

/// nats-server with the orders and inventory event streams and a data folder, notifications
/// configured but not started.
pub async fn without_service() -> anyhow::Result<System> {
    let system = System::builder().configure(quick_retries).start().await?;
    let jetstream = jetstream(&system);
    for source in [ServiceName::Orders, ServiceName::Inventory] {
        streams::ensure_event_stream(&jetstream, system.subjects(), source, 1).await?;
    }
    Ok(system)
}

/// A system running notifications alone, in this process.
pub async fn with_service() -> anyhow::Result<System> {
    let mut system = without_service().await?;
    system.start_service(ServiceName::Notifications).await?;
    Ok(system)
}

/// JetStream on the operator's connection.
pub fn jetstream(system: &System) -> jetstream::Context {
    jetstream::new(system.client().clone())
}

/// Publishes `event` to JetStream as the owning service's relay would, under `event_id`.
pub async fn publish<E: Event>(system: &System, event_id: &str, event: &E) -> anyhow::Result<()> {
    let body = bikestore_codec::encode(ContentType::Json, event)?;
    let mut event_headers = HeaderMap::new();
    event_headers.insert(
        headers::SCHEMA_VERSION,
        E::SCHEMA_VERSION.to_string().as_str(),
    );
    publish_raw(
        system,
        &system.subjects().event_subject(event),
        event_id,
        event_headers,
        body,
    )
    .await
}

/// Publishes any body on `subject` with `Nats-Msg-Id` and a JSON content type.
pub async fn publish_raw(
    system: &System,
    subject: &str,
    event_id: &str,
    mut event_headers: HeaderMap,
    body: Vec<u8>,
) -> anyhow::Result<()> {
    event_headers.insert(headers::NATS_MSG_ID, event_id);
    event_headers.insert(headers::CONTENT_TYPE, ContentType::Json.header_value());
    jetstream(system)
        .publish_with_headers(subject.to_owned(), event_headers, body.into())
        .await?
        .await
        .with_context(|| format!("publish {event_id}"))?;
    Ok(())
}

/// A subscription to a store's live notifications, registered with the server before this
/// returns.
pub async fn watch_store(
    system: &System,
    store_id: StoreId,
) -> anyhow::Result<async_nats::Subscriber> {
    let subscriber = system
        .client()
        .subscribe(system.subjects().live_store_notifications(store_id))
        .await?;
    system.client().flush().await?;
    Ok(subscriber)
}

pub async fn list(system: &System, request: ListNotifications) -> anyhow::Result<NotificationPage> {
    Ok(system.caller().call(&request).await?)
}

/// Every notification, newest first, page by page.
pub async fn all_notifications(system: &System) -> anyhow::Result<Vec<Notification>> {
    let mut all = Vec::new();
    loop {
        let page = list(
            system,
            ListNotifications {
                page: Page {
                    offset: u32::try_from(all.len())?,
                    limit: 500,
                },
                ..ListNotifications::default()
            },
        )
        .await?;
        let done = page.notifications.is_empty();
        all.extend(page.notifications);
        if done || all.len() as u64 >= page.total {
            return Ok(all);
        }
    }
}

pub fn log_path(system: &System) -> PathBuf {
    system
        .data_dir()
        .join(ServiceName::Notifications.as_str())
        .join("notifications.log")
}

/// The notification log's lines (empty before the first delivery).
pub fn log_lines(system: &System) -> Vec<String> {
    std::fs::read_to_string(log_path(system))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The notification IDs of the log's lines.
pub fn logged_ids(system: &System) -> Vec<i64> {
    log_lines(system)
        .iter()
        .filter_map(|line| bikestore_notifications::channels::log_file::notification_id_of(line))
        .collect()
}

/// Waits for the next `count` notifications on `subscriber`.
pub async fn receive(
    subscriber: &mut async_nats::Subscriber,
    count: usize,
) -> anyhow::Result<Vec<Notification>> {
    let mut received = Vec::with_capacity(count);
    while received.len() < count {
        let message = tokio::time::timeout(READY, subscriber.next())
            .await
            .context("timed out waiting for a live notification")?
            .context("the subscription ended")?;
        let content_type = message
            .headers
            .as_ref()
            .and_then(|map| map.get(headers::CONTENT_TYPE))
            .map(|value| value.as_str());
        anyhow::ensure!(
            content_type == Some(ContentType::Json.header_value()),
            "live notifications are JSON"
        );
        received.push(bikestore_codec::decode(
            ContentType::Json,
            None,
            &message.payload,
            usize::MAX,
        )?);
    }
    Ok(received)
}

/// `order` moving from `from` to `to` for `customer` at `store`.
pub fn order_moved(
    order: i64,
    customer: i64,
    store: i64,
    from: OrderStatus,
    to: OrderStatus,
    reason: Option<&str>,
) -> OrderStatusChanged {
    OrderStatusChanged {
        order_id: OrderId(order),
        customer_id: CustomerId(customer),
        store_id: StoreId(store),
        from,
        to,
        reason: reason.map(str::to_owned),
    }
}

/// `order` confirmed for `customer` at `store`.
pub fn confirmed(order: i64, customer: i64, store: i64) -> OrderStatusChanged {
    order_moved(
        order,
        customer,
        store,
        OrderStatus::Pending,
        OrderStatus::Processing,
        None,
    )
}

/// Stock of `product` at `store` down to `available`.
pub fn stock_low(store: i64, product: i64, available: i64) -> StockLow {
    StockLow {
        level: StockLevel {
            store_id: StoreId(store),
            product_id: ProductId(product),
            product_name: format!("Trek 820 #{product}"),
            on_hand: available,
            reserved: 0,
            available,
        },
        threshold: 5,
    }
}
