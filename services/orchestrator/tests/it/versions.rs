//! A record of a definition version this orchestrator does not know is left alone.

use async_nats::jetstream;
use bikestore_contracts::sagas::{SagaRecord, SagaState, TransferStock};
use bikestore_contracts::{OrderId, ServiceName, Subjects};

use crate::support::{Stack, cancel_order_record};

#[tokio::test]
async fn a_saga_of_an_unknown_version_is_not_touched() -> anyhow::Result<()> {
    let stack = Stack::with(&[ServiceName::Inventory, ServiceName::Orchestrator]).await?;
    let future = cancel_order_record("from-the-future", 99, OrderId(1));
    let revision = stack
        .keep_and_queue(&future.saga_id, &serde_json::to_value(&future)?)
        .await?;

    // The worker takes work items in order, so once a saga queued after the unknown one has
    // completed, the unknown one's item has been seen (and put back for a newer replica).
    let (source, product_id) = stack.store_with_stock(1).await?;
    let destination = stack.store().await?;
    let transfer = TransferStock {
        from_store_id: source,
        to_store_id: destination,
        product_id,
        quantity: 1,
        wait_ms: Some(20_000),
    };
    assert_eq!(
        stack.caller.call(&transfer).await?.state,
        SagaState::Completed
    );

    let bucket = jetstream::new(stack.client.clone())
        .get_key_value(Subjects::default().sagas_bucket())
        .await?;
    let entry = bucket.entry(&future.saga_id.0).await?.unwrap();
    assert_eq!(entry.revision, revision, "the record was not written");
    let untouched: SagaRecord = serde_json::from_slice(&entry.value)?;
    assert_eq!(untouched, future);
    stack.stop().await
}
