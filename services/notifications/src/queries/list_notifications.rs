//! `list_notifications`: notifications newest first, by customer, store and delivery state.

use bikestore_contracts::notifications::{ListNotifications, NotificationPage};
use bikestore_runtime::Ctx;
use rusqlite::params_from_iter;
use rusqlite::types::Value;

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
    let (filter, values) = filter(&request);
    ctx.db
        .query(move |connection| {
            let total: i64 = connection
                .prepare_cached(&count_sql(&filter))?
                .query_row(params_from_iter(values.iter()), |row| row.get(0))?;
            let sql = page_sql(&filter, values.len());
            let mut page_values = values;
            page_values.push(Value::Integer(i64::from(page.limit)));
            page_values.push(Value::Integer(i64::from(page.offset)));
            let notifications = connection
                .prepare_cached(&sql)?
                .query_map(params_from_iter(page_values.iter()), |row| {
                    notification_from_row(row, 0)
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(NotificationPage {
                notifications,
                total: u64::try_from(total).unwrap_or(0),
            })
        })
        .await
}

/// The `WHERE` clause of the filters `request` gives, and their values. Only the filters given
/// go into the statement: `(?1 IS NULL OR customer_id = ?1)` kept every filter out of the
/// indexes, so each page and its count read the whole table.
fn filter(request: &ListNotifications) -> (String, Vec<Value>) {
    let mut conditions = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    let filters = [
        (
            "n.customer_id",
            request.customer_id.map(|id| Value::Integer(id.0)),
        ),
        (
            "n.store_id",
            request.store_id.map(|id| Value::Integer(id.0)),
        ),
        (
            "n.status",
            request
                .status
                .map(|status| Value::Text(domain::status_name(status).to_owned())),
        ),
    ];
    for (column, value) in filters {
        let Some(value) = value else { continue };
        values.push(value);
        conditions.push(format!("{column} = ?{}", values.len()));
    }
    if conditions.is_empty() {
        (String::new(), values)
    } else {
        (format!("WHERE {}", conditions.join(" AND ")), values)
    }
}

/// How many notifications `filter` selects.
fn count_sql(filter: &str) -> String {
    format!("SELECT COUNT(*) FROM notifications n {filter}")
}

/// One page of the notifications `filter` (with `bound` values) selects, newest first.
fn page_sql(filter: &str, bound: usize) -> String {
    format!(
        "SELECT {NOTIFICATION_COLUMNS} FROM notifications n {filter}
         ORDER BY n.notification_id DESC LIMIT ?{} OFFSET ?{}",
        bound + 1,
        bound + 2
    )
}

#[cfg(test)]
mod tests {
    use bikestore_contracts::notifications::DeliveryStatus;
    use bikestore_contracts::{CustomerId, StoreId};
    use rusqlite::Connection;

    use super::*;

    fn plan(connection: &Connection, sql: &str, values: &[Value]) -> rusqlite::Result<String> {
        let mut statement = connection.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
        let details = statement
            .query_map(params_from_iter(values.iter()), |row| {
                row.get::<_, String>(3)
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(details.join("; "))
    }

    #[test]
    fn each_filter_reads_its_index_for_the_page_and_the_count() -> anyhow::Result<()> {
        let connection = Connection::open_in_memory()?;
        for migration in crate::store::MIGRATIONS {
            connection.execute_batch(migration)?;
        }
        let requests = [
            (
                ListNotifications {
                    customer_id: Some(CustomerId(7)),
                    ..ListNotifications::default()
                },
                "notifications_by_customer",
            ),
            (
                ListNotifications {
                    store_id: Some(StoreId(3)),
                    ..ListNotifications::default()
                },
                "notifications_by_store",
            ),
            (
                ListNotifications {
                    status: Some(DeliveryStatus::Failed),
                    ..ListNotifications::default()
                },
                "notifications_by_status",
            ),
        ];
        for (request, index) in requests {
            let (filter, mut values) = filter(&request);
            let count = plan(&connection, &count_sql(&filter), &values)?;
            assert!(count.contains(index), "count of {request:?}: {count}");
            let sql = page_sql(&filter, values.len());
            values.extend([Value::Integer(20), Value::Integer(0)]);
            let page = plan(&connection, &sql, &values)?;
            assert!(page.contains(index), "page of {request:?}: {page}");
            assert!(
                !page.contains("TEMP B-TREE"),
                "page of {request:?} sorts: {page}"
            );
        }
        Ok(())
    }
}
