//! Delivery retries: a failing channel is retried with backoff and then marked failed, and
//! notifications recorded while nobody could deliver them are delivered after a restart.

use bikestore_contracts::notifications::{DeliveryStatus, ListNotifications};
use bikestore_contracts::{ServiceName, StoreId};
use bikestore_notifications::channels::live::LiveChannel;
use bikestore_testkit::eventually;

use crate::support::{
    READY, confirmed, list, log_lines, logged_ids, publish, receive, watch_store, without_service,
};

fn with_status(status: DeliveryStatus) -> ListNotifications {
    ListNotifications {
        status: Some(status),
        ..ListNotifications::default()
    }
}

#[tokio::test]
async fn a_failing_channel_is_retried_and_then_marked_failed() -> anyhow::Result<()> {
    let mut system = without_service().await?;
    let config = &mut system.configs_mut().notifications;
    config.fail_channel = Some(LiveChannel::NAME.to_owned());
    config.delivery_max_attempts = 3;
    system.start_service(ServiceName::Notifications).await?;
    publish(&system, "evt-confirmed-21", &confirmed(21, 5, 4)).await?;

    let failed = eventually("both notifications failed", READY, async || {
        let page = list(&system, with_status(DeliveryStatus::Failed))
            .await
            .ok()?;
        (page.total == 2).then_some(page)
    })
    .await?;
    for notification in &failed.notifications {
        assert_eq!(notification.attempts, 3, "{notification:?}");
        let last_error = notification.last_error.as_deref().unwrap_or_default();
        assert!(
            last_error.starts_with("live: fault injection"),
            "{last_error}"
        );
    }
    assert_eq!(
        list(&system, with_status(DeliveryStatus::Pending))
            .await?
            .total,
        0
    );
    assert_eq!(
        list(&system, with_status(DeliveryStatus::Delivered))
            .await?
            .total,
        0
    );
    // The log file works, and has each notification once.
    let logged = eventually("two log lines", READY, async || {
        let ids = logged_ids(&system);
        (ids.len() >= 2).then_some(ids)
    })
    .await?;
    assert_eq!(logged.len(), 2);
    system.stop().await
}

#[tokio::test]
async fn notifications_recorded_while_no_worker_could_deliver_are_delivered_after_a_restart()
-> anyhow::Result<()> {
    let mut system = without_service().await?;
    // Hold the delivery lock as another process would: the service records but cannot deliver,
    // as after a crash between recording and delivering.
    let lock_path = system.configs().notifications.delivery_lock_path();
    std::fs::create_dir_all(lock_path.parent().unwrap())?;
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)?;
    lock.try_lock()?;
    system.start_service(ServiceName::Notifications).await?;
    let mut store_four = watch_store(&system, StoreId(4)).await?;
    publish(&system, "evt-confirmed-31", &confirmed(31, 6, 4)).await?;
    let pending = eventually("two pending notifications", READY, async || {
        let page = list(&system, with_status(DeliveryStatus::Pending))
            .await
            .ok()?;
        (page.total == 2).then_some(page)
    })
    .await?;
    assert!(
        pending
            .notifications
            .iter()
            .all(|notification| notification.attempts == 0)
    );
    system.stop_service(ServiceName::Notifications).await?;
    assert!(log_lines(&system).is_empty(), "nothing was delivered");

    drop(lock);
    system.start_service(ServiceName::Notifications).await?;
    let live = receive(&mut store_four, 2).await?;
    assert!(
        live.iter()
            .all(|notification| notification.text.contains("rder 31"))
    );
    eventually("both delivered", READY, async || {
        let page = list(&system, with_status(DeliveryStatus::Delivered))
            .await
            .ok()?;
        (page.total == 2).then_some(())
    })
    .await?;
    assert_eq!(logged_ids(&system).len(), 2);
    system.stop().await
}
