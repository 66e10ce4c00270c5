//! Each event makes the right notifications: listed by the query, on the live subject of the
//! store, and in the log file.

use bikestore_contracts::inventory::Page;
use bikestore_contracts::notifications::{
    Audience, DeliveryStatus, ListNotifications, NotificationKind,
};
use bikestore_contracts::orders::OrderStatus;
use bikestore_contracts::{CustomerId, StoreId};
use bikestore_testkit::eventually;

use crate::support::{
    READY, confirmed, list, logged_ids, order_moved, publish, receive, stock_low, watch_store,
    with_service,
};

#[tokio::test]
async fn every_template_reaches_its_audience_in_the_list_the_live_feed_and_the_log()
-> anyhow::Result<()> {
    let system = with_service().await?;
    let mut store_two = watch_store(&system, StoreId(2)).await?;
    let mut store_three = watch_store(&system, StoreId(3)).await?;

    // A completed order tells nobody; it goes first, so once the later events show up it has
    // been handled too.
    let completed = order_moved(
        11,
        6,
        2,
        OrderStatus::Processing,
        OrderStatus::Completed,
        None,
    );
    publish(&system, "evt-completed-11", &completed).await?;
    publish(&system, "evt-confirmed-12", &confirmed(12, 7, 2)).await?;
    let rejected = order_moved(
        13,
        8,
        2,
        OrderStatus::Pending,
        OrderStatus::Rejected,
        Some("payment declined"),
    );
    publish(&system, "evt-rejected-13", &rejected).await?;
    let cancelled = order_moved(
        14,
        9,
        2,
        OrderStatus::Processing,
        OrderStatus::Cancelled,
        Some("customer changed their mind"),
    );
    publish(&system, "evt-cancelled-14", &cancelled).await?;
    publish(&system, "evt-low-3-44", &stock_low(3, 44, 2)).await?;

    let mut live = receive(&mut store_two, 6).await?;
    live.sort_by_key(|notification| notification.notification_id);
    let expected = [
        (
            NotificationKind::OrderConfirmed,
            Audience::Customer,
            Some(7),
            "Your order 12 is confirmed: we are preparing it at store 2.",
        ),
        (
            NotificationKind::OrderConfirmed,
            Audience::Store,
            None,
            "Order 12 of customer 7 is confirmed: please prepare it.",
        ),
        (
            NotificationKind::OrderRejected,
            Audience::Customer,
            Some(8),
            "Your order 13 was rejected: payment declined.",
        ),
        (
            NotificationKind::OrderRejected,
            Audience::Store,
            None,
            "Order 13 was rejected: payment declined.",
        ),
        (
            NotificationKind::OrderCancelled,
            Audience::Customer,
            Some(9),
            "Your order 14 was cancelled: customer changed their mind.",
        ),
        (
            NotificationKind::OrderCancelled,
            Audience::Store,
            None,
            "Order 14 was cancelled: customer changed their mind. Stop preparing it.",
        ),
    ];
    for (notification, (kind, audience, customer, text)) in live.iter().zip(expected) {
        assert_eq!(notification.kind, kind);
        assert_eq!(notification.audience, audience);
        assert_eq!(notification.customer_id, customer.map(CustomerId));
        assert_eq!(notification.store_id, Some(StoreId(2)));
        assert_eq!(notification.text, text);
    }
    let low = receive(&mut store_three, 1).await?;
    assert_eq!(low[0].kind, NotificationKind::LowStock);
    assert_eq!(low[0].audience, Audience::Store);
    assert_eq!(
        low[0].text,
        "Low stock at store 3: Trek 820 #44 (product 44) has 2 available (2 on hand, 0 reserved); \
         the threshold is 5."
    );

    // Delivery state has no event of its own: poll it.
    let delivered = eventually("all seven delivered", READY, async || {
        let page = list(
            &system,
            ListNotifications {
                status: Some(DeliveryStatus::Delivered),
                ..ListNotifications::default()
            },
        )
        .await
        .ok()?;
        (page.total == 7).then_some(page)
    })
    .await?;
    assert!(
        delivered
            .notifications
            .iter()
            .all(|notification| notification.attempts == 1 && notification.last_error.is_none())
    );
    let for_customer = list(
        &system,
        ListNotifications {
            customer_id: Some(CustomerId(7)),
            ..ListNotifications::default()
        },
    )
    .await?;
    assert_eq!(for_customer.total, 1);
    assert_eq!(
        for_customer.notifications[0].text,
        "Your order 12 is confirmed: we are preparing it at store 2."
    );
    let first_page = list(
        &system,
        ListNotifications {
            store_id: Some(StoreId(2)),
            page: Page {
                offset: 0,
                limit: 4,
            },
            ..ListNotifications::default()
        },
    )
    .await?;
    let second_page = list(
        &system,
        ListNotifications {
            store_id: Some(StoreId(2)),
            page: Page {
                offset: 4,
                limit: 4,
            },
            ..ListNotifications::default()
        },
    )
    .await?;
    assert_eq!((first_page.total, second_page.total), (6, 6));
    let paged: Vec<_> = first_page
        .notifications
        .iter()
        .chain(&second_page.notifications)
        .map(|notification| notification.notification_id)
        .collect();
    let mut newest_first: Vec<_> = live
        .iter()
        .map(|notification| notification.notification_id)
        .collect();
    newest_first.reverse();
    assert_eq!(
        paged, newest_first,
        "pages are newest first and do not overlap"
    );
    let store_three_total = list(
        &system,
        ListNotifications {
            store_id: Some(StoreId(3)),
            ..ListNotifications::default()
        },
    )
    .await?
    .total;
    assert_eq!(store_three_total, 1);

    let logged = eventually("seven log lines", READY, async || {
        let ids = logged_ids(&system);
        (ids.len() >= 7).then_some(ids)
    })
    .await?;
    assert_eq!(logged.len(), 7);
    system.stop().await
}
