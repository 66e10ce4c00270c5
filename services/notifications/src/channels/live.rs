//! The live channel: each notification about a store is published, JSON-encoded, on that
//! store's live subject for the consoles watching it. Notifications without a store skip it.
//!
//! Core NATS, not JetStream: a console that is not listening has nothing to catch up on, it
//! reads the list query instead. A delivery counts once the server has the message (a flush
//! round trip). A crash between that and recording the delivery publishes it again after the
//! restart, so consoles drop a notification ID they have already shown.

use std::time::Duration;

use async_nats::{HeaderMap, HeaderValue};
use bikestore_codec::ContentType;
use bikestore_contracts::notifications::Notification;
use bikestore_contracts::{Message, Subjects};
use bikestore_runtime::header_name;
use futures::future::BoxFuture;

use crate::channels::{Channel, ChannelError};

/// How long the server gets to confirm it has the message.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// Publishes notifications on the live subject of their store.
pub struct LiveChannel {
    client: async_nats::Client,
    subjects: Subjects,
}

impl LiveChannel {
    /// The channel's name.
    pub const NAME: &'static str = "live";

    /// A channel publishing through `client` under `subjects`' prefix.
    pub fn new(client: async_nats::Client, subjects: Subjects) -> LiveChannel {
        LiveChannel { client, subjects }
    }
}

impl Channel for LiveChannel {
    fn name(&self) -> &'static str {
        LiveChannel::NAME
    }

    fn accepts(&self, notification: &Notification) -> bool {
        notification.store_id.is_some()
    }

    fn deliver<'a>(
        &'a self,
        notification: &'a Notification,
    ) -> BoxFuture<'a, Result<(), ChannelError>> {
        Box::pin(async move {
            self.publish(notification).await?;
            self.flush().await
        })
    }

    fn deliver_all<'a>(
        &'a self,
        notifications: &'a [Notification],
    ) -> BoxFuture<'a, Vec<Result<(), ChannelError>>> {
        Box::pin(async move {
            let mut outcomes = Vec::with_capacity(notifications.len());
            for notification in notifications {
                outcomes.push(self.publish(notification).await);
            }
            // One flush confirms every publish before it; if it fails, none is confirmed.
            if let Err(failure) = self.flush().await {
                let failure = std::sync::Arc::new(failure);
                for outcome in outcomes.iter_mut().filter(|outcome| outcome.is_ok()) {
                    *outcome = Err(ChannelError::Unconfirmed(std::sync::Arc::clone(&failure)));
                }
            }
            outcomes
        })
    }
}

impl LiveChannel {
    /// Publishes `notification` on its store's live subject, unconfirmed until a flush.
    async fn publish(&self, notification: &Notification) -> Result<(), ChannelError> {
        let Some(store_id) = notification.store_id else {
            return Ok(());
        };
        let payload = bikestore_codec::encode(ContentType::Json, notification)
            .map_err(ChannelError::Encode)?;
        let mut message_headers = HeaderMap::new();
        message_headers.insert(header_name::CONTENT_TYPE, ContentType::Json.header_value());
        message_headers.insert(
            header_name::SCHEMA_VERSION,
            HeaderValue::from(Notification::SCHEMA_VERSION),
        );
        self.client
            .publish_with_headers(
                self.subjects.live_store_notifications(store_id),
                message_headers,
                payload.into(),
            )
            .await
            .map_err(|error| ChannelError::Nats(Box::new(error)))
    }

    /// Waits until the server has every message published before.
    async fn flush(&self) -> Result<(), ChannelError> {
        tokio::time::timeout(FLUSH_TIMEOUT, self.client.flush())
            .await
            .map_err(|_| ChannelError::Timeout(FLUSH_TIMEOUT))?
            .map_err(|error| ChannelError::Nats(Box::new(error)))
    }
}
