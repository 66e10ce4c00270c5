//! Delivery state per (notification, channel): what is due, and recording each attempt.
//!
//! Only the delivery worker that holds the delivery lock (see `delivery.rs`) reads due rows and
//! records outcomes, so an attempt count read with a due row is still current when its outcome
//! is written.

use bikestore_contracts::notifications::Notification;
use bikestore_runtime::CommandTx;
use rusqlite::{Connection, params};

use crate::domain::RetryPolicy;
use crate::error::NotificationsError;
use crate::store::notifications::{NOTIFICATION_COLUMNS, notification_from_row};

/// One delivery to attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// The channel's name.
    pub channel: String,
    /// Attempts already made on this channel.
    pub attempts: u32,
    /// The notification to deliver.
    pub notification: Notification,
}

/// How one attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The delivery attempted.
    pub due: Due,
    /// Why it failed, or `None` if it was delivered.
    pub error: Option<String>,
}

/// Up to `limit` pending deliveries on `channels` due at `now_ms`, oldest first.
pub fn due(
    connection: &Connection,
    now_ms: i64,
    channels: &[&str],
    limit: usize,
) -> Result<Vec<Due>, NotificationsError> {
    let sql = format!(
        "SELECT d.channel, d.attempts, {NOTIFICATION_COLUMNS}
         FROM deliveries d JOIN notifications n ON n.notification_id = d.notification_id
         WHERE d.status = 'pending' AND d.next_attempt_at <= ?1
           AND d.channel IN (SELECT value FROM json_each(?2))
         ORDER BY d.next_attempt_at, d.notification_id
         LIMIT ?3"
    );
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = connection
        .prepare_cached(&sql)?
        .query_map(params![now_ms, channel_list(channels), limit], |row| {
            let attempts: i64 = row.get(1)?;
            Ok(Due {
                channel: row.get(0)?,
                attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                notification: notification_from_row(row, 2)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// When the next pending delivery on `channels` falls due, if any is pending.
pub fn next_due_at(
    connection: &Connection,
    channels: &[&str],
) -> Result<Option<i64>, NotificationsError> {
    let next = connection
        .prepare_cached(
            "SELECT MIN(next_attempt_at) FROM deliveries
             WHERE status = 'pending' AND channel IN (SELECT value FROM json_each(?1))",
        )?
        .query_row(params![channel_list(channels)], |row| row.get(0))?;
    Ok(next)
}

/// Records attempts: delivered, retried later under `policy`, or failed for good; then brings
/// each notification's summary (status, attempts, last error) up to date.
pub fn record(
    transaction: &CommandTx<'_>,
    outcomes: &[Outcome],
    policy: RetryPolicy,
) -> Result<(), NotificationsError> {
    let connection = transaction.connection();
    let now = transaction.now_ms();
    for outcome in outcomes {
        let attempts = outcome.due.attempts.saturating_add(1);
        let (status, next_attempt_at) = match &outcome.error {
            None => ("delivered", now),
            Some(_) => match policy.after_failure(attempts) {
                Some(wait) => (
                    "pending",
                    now.saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX)),
                ),
                None => ("failed", now),
            },
        };
        connection
            .prepare_cached(
                "UPDATE deliveries
                 SET status = ?3, attempts = ?4, last_error = COALESCE(?5, last_error),
                     next_attempt_at = ?6, updated_at = ?7
                 WHERE notification_id = ?1 AND channel = ?2 AND status = 'pending'",
            )?
            .execute(params![
                outcome.due.notification.notification_id.0,
                outcome.due.channel,
                status,
                attempts,
                outcome.error,
                next_attempt_at,
                now,
            ])?;
    }
    let mut summarised = Vec::with_capacity(outcomes.len());
    for outcome in outcomes {
        let notification_id = outcome.due.notification.notification_id.0;
        if summarised.contains(&notification_id) {
            continue;
        }
        summarised.push(notification_id);
        connection
            .prepare_cached(
                "UPDATE notifications SET
                     status = CASE
                         WHEN EXISTS (SELECT 1 FROM deliveries d
                                      WHERE d.notification_id = ?1 AND d.status = 'failed')
                             THEN 'failed'
                         WHEN EXISTS (SELECT 1 FROM deliveries d
                                      WHERE d.notification_id = ?1 AND d.status = 'pending')
                             THEN 'pending'
                         ELSE 'delivered' END,
                     attempts = (SELECT COALESCE(MAX(d.attempts), 0) FROM deliveries d
                                 WHERE d.notification_id = ?1),
                     last_error = (SELECT d.channel || ': ' || d.last_error FROM deliveries d
                                   WHERE d.notification_id = ?1 AND d.last_error IS NOT NULL
                                   ORDER BY d.updated_at DESC LIMIT 1)
                 WHERE notification_id = ?1",
            )?
            .execute(params![notification_id])?;
    }
    Ok(())
}

fn channel_list(channels: &[&str]) -> String {
    serde_json::Value::from(channels.to_vec()).to_string()
}
