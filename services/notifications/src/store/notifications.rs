//! Recording an event's notifications, and reading notification rows back.
//!
//! [`record_event`] is the "never twice" step: the event's ID goes into `processed_events` in
//! the same transaction as its notifications and their pending deliveries, so an event seen
//! again (redelivered, or replayed from the start of its stream) records nothing.

use bikestore_contracts::notifications::{DeliveryStatus, Notification};
use bikestore_contracts::{CustomerId, NotificationId, StoreId};
use bikestore_runtime::CommandTx;
use rusqlite::types::Type;
use rusqlite::{Row, params};

use crate::channels::Channels;
use crate::domain::{self, Draft};
use crate::error::NotificationsError;

/// The columns [`notification_from_row`] reads, in order, from table alias `n`.
pub const NOTIFICATION_COLUMNS: &str = "n.notification_id, n.kind, n.audience, n.customer_id, \
     n.store_id, n.text, n.status, n.attempts, n.last_error, n.created_at";

/// Where an event came from: its unique ID and its place in its stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceEvent {
    /// The event's `Nats-Msg-Id`, or `<stream>:<sequence>` when it has none.
    pub event_id: String,
    /// The subject it was published on.
    pub subject: String,
    /// Its sequence in its stream, when known.
    pub stream_sequence: Option<u64>,
}

/// Records `drafts` as notifications of `source`, each with a pending delivery on every channel
/// that takes it; returns them, or nothing if `source` was recorded before.
pub fn record_event(
    transaction: &CommandTx<'_>,
    source: &SourceEvent,
    drafts: &[Draft],
    channels: &Channels,
) -> Result<Vec<Notification>, NotificationsError> {
    let connection = transaction.connection();
    let now = transaction.now_ms();
    let sequence = source
        .stream_sequence
        .and_then(|sequence| i64::try_from(sequence).ok());
    let inserted = connection
        .prepare_cached(
            "INSERT INTO processed_events (event_id, subject, stream_sequence, processed_at)
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (event_id) DO NOTHING",
        )?
        .execute(params![source.event_id, source.subject, sequence, now])?;
    if inserted == 0 {
        return Ok(Vec::new());
    }
    let mut recorded = Vec::with_capacity(drafts.len());
    for draft in drafts {
        connection
            .prepare_cached(
                "INSERT INTO notifications
                     (event_id, kind, audience, customer_id, store_id, text, status, attempts,
                      created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', 0, ?7)",
            )?
            .execute(params![
                source.event_id,
                domain::kind_name(draft.kind),
                domain::audience_name(draft.audience),
                draft.customer_id.map(|customer| customer.0),
                draft.store_id.map(|store| store.0),
                draft.text,
                now,
            ])?;
        let mut notification = Notification {
            notification_id: NotificationId(connection.last_insert_rowid()),
            kind: draft.kind,
            audience: draft.audience,
            customer_id: draft.customer_id,
            store_id: draft.store_id,
            text: draft.text.clone(),
            status: DeliveryStatus::Pending,
            attempts: 0,
            last_error: None,
            created_at_ms: now,
        };
        let channel_names = channels.names_for(&notification);
        for channel in &channel_names {
            connection
                .prepare_cached(
                    "INSERT INTO deliveries
                         (notification_id, channel, status, attempts, next_attempt_at, updated_at)
                     VALUES (?1, ?2, 'pending', 0, ?3, ?3)",
                )?
                .execute(params![notification.notification_id.0, channel, now])?;
        }
        if channel_names.is_empty() {
            // Nothing can deliver it, so nothing is left to do.
            connection
                .prepare_cached(
                    "UPDATE notifications SET status = 'delivered' WHERE notification_id = ?1",
                )?
                .execute(params![notification.notification_id.0])?;
            notification.status = DeliveryStatus::Delivered;
        }
        recorded.push(notification);
    }
    Ok(recorded)
}

/// Reads a notification from the [`NOTIFICATION_COLUMNS`] starting at column `first`.
pub fn notification_from_row(row: &Row<'_>, first: usize) -> rusqlite::Result<Notification> {
    let text_column = |offset: usize| -> rusqlite::Result<String> { row.get(first + offset) };
    let kind = text_column(1)?;
    let audience = text_column(2)?;
    let status = text_column(6)?;
    let attempts: i64 = row.get(first + 7)?;
    Ok(Notification {
        notification_id: NotificationId(row.get(first)?),
        kind: domain::kind_from_name(&kind).ok_or_else(|| corrupt(first + 1, "kind", kind))?,
        audience: domain::audience_from_name(&audience)
            .ok_or_else(|| corrupt(first + 2, "audience", audience))?,
        customer_id: row.get::<_, Option<i64>>(first + 3)?.map(CustomerId),
        store_id: row.get::<_, Option<i64>>(first + 4)?.map(StoreId),
        text: text_column(5)?,
        status: domain::status_from_name(&status)
            .ok_or_else(|| corrupt(first + 6, "status", status))?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        last_error: row.get(first + 8)?,
        created_at_ms: row.get(first + 9)?,
    })
}

fn corrupt(column: usize, what: &'static str, value: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        column,
        Type::Text,
        Box::new(NotificationsError::CorruptRow { what, value }),
    )
}
