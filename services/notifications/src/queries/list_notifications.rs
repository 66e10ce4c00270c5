//! `list_notifications`: notifications newest first, by customer, store and delivery state.

use bikestore_contracts::notifications::{ListNotifications, NotificationPage};
use bikestore_runtime::Ctx;
use rusqlite::params;

use crate::Notifications;
use crate::domain;
use crate::error::NotificationsError;
use crate::store::notifications::{NOTIFICATION_COLUMNS, notification_from_row};

/// Lists one page of the notifications that match every filter given.
pub async fn handle(
    ctx: Ctx<Notifications>,
    request: ListNotifications,
) -> Result<NotificationPage, NotificationsError> {
    let page = domain::page(request.page)?;
    let customer_filter = request.customer_id.map(|customer_id| customer_id.0);
    let store_filter = request.store_id.map(|store_id| store_id.0);
    let status_filter = request.status.map(domain::status_name);
    ctx.db
        .query(move |connection| {
            let condition = "(?1 IS NULL OR n.customer_id = ?1) AND (?2 IS NULL OR n.store_id = ?2) \
                             AND (?3 IS NULL OR n.status = ?3)";
            let total: i64 = connection
                .prepare_cached(&format!(
                    "SELECT COUNT(*) FROM notifications n WHERE {condition}"
                ))?
                .query_row(params![customer_filter, store_filter, status_filter], |row| {
                    row.get(0)
                })?;
            let sql = format!(
                "SELECT {NOTIFICATION_COLUMNS} FROM notifications n WHERE {condition}
                 ORDER BY n.notification_id DESC LIMIT ?4 OFFSET ?5"
            );
            let notifications = connection
                .prepare_cached(&sql)?
                .query_map(
                    params![
                        customer_filter,
                        store_filter,
                        status_filter,
                        page.limit,
                        page.offset
                    ],
                    |row| notification_from_row(row, 0),
                )?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(NotificationPage {
                notifications,
                total: u64::try_from(total).unwrap_or(0),
            })
        })
        .await
}
