//! A restarted nats-server is survived: the work-queue consumer is re-created and every saga,
//! begun before or after the restart, still ends.

use std::time::Duration;

use bikestore_contracts::sagas::{ListSagas, PlaceOrder, SagaState};
use bikestore_runtime::call::CallOptions;
use bikestore_testkit::eventually;

use crate::place_order::{APPROVES, order};
use crate::support::Stack;

const SAGAS: usize = 40;

#[tokio::test]
async fn sagas_started_around_a_nats_restart_all_complete() -> anyhow::Result<()> {
    let mut stack = Stack::everything().await?;
    let customer_id = stack.customer().await?;
    let (store_id, product_id) = stack.store_with_stock(SAGAS as i64).await?;
    for index in 0..SAGAS {
        if index == SAGAS / 2 {
            stack.system.nats_mut().restart().await?;
        }
        let request = PlaceOrder {
            wait_ms: None,
            ..order(customer_id, store_id, product_id, 1, APPROVES)
        };
        let options = CallOptions {
            timeout: Some(Duration::from_millis(500)),
            ..CallOptions::idempotent(format!("around-the-restart-{index}"))
        };
        // A caller retries under its key until the orchestrator answers again.
        eventually(
            "the intake to answer",
            Duration::from_secs(30),
            async || stack.caller.call_with(&request, &options).await.ok(),
        )
        .await?;
    }
    let completed = eventually(
        "every saga to complete",
        Duration::from_secs(60),
        async || {
            let sagas = stack
                .caller
                .call(&ListSagas {
                    state: Some(SagaState::Completed),
                    limit: Some(1_000),
                    ..ListSagas::default()
                })
                .await
                .ok()?
                .sagas;
            (sagas.len() == SAGAS).then_some(sagas.len())
        },
    )
    .await?;
    assert_eq!(completed, SAGAS);
    let level = stack.stock(store_id, product_id).await?;
    assert_eq!(
        (level.on_hand, level.reserved),
        (0, 0),
        "each saga took its unit once"
    );
    stack.stop().await
}
