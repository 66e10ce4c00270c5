//! Crash safety with the real binary: kill -9 in the middle of a batch, restart, and every
//! event has exactly one notification per audience and one log line per notification.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use bikestore_contracts::ServiceName;
use bikestore_contracts::inventory::Page;
use bikestore_contracts::notifications::{Audience, DeliveryStatus, ListNotifications};
use bikestore_testkit::eventually;

use crate::support::{
    PROCESS_ENV, READY, all_notifications, confirmed, list, log_lines, logged_ids, publish,
    without_service,
};

// Enough that a kill soon after the first log line lands mid-way, now that events are recorded
// in batches.
const EVENTS: i64 = 2_000;

#[tokio::test]
async fn a_kill_in_the_middle_of_a_batch_loses_nothing_and_doubles_nothing() -> anyhow::Result<()> {
    let mut system = without_service().await?;
    for order in 1..=EVENTS {
        publish(
            &system,
            &format!("evt-confirmed-{order}"),
            &confirmed(order, 10_000 + order, 1 + order % 3),
        )
        .await?;
    }
    let expected = 2 * EVENTS as usize;

    let mut first = system.spawn_process(ServiceName::Notifications, &PROCESS_ENV)?;
    eventually("the first log lines", READY, async || {
        (!log_lines(&system).is_empty()).then_some(())
    })
    .await?;
    first.kill_hard().await?;
    let logged_at_kill = logged_ids(&system).len();
    assert!(
        logged_at_kill < expected,
        "the kill came in the middle: {logged_at_kill} of {expected} were logged"
    );

    system
        .start_process(ServiceName::Notifications, &PROCESS_ENV)
        .await?;
    eventually(
        "every notification delivered",
        Duration::from_secs(60),
        async || {
            let page = list(
                &system,
                ListNotifications {
                    status: Some(DeliveryStatus::Delivered),
                    page: Page {
                        offset: 0,
                        limit: 1,
                    },
                    ..ListNotifications::default()
                },
            )
            .await
            .ok()?;
            (page.total >= expected as u64).then_some(())
        },
    )
    .await?;

    let all = all_notifications(&system).await?;
    assert_eq!(all.len(), expected, "two notifications per event, no more");
    let mut per_customer = BTreeMap::new();
    for notification in &all {
        if notification.audience == Audience::Customer {
            *per_customer.entry(notification.customer_id).or_insert(0) += 1;
        }
    }
    assert_eq!(
        per_customer.len(),
        EVENTS as usize,
        "every event told its customer"
    );
    assert!(
        per_customer.values().all(|count| *count == 1),
        "no customer was told twice"
    );
    let texts: BTreeSet<&str> = all
        .iter()
        .map(|notification| notification.text.as_str())
        .collect();
    assert_eq!(texts.len(), expected, "no store was told twice either");

    let logged = logged_ids(&system);
    let distinct: BTreeSet<i64> = logged.iter().copied().collect();
    assert_eq!(logged.len(), expected, "one log line per notification");
    assert_eq!(
        distinct,
        all.iter()
            .map(|notification| notification.notification_id.0)
            .collect::<BTreeSet<_>>()
    );
    Ok(())
}
