//! Crash safety with the real binary: kill -9 in the middle of a batch, restart, and every
//! event has exactly one notification per audience and one log line per notification.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use bikestore_contracts::ServiceName;
use bikestore_contracts::inventory::Page;
use bikestore_contracts::notifications::{Audience, DeliveryStatus, ListNotifications};
use bikestore_testkit::{eventually, wait_for_service};

use crate::support::{READY, Stack, confirmed};

const EVENTS: i64 = 300;

#[tokio::test]
async fn a_kill_in_the_middle_of_a_batch_loses_nothing_and_doubles_nothing() -> anyhow::Result<()> {
    let stack = Stack::new().await?;
    for order in 1..=EVENTS {
        stack
            .publish(
                &format!("evt-confirmed-{order}"),
                &confirmed(order, 10_000 + order, 1 + order % 3),
            )
            .await?;
    }
    let expected = 2 * EVENTS as usize;

    let mut first = stack.spawn_process("notifications-1")?;
    eventually("the first log lines", READY, async || {
        (!stack.log_lines().is_empty()).then_some(())
    })
    .await?;
    first.kill_hard().await?;
    let logged_at_kill = stack.logged_ids().len();
    assert!(
        logged_at_kill < expected,
        "the kill came in the middle: {logged_at_kill} of {expected} were logged"
    );

    let _second = stack.spawn_process("notifications-2")?;
    wait_for_service(&stack.client, ServiceName::Notifications.as_str(), READY).await?;
    eventually(
        "every notification delivered",
        Duration::from_secs(60),
        async || {
            let page = stack
                .list(ListNotifications {
                    status: Some(DeliveryStatus::Delivered),
                    page: Page {
                        offset: 0,
                        limit: 1,
                    },
                    ..ListNotifications::default()
                })
                .await
                .ok()?;
            (page.total >= expected as u64).then_some(())
        },
    )
    .await?;

    let all = stack.all_notifications().await?;
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

    let logged = stack.logged_ids();
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
