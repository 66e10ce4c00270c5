//! Saga progress goes live to the saga's store: `<prefix>.live.<store>.saga_progressed.<id>`,
//! where the store is the one that sells (place order), the order's (cancel order) or the one
//! giving the stock (transfer stock); a cancel-order record kept before sagas named their store
//! learns it from its first step.

use bikestore_contracts::sagas::{CancelOrder, ListSagas, SagaId, SagaState, TransferStock};
use bikestore_contracts::{ErrorCode, OrderId, Subjects};
use futures::{FutureExt, StreamExt};

use crate::place_order::{APPROVES, order};
use crate::support::{Stack, cancel_order_record, next_progress};

/// Reads `subscriber` until `saga_id`'s progress says it ended, and answers every subject that
/// saga's progress came on.
async fn subjects_until_ended(
    subscriber: &mut async_nats::Subscriber,
    saga_id: &SagaId,
) -> anyhow::Result<Vec<String>> {
    let mut seen = Vec::new();
    loop {
        let (subject, progress) = next_progress(subscriber).await?;
        if &progress.saga_id != saga_id {
            continue;
        }
        seen.push(subject);
        if progress.state.is_terminal() {
            return Ok(seen);
        }
    }
}

#[tokio::test]
async fn each_sagas_progress_goes_to_its_stores_live_subject_and_no_other() -> anyhow::Result<()> {
    let stack = Stack::everything().await?;
    let subjects = Subjects::default();
    let customer_id = stack.customer().await?;
    let (store_id, product_id) = stack.store_with_stock(10).await?;
    let other_store = stack.store().await?;
    let mut own = stack
        .client
        .subscribe(subjects.live_every_saga_progress(Some(store_id)))
        .await?;
    let mut other = stack
        .client
        .subscribe(subjects.live_every_saga_progress(Some(other_store)))
        .await?;
    stack.client.flush().await?;

    let placed = stack
        .caller
        .call(&order(customer_id, store_id, product_id, 2, APPROVES))
        .await?;
    assert_eq!(placed.state, SagaState::Completed, "{:?}", placed.error);
    let seen = subjects_until_ended(&mut own, &placed.saga_id).await?;
    assert!(seen.len() >= 6, "one event per step at least: {seen:?}");
    let wanted = subjects.live_saga_progress(store_id, &placed.saga_id.0);
    assert!(seen.iter().all(|subject| *subject == wanted), "{seen:?}");

    // A transfer belongs to the store giving the stock, not the one receiving it.
    let transferred = stack
        .caller
        .call(&TransferStock {
            from_store_id: store_id,
            to_store_id: other_store,
            product_id,
            quantity: 1,
            wait_ms: Some(20_000),
        })
        .await?;
    assert_eq!(transferred.state, SagaState::Completed);
    let seen = subjects_until_ended(&mut own, &transferred.saga_id).await?;
    let wanted = subjects.live_saga_progress(store_id, &transferred.saga_id.0);
    assert!(seen.iter().all(|subject| *subject == wanted), "{seen:?}");

    // A cancellation belongs to the order's store, read at intake.
    let cancelled = stack
        .caller
        .call(&CancelOrder {
            order_id: placed.order_id.unwrap(),
            reason: "the customer changed their mind".into(),
            wait_ms: Some(20_000),
        })
        .await?;
    assert_eq!(cancelled.state, SagaState::Completed);
    let record = stack.saga(&cancelled.saga_id).await?;
    assert_eq!(record.payload.store_id(), Some(store_id));
    let seen = subjects_until_ended(&mut own, &cancelled.saga_id).await?;
    let wanted = subjects.live_saga_progress(store_id, &cancelled.saga_id.0);
    assert!(seen.iter().all(|subject| *subject == wanted), "{seen:?}");

    // The orchestrator publishes from one connection and the server delivers to this one in
    // order: any progress sent to the other store would be here before the last one above.
    assert!(
        other.next().now_or_never().is_none(),
        "no saga progress on the other store's live subjects"
    );
    stack.stop().await
}

#[tokio::test]
async fn cancelling_an_unknown_order_is_refused_before_any_saga_exists() -> anyhow::Result<()> {
    let stack = Stack::everything().await?;
    let refused = stack
        .caller
        .call(&CancelOrder {
            order_id: OrderId(987_654),
            reason: "no such order".into(),
            wait_ms: Some(5_000),
        })
        .await
        .expect_err("refused");
    assert_eq!(refused.code, ErrorCode::NotFound);
    let sagas = stack
        .caller
        .call(&ListSagas {
            definition: Some("cancel_order".into()),
            ..ListSagas::default()
        })
        .await?;
    assert!(sagas.sagas.is_empty(), "{:?}", sagas.sagas);
    stack.stop().await
}

#[tokio::test]
async fn a_cancel_record_kept_without_its_store_learns_it_from_the_order() -> anyhow::Result<()> {
    let stack = Stack::everything().await?;
    let subjects = Subjects::default();
    let customer_id = stack.customer().await?;
    let (store_id, product_id) = stack.store_with_stock(5).await?;
    let placed = stack
        .caller
        .call(&order(customer_id, store_id, product_id, 1, APPROVES))
        .await?;
    assert_eq!(placed.state, SagaState::Completed);

    // A record as an orchestrator before this version wrote it: no store in the payload.
    let kept = cancel_order_record("kept-without-a-store", 1, placed.order_id.unwrap());
    let saga_id = kept.saga_id.clone();
    let mut json = serde_json::to_value(&kept)?;
    json["payload"]["cancel_order"]
        .as_object_mut()
        .unwrap()
        .remove("store_id");
    let mut progress = stack
        .client
        .subscribe(subjects.live_saga_progress_any_store(&saga_id.0))
        .await?;
    stack.client.flush().await?;
    stack.keep_and_queue(&saga_id, &json).await?;

    let seen = subjects_until_ended(&mut progress, &saga_id).await?;
    let wanted = subjects.live_saga_progress(store_id, &saga_id.0);
    assert!(seen.iter().all(|subject| *subject == wanted), "{seen:?}");
    let record = stack.saga(&saga_id).await?;
    assert_eq!(record.state, SagaState::Completed, "{:?}", record.error);
    assert_eq!(record.payload.store_id(), Some(store_id));
    stack.stop().await
}
