//! Tests of the notifications feed: each live notification shows once.

use super::*;

#[test]
fn the_feed_shows_each_live_notification_once() {
    let mut app = demo::app(Role::Sales);
    press(&mut app, KeyCode::Char('3'));
    backend(&mut app, BackendEvent::Notifications(demo::notifications()));
    let fresh = demo::notification(
        9,
        NotificationKind::OrderConfirmed,
        "Order #1621 is confirmed.",
    );
    backend(&mut app, BackendEvent::Notification(fresh.clone()));
    backend(&mut app, BackendEvent::Notification(fresh));
    let mut other_store = demo::notification(10, NotificationKind::LowStock, "elsewhere");
    other_store.store_id = Some(StoreId(2));
    backend(&mut app, BackendEvent::Notification(other_store));
    let ids: Vec<i64> = app
        .notifications
        .list
        .data()
        .map(|list| list.iter().map(|n| n.notification_id.0).collect())
        .unwrap_or_default();
    assert_eq!(ids, vec![9, 1, 2, 3]);
}
