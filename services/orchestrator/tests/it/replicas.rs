//! Two orchestrator replicas serve intakes side by side under load: every saga completes with
//! each step applied once. Each intake here waits, so it drives its own saga inline (holding
//! its lease) and the replicas split the sagas
//! between them without contending for one; `contention.rs` is the test that forces several
//! drivers onto the same saga at once.

use bikestore_contracts::ServiceName;
use bikestore_contracts::orders::{ListOrders, OrderStatus};
use bikestore_contracts::sagas::{ListSagas, Outcome, SagaState};

use crate::place_order::{APPROVES, order};
use crate::support::Stack;

const SAGAS: usize = 500;

#[tokio::test]
async fn two_replicas_run_five_hundred_sagas_each_step_applied_once() -> anyhow::Result<()> {
    let mut stack = Stack::everything().await?;
    stack
        .system
        .start_service(ServiceName::Orchestrator)
        .await?;
    let customer_id = stack.customer().await?;
    let (store_id, product_id) = stack.store_with_stock(SAGAS as i64 + 100).await?;

    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(64));
    let mut intakes = tokio::task::JoinSet::new();
    for _ in 0..SAGAS {
        let (caller, slots) = (stack.caller.clone(), std::sync::Arc::clone(&slots));
        let request = order(customer_id, store_id, product_id, 1, APPROVES);
        intakes.spawn(async move {
            let _slot = slots.acquire_owned().await;
            caller.call(&request).await
        });
    }
    while let Some(started) = intakes.join_next().await {
        let started = started??;
        assert_eq!(started.state, SagaState::Completed, "{:?}", started.error);
    }

    let sagas = stack
        .caller
        .call(&ListSagas {
            limit: Some(1_000),
            ..ListSagas::default()
        })
        .await?
        .sagas;
    assert_eq!(sagas.len(), SAGAS);
    for saga in &sagas {
        let outcomes: Vec<(&str, Outcome)> = saga
            .history
            .iter()
            .map(|entry| (entry.step.as_str(), entry.outcome))
            .collect();
        assert_eq!(outcomes.len(), 6, "one attempt per step: {outcomes:?}");
        assert!(
            outcomes
                .iter()
                .all(|(_, outcome)| *outcome == Outcome::Succeeded),
            "{outcomes:?}"
        );
        assert!(
            saga.history
                .windows(2)
                .all(|pair| pair[0].finished_at_ms <= pair[1].started_at_ms)
        );
    }
    let orders = stack
        .caller
        .call(&ListOrders {
            customer_id: Some(customer_id),
            status: Some(OrderStatus::Processing),
            ..ListOrders::default()
        })
        .await?;
    assert_eq!(orders.total, SAGAS as u64, "one order per saga");
    let level = stack.stock(store_id, product_id).await?;
    assert_eq!(
        (level.on_hand, level.reserved),
        (100, 0),
        "each reservation committed once"
    );
    stack.stop().await
}
