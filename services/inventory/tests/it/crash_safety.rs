//! Crash safety with real processes: the outbox survives kill -9, and two processes can share
//! one database.

use std::time::Duration;

use bikestore_contracts::inventory::{GetProduct, ReceiveStock, StockChanged};
use bikestore_contracts::{ServiceName, Subjects};
use bikestore_runtime::call::CallOptions;
use bikestore_testkit::{eventually, wait_for_service};

use bikestore_testkit::count_on_subject;

use crate::support::{READY, fixture, without_service};

#[tokio::test]
async fn an_event_committed_just_before_a_crash_is_published_once_after_restart()
-> anyhow::Result<()> {
    let mut system = without_service().await?;
    let mut crashing = system.spawn_process(
        ServiceName::Inventory,
        &[("BIKESTORE_FAULT", "crash_after_commit=receive_stock")],
    )?;
    wait_for_service(system.client(), ServiceName::Inventory.as_str(), READY).await?;
    let fixture = fixture(&system, 0).await?;
    let receive = ReceiveStock {
        store_id: fixture.store_id,
        product_id: fixture.product_id,
        quantity: 5,
    };
    let options = CallOptions {
        timeout: Some(Duration::from_secs(2)),
        ..CallOptions::default()
    };
    assert!(
        system.caller().call_with(&receive, &options).await.is_err(),
        "the process dies before answering"
    );
    let status = tokio::time::timeout(READY, crashing.wait()).await??;
    assert!(!status.success(), "the fault aborted the process");

    system.start_process(ServiceName::Inventory, &[]).await?;
    let detail = system
        .caller()
        .call(&GetProduct {
            product_id: fixture.product_id,
        })
        .await?;
    assert_eq!(
        detail.stock.iter().map(|level| level.on_hand).sum::<i64>(),
        5,
        "the commit survived"
    );

    // A second change after the restart proves the relay has worked through what came before.
    system
        .caller()
        .call(&ReceiveStock {
            quantity: 1,
            ..receive
        })
        .await?;
    let stream = system.subjects().event_stream(ServiceName::Inventory);
    let subject = system.subjects().event_of_any_store::<StockChanged>();
    let published = eventually("both stock_changed events", READY, async || {
        let count = count_on_subject(system.client(), &stream, &subject)
            .await
            .ok()?;
        (count >= 2).then_some(count)
    })
    .await?;
    assert_eq!(
        published, 2,
        "the crashed command's event is in the stream exactly once"
    );
    Ok(())
}

#[tokio::test]
async fn two_processes_on_one_database_both_serve_and_nothing_is_lost_or_doubled()
-> anyhow::Result<()> {
    let system = without_service().await?;
    let _first = system.spawn_process(ServiceName::Inventory, &[])?;
    let _second = system.spawn_process(ServiceName::Inventory, &[])?;
    wait_for_service(system.client(), ServiceName::Inventory.as_str(), READY).await?;
    let instances = eventually("two inventory instances", READY, async || {
        let stats = instance_stats(system.client(), 2).await.ok()?;
        (stats.len() == 2).then_some(stats)
    })
    .await?;
    assert_eq!(instances.len(), 2);

    let fixture = fixture(&system, 0).await?;
    let mut receives = tokio::task::JoinSet::new();
    for index in 0..40 {
        let caller = system.caller().clone();
        receives.spawn(async move {
            let request = ReceiveStock {
                store_id: fixture.store_id,
                product_id: fixture.product_id,
                quantity: 1,
            };
            caller
                .call_with(
                    &request,
                    &CallOptions::idempotent(format!("delivery-{index}")),
                )
                .await
        });
    }
    while let Some(reply) = receives.join_next().await {
        reply??;
    }
    let detail = system
        .caller()
        .call(&GetProduct {
            product_id: fixture.product_id,
        })
        .await?;
    assert_eq!(
        detail.stock.iter().map(|level| level.on_hand).sum::<i64>(),
        40
    );

    let served: Vec<u64> = instance_stats(system.client(), 2)
        .await?
        .iter()
        .map(|stats| requests_served(stats, "receive_stock"))
        .collect();
    assert!(
        served.iter().all(|count| *count > 0),
        "both processes served requests: {served:?}"
    );
    assert_eq!(served.iter().sum::<u64>(), 40);

    let stream = system.subjects().event_stream(ServiceName::Inventory);
    let subject = system.subjects().event_of_any_store::<StockChanged>();
    let published = eventually("forty stock_changed events", READY, async || {
        let count = count_on_subject(system.client(), &stream, &subject)
            .await
            .ok()?;
        (count >= 40).then_some(count)
    })
    .await?;
    assert_eq!(
        published, 40,
        "each change published once, though both relays read the outbox"
    );
    Ok(())
}

/// Collects `$SRV.STATS` replies until `expected` instances answered or a second passed.
async fn instance_stats(
    client: &async_nats::Client,
    expected: usize,
) -> anyhow::Result<Vec<serde_json::Value>> {
    use futures::StreamExt;
    let inbox = client.new_inbox();
    let mut replies = client.subscribe(inbox.clone()).await?;
    let subject = Subjects::service_stats(ServiceName::Inventory);
    client.publish_with_reply(subject, inbox, "".into()).await?;
    let mut stats = Vec::new();
    while stats.len() < expected {
        match tokio::time::timeout(Duration::from_secs(1), replies.next()).await {
            Ok(Some(message)) => stats.push(serde_json::from_slice(&message.payload)?),
            _ => break,
        }
    }
    Ok(stats)
}

fn requests_served(stats: &serde_json::Value, endpoint: &str) -> u64 {
    stats["endpoints"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|entry| entry["name"] == endpoint)
        .filter_map(|entry| entry["num_requests"].as_u64())
        .sum()
}
