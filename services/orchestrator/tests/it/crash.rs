//! Kill -9 the orchestrator process mid-run: a new process picks every saga up and finishes it,
//! and nothing is done twice.

use std::time::Duration;

use bikestore_contracts::ServiceName;
use bikestore_contracts::orders::{ListOrders, OrderStatus};
use bikestore_contracts::sagas::{ListSagas, PlaceOrder, SagaState};
use bikestore_testkit::{ChildProcess, eventually, wait_for_service};

use crate::place_order::{APPROVES, order};
use crate::support::Stack;

const SAGAS: usize = 60;

/// Starts the orchestrator's binary with the tests' fast steps.
fn spawn_orchestrator(stack: &Stack) -> anyhow::Result<ChildProcess> {
    stack.system.spawn_process(
        ServiceName::Orchestrator,
        &[
            ("BIKESTORE_ORCHESTRATOR_STEP_TIMEOUT_MS", "2000"),
            ("BIKESTORE_ORCHESTRATOR_INITIAL_BACKOFF_MS", "20"),
            ("BIKESTORE_ORCHESTRATOR_MAX_BACKOFF_MS", "100"),
        ],
    )
}

#[tokio::test]
async fn after_a_kill_nine_a_new_orchestrator_finishes_every_saga_once() -> anyhow::Result<()> {
    let stack = Stack::with(&[
        ServiceName::Inventory,
        ServiceName::Orders,
        ServiceName::Notifications,
    ])
    .await?;
    let mut first = spawn_orchestrator(&stack)?;
    wait_for_service(
        &stack.client,
        ServiceName::Orchestrator.as_str(),
        Duration::from_secs(20),
    )
    .await?;
    let customer_id = stack.customer().await?;
    let (store_id, product_id) = stack.store_with_stock(SAGAS as i64).await?;
    for _ in 0..SAGAS {
        let request = PlaceOrder {
            wait_ms: None,
            ..order(customer_id, store_id, product_id, 1, APPROVES)
        };
        stack.caller.call(&request).await?;
    }
    // Kill it once some sagas have finished and others have not.
    eventually(
        "some sagas to complete",
        Duration::from_secs(20),
        async || {
            let done = stack
                .caller
                .call(&ListSagas {
                    state: Some(SagaState::Completed),
                    limit: Some(1_000),
                    ..ListSagas::default()
                })
                .await
                .ok()?;
            (!done.sagas.is_empty()).then_some(())
        },
    )
    .await?;
    first.kill_hard().await?;

    let _second = spawn_orchestrator(&stack)?;
    let completed = eventually(
        "every saga to complete",
        Duration::from_secs(60),
        async || {
            let done = stack
                .caller
                .call(&ListSagas {
                    state: Some(SagaState::Completed),
                    limit: Some(1_000),
                    ..ListSagas::default()
                })
                .await
                .ok()?;
            (done.sagas.len() == SAGAS).then_some(done.sagas.len())
        },
    )
    .await?;
    assert_eq!(completed, SAGAS);
    let orders = stack
        .caller
        .call(&ListOrders {
            customer_id: Some(customer_id),
            status: Some(OrderStatus::Processing),
            ..ListOrders::default()
        })
        .await?;
    assert_eq!(
        orders.total, SAGAS as u64,
        "one order per saga, none doubled"
    );
    let level = stack.stock(store_id, product_id).await?;
    assert_eq!((level.on_hand, level.reserved), (0, 0));
    stack.stop().await
}
