//! The notifications service under test: a private nats-server with the source streams, a
//! temporary data folder, the service in-process or as a child process, and helpers to publish
//! source events and read what came out.

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
use bikestore_contracts::{
    CustomerId, Event, OrderId, ProductId, ServiceName, StoreId, Subjects, headers,
};
use bikestore_notifications::NotificationsConfig;
use bikestore_runtime::CommonConfig;
use bikestore_runtime::call::Caller;
use bikestore_runtime::streams;
use bikestore_testkit::{ChildProcess, InProcess, NatsServer};
use futures::StreamExt;
use tempfile::TempDir;

pub const READY: Duration = bikestore_testkit::SERVICE_READY;

/// nats-server with the orders and inventory event streams + data folder + a caller.
pub struct Stack {
    pub nats: NatsServer,
    pub data: TempDir,
    pub client: async_nats::Client,
    pub jetstream: jetstream::Context,
    pub caller: Caller,
    pub subjects: Subjects,
}

impl Stack {
    pub async fn new() -> anyhow::Result<Stack> {
        let nats = NatsServer::start().await?;
        let client = nats.client().await?;
        let subjects = Subjects::default();
        let jetstream = jetstream::new(client.clone());
        for source in [ServiceName::Orders, ServiceName::Inventory] {
            streams::ensure_event_stream(&jetstream, &subjects, source).await?;
        }
        Ok(Stack {
            caller: Caller::new(client.clone(), subjects.clone()),
            client,
            jetstream,
            subjects,
            nats,
            data: tempfile::tempdir()?,
        })
    }

    /// The configuration a test service gets: quick retries, everything under the temp folder.
    pub fn config(&self) -> NotificationsConfig {
        let mut config =
            NotificationsConfig::new(CommonConfig::new(self.nats.url(), self.data.path()));
        config.delivery_retry_base = Duration::from_millis(10);
        config.delivery_max_attempts = 3;
        config.delivery_poll = Duration::from_millis(100);
        config.event_retry = Duration::from_millis(20);
        config
    }

    pub async fn start_in_process(&self, config: NotificationsConfig) -> anyhow::Result<InProcess> {
        InProcess::start(
            &self.client,
            ServiceName::Notifications.as_str(),
            |shutdown| bikestore_notifications::run(config, shutdown),
        )
        .await
    }

    /// A stack with one in-process service using the default test configuration.
    pub async fn with_service() -> anyhow::Result<(Stack, InProcess)> {
        let stack = Stack::new().await?;
        let service = stack.start_in_process(stack.config()).await?;
        Ok((stack, service))
    }

    /// Starts the real `bikestore-notifications` binary as a child process.
    pub fn spawn_process(&self, name: &str) -> anyhow::Result<ChildProcess> {
        ChildProcess::service(
            "bikestore-notifications",
            &self.nats.url(),
            self.data.path(),
            name,
            &[
                ("BIKESTORE_NOTIFICATIONS_DELIVERY_POLL_MS", "100"),
                ("BIKESTORE_NOTIFICATIONS_EVENT_ACK_WAIT_MS", "2000"),
            ],
        )
    }

    /// Publishes `event` to JetStream as the owning service's relay would, under `event_id`.
    pub async fn publish<E: Event>(&self, event_id: &str, event: &E) -> anyhow::Result<()> {
        let body = bikestore_codec::encode(ContentType::Json, event)?;
        let mut event_headers = HeaderMap::new();
        event_headers.insert(
            headers::SCHEMA_VERSION,
            E::SCHEMA_VERSION.to_string().as_str(),
        );
        self.publish_raw(
            &self.subjects.event_of::<E>(),
            event_id,
            event_headers,
            body,
        )
        .await
    }

    /// Publishes any body on `subject` with `Nats-Msg-Id` and a JSON content type.
    pub async fn publish_raw(
        &self,
        subject: &str,
        event_id: &str,
        mut event_headers: HeaderMap,
        body: Vec<u8>,
    ) -> anyhow::Result<()> {
        event_headers.insert(headers::NATS_MSG_ID, event_id);
        event_headers.insert(headers::CONTENT_TYPE, ContentType::Json.header_value());
        self.jetstream
            .publish_with_headers(subject.to_owned(), event_headers, body.into())
            .await?
            .await
            .with_context(|| format!("publish {event_id}"))?;
        Ok(())
    }

    /// A subscription to a store's live notifications, registered with the server before this
    /// returns.
    pub async fn watch_store(&self, store_id: StoreId) -> anyhow::Result<async_nats::Subscriber> {
        let subscriber = self
            .client
            .subscribe(self.subjects.live_store_notifications(store_id))
            .await?;
        self.client.flush().await?;
        Ok(subscriber)
    }

    pub async fn list(&self, request: ListNotifications) -> anyhow::Result<NotificationPage> {
        Ok(self.caller.call(&request).await?)
    }

    /// Every notification, newest first, page by page.
    pub async fn all_notifications(&self) -> anyhow::Result<Vec<Notification>> {
        let mut all = Vec::new();
        loop {
            let page = self
                .list(ListNotifications {
                    page: Page {
                        offset: u32::try_from(all.len())?,
                        limit: 500,
                    },
                    ..ListNotifications::default()
                })
                .await?;
            let done = page.notifications.is_empty();
            all.extend(page.notifications);
            if done || all.len() as u64 >= page.total {
                return Ok(all);
            }
        }
    }

    pub fn log_path(&self) -> PathBuf {
        self.data
            .path()
            .join(ServiceName::Notifications.as_str())
            .join("notifications.log")
    }

    /// The notification log's lines (empty before the first delivery).
    pub fn log_lines(&self) -> Vec<String> {
        std::fs::read_to_string(self.log_path())
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The notification IDs of the log's lines.
    pub fn logged_ids(&self) -> Vec<i64> {
        self.log_lines()
            .iter()
            .filter_map(|line| {
                bikestore_notifications::channels::log_file::notification_id_of(line)
            })
            .collect()
    }
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
