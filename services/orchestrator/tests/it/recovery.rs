//! The recovery scan: a saga nobody drives or queues is found and finished even when another
//! record cannot be read.

use std::time::Duration;

use bikestore_contracts::sagas::{SagaId, SagaState};
use bikestore_contracts::{ServiceName, Subjects};
use bikestore_testkit::eventually;

use crate::support::{Stack, transfer_record};

#[tokio::test]
async fn an_unreadable_record_does_not_stop_the_scan_before_the_sagas_after_it()
-> anyhow::Result<()> {
    let stack = Stack::configured(
        &[ServiceName::Inventory, ServiceName::Orchestrator],
        |configs| {
            configs.orchestrator.recovery_interval = Duration::from_millis(200);
            configs.orchestrator.stale_after = Duration::ZERO;
        },
    )
    .await?;
    let (source, product_id) = stack.store_with_stock(3).await?;
    let destination = stack.store().await?;
    let bucket = async_nats::jetstream::new(stack.client.clone())
        .get_key_value(Subjects::default().sagas_bucket())
        .await?;
    // Listed first, since keys come in the order they were written: a record this version
    // cannot decode (one a newer version wrote, say).
    bucket
        .create("unreadable", "not a saga record".into())
        .await?;
    // A transfer whose intake died between creating the record and queueing it: only a scan
    // finds it.
    let saga_id = SagaId("left-behind".into());
    let record = transfer_record(&saga_id, source, destination, product_id);
    bucket
        .create(&saga_id.0, serde_json::to_vec(&record)?.into())
        .await?;

    eventually(
        "the saga left behind to complete",
        Duration::from_secs(20),
        async || Ok((stack.saga(&saga_id).await?.state == SagaState::Completed).then_some(())),
    )
    .await?;
    assert_eq!(stack.stock(destination, product_id).await?.on_hand, 2);
    stack.stop().await
}
