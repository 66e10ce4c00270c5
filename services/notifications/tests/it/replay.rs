//! Never twice: replaying both source streams from the start records no second notification
//! and writes no second log line.

use std::collections::BTreeSet;

use bikestore_contracts::{ServiceName, StoreId};
use bikestore_testkit::eventually;

use crate::support::{
    READY, all_notifications, confirmed, jetstream, logged_ids, publish, receive, stock_low,
    watch_store, with_service,
};

#[tokio::test]
async fn replaying_both_streams_from_the_start_makes_no_second_notification() -> anyhow::Result<()>
{
    let mut system = with_service().await?;
    let mut store_one = watch_store(&system, StoreId(1)).await?;
    for order in 1..=5 {
        publish(
            &system,
            &format!("evt-confirmed-{order}"),
            &confirmed(order, 100 + order, 1),
        )
        .await?;
    }
    publish(&system, "evt-low-1-9", &stock_low(1, 9, 1)).await?;
    receive(&mut store_one, 11).await?;
    let logged_before = eventually("eleven log lines", READY, async || {
        let ids = logged_ids(&system);
        (ids.len() >= 11).then_some(ids)
    })
    .await?;
    assert_eq!(logged_before.len(), 11);
    system.stop_service(ServiceName::Notifications).await?;

    // Without its durable consumers, the next start creates them again and is handed both
    // streams from the first event.
    for source in [ServiceName::Orders, ServiceName::Inventory] {
        jetstream(&system)
            .get_stream(system.subjects().event_stream(source))
            .await?
            .delete_consumer(ServiceName::Notifications.as_str())
            .await?;
    }
    system.start_service(ServiceName::Notifications).await?;
    // One new event behind the replayed ones on each stream: once both show up live, every
    // replayed event has been handled.
    publish(&system, "evt-confirmed-6", &confirmed(6, 106, 1)).await?;
    publish(&system, "evt-low-1-10", &stock_low(1, 10, 1)).await?;
    let fresh = receive(&mut store_one, 3).await?;
    assert!(
        fresh
            .iter()
            .all(|notification| notification.text.contains("order 6")
                || notification.text.contains("Order 6")
                || notification.text.contains("product 10")),
        "only the new events reach the live feed: {fresh:#?}"
    );

    let all = all_notifications(&system).await?;
    assert_eq!(all.len(), 14, "11 before the replay, 3 for the new events");
    let logged = eventually("fourteen log lines", READY, async || {
        let ids = logged_ids(&system);
        (ids.len() >= 14).then_some(ids)
    })
    .await?;
    assert_eq!(logged.len(), 14);
    assert_eq!(logged.iter().collect::<BTreeSet<_>>().len(), 14);
    system.stop().await
}
