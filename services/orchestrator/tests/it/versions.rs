//! A record of a definition version this orchestrator does not know is left alone.

use async_nats::jetstream;
use bikestore_contracts::ServiceName;
use bikestore_contracts::sagas::{
    CancelOrderSaga, SagaId, SagaPayload, SagaRecord, SagaState, TransferStock,
};
use bikestore_contracts::{OrderId, Subjects};

use crate::support::Stack;

#[tokio::test]
async fn a_saga_of_an_unknown_version_is_not_touched() -> anyhow::Result<()> {
    let stack = Stack::with(&[ServiceName::Inventory, ServiceName::Orchestrator]).await?;
    let subjects = Subjects::default();
    let jetstream = jetstream::new(stack.client.clone());
    let bucket = jetstream.get_key_value(subjects.sagas_bucket()).await?;
    let future = SagaRecord {
        saga_id: SagaId("from-the-future".into()),
        definition: "cancel_order".into(),
        version: 99,
        state: SagaState::Running,
        step: 0,
        attempt: 0,
        run: 0,
        completed_steps: 0,
        payload: SagaPayload::CancelOrder(CancelOrderSaga {
            order_id: OrderId(1),
            reason: "v99".into(),
        }),
        error: None,
        history: Vec::new(),
        history_dropped: 0,
        retry_at_ms: None,
        resolution: None,
        created_at_ms: 1,
        updated_at_ms: 1,
    };
    let revision = bucket
        .create(&future.saga_id.0, serde_json::to_vec(&future)?.into())
        .await?;
    jetstream
        .publish(subjects.saga_work(&future.saga_id.0), "".into())
        .await?
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

    let entry = bucket.entry(&future.saga_id.0).await?.unwrap();
    assert_eq!(entry.revision, revision, "the record was not written");
    let untouched: SagaRecord = serde_json::from_slice(&entry.value)?;
    assert_eq!(untouched, future);
    stack.stop().await
}
