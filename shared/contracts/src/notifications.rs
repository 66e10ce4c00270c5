//! Requests and replies of the notifications service, and what a live notification looks like.

use serde::{Deserialize, Serialize};

use crate::ids::{CustomerId, NotificationId, StoreId};
use crate::inventory::Page;
use crate::message;

/// Who a notification is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// The customer of an order.
    Customer,
    /// The staff of a store.
    Store,
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// An order was confirmed (it moved to processing).
    OrderConfirmed,
    /// An order was rejected, with the reason.
    OrderRejected,
    /// An order was cancelled.
    OrderCancelled,
    /// A store's stock of a product ran low.
    LowStock,
    /// A stock transfer between stores finished.
    StockTransferDone,
}

/// The state of a notification's delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for (another) delivery attempt.
    Pending,
    /// Delivered on every channel.
    Delivered,
    /// A channel kept failing past the retry limit.
    Failed,
}

/// A rendered notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notification {
    /// Its ID.
    pub notification_id: NotificationId,
    /// What happened.
    pub kind: NotificationKind,
    /// Who it is for.
    pub audience: Audience,
    /// The customer, for customer notifications.
    pub customer_id: Option<CustomerId>,
    /// The store concerned.
    pub store_id: Option<StoreId>,
    /// The rendered text.
    pub text: String,
    /// Delivery state.
    pub status: DeliveryStatus,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// The last delivery error, if any.
    pub last_error: Option<String>,
    /// When it was created, in milliseconds since the Unix epoch.
    pub created_at_ms: i64,
}

/// Lists notifications, newest first; every filter optional.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ListNotifications {
    /// Only for this customer.
    #[serde(default)]
    pub customer_id: Option<CustomerId>,
    /// Only about this store.
    #[serde(default)]
    pub store_id: Option<StoreId>,
    /// Only in this delivery state.
    #[serde(default)]
    pub status: Option<DeliveryStatus>,
    /// Which page.
    #[serde(default)]
    pub page: Page,
}

/// One page of notifications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationPage {
    /// The notifications, newest first.
    pub notifications: Vec<Notification>,
    /// How many match in all.
    pub total: u64,
}

message!(query ListNotifications => NotificationPage, Notifications."list_notifications", v 1);
message!(NotificationPage, "notification_page", v 1);
message!(Notification, "notification", v 1);
