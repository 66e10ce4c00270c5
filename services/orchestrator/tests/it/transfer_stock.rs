//! Transfer stock between stores: the engine on a saga with only inventory as participant.

use bikestore_contracts::ServiceName;
use bikestore_contracts::sagas::{
    ListSagas, Outcome, Phase, ResolveSaga, RetrySaga, SagaState, SagaStats, TransferStock,
};
use bikestore_contracts::{ErrorCode, StoreId};
use bikestore_harness::Configs;
use bikestore_runtime::call::CallOptions;
use bikestore_runtime::config::Fault;

use crate::support::Stack;

const WAIT_MS: Option<u64> = Some(20_000);

/// Inventory cannot release reservations, so a compensation that releases one keeps failing.
fn failing_releases(configs: &mut Configs) {
    configs.inventory.common.fault = Some(Fault::FailOperation("release_reservation".into()));
}

#[tokio::test]
async fn a_transfer_moves_the_units_and_completes() -> anyhow::Result<()> {
    let stack = Stack::with(&[ServiceName::Inventory, ServiceName::Orchestrator]).await?;
    let (source, product_id) = stack.store_with_stock(10).await?;
    let destination = stack.store().await?;
    let started = stack
        .caller
        .call(&TransferStock {
            from_store_id: source,
            to_store_id: destination,
            product_id,
            quantity: 4,
            wait_ms: WAIT_MS,
        })
        .await?;
    assert_eq!(started.state, SagaState::Completed, "{:?}", started.error);
    assert_eq!(stack.stock(source, product_id).await?.on_hand, 6);
    assert_eq!(stack.stock(source, product_id).await?.reserved, 0);
    assert_eq!(stack.stock(destination, product_id).await?.on_hand, 4);
    let saga = stack.saga(&started.saga_id).await?;
    let steps: Vec<&str> = saga
        .history
        .iter()
        .map(|entry| entry.step.as_str())
        .collect();
    assert_eq!(
        steps,
        [
            "reserve_at_source",
            "receive_at_destination",
            "commit_at_source"
        ]
    );
    assert!(
        saga.history
            .iter()
            .all(|entry| entry.outcome == Outcome::Succeeded)
    );
    stack.stop().await
}

#[tokio::test]
async fn a_transfer_short_of_stock_fails_at_once_with_nothing_to_undo() -> anyhow::Result<()> {
    let stack = Stack::with(&[ServiceName::Inventory, ServiceName::Orchestrator]).await?;
    let (source, product_id) = stack.store_with_stock(2).await?;
    let destination = stack.store().await?;
    let started = stack
        .caller
        .call(&TransferStock {
            from_store_id: source,
            to_store_id: destination,
            product_id,
            quantity: 3,
            wait_ms: WAIT_MS,
        })
        .await?;
    assert_eq!(started.state, SagaState::Failed);
    let error = started.error.unwrap();
    assert_eq!(error.code, ErrorCode::InsufficientStock);
    let saga = stack.saga(&started.saga_id).await?;
    assert_eq!(
        saga.history.len(),
        1,
        "a business refusal is not retried: {:?}",
        saga.history
    );
    assert_eq!(stack.stock(source, product_id).await?.available, 2);
    stack.stop().await
}

#[tokio::test]
async fn a_failed_receive_releases_the_source_reservation() -> anyhow::Result<()> {
    let stack = Stack::with(&[ServiceName::Inventory, ServiceName::Orchestrator]).await?;
    let (source, product_id) = stack.store_with_stock(5).await?;
    // The destination store does not exist, so receiving there is refused with not_found.
    let missing_store = StoreId(424_242);
    let started = stack
        .caller
        .call(&TransferStock {
            from_store_id: source,
            to_store_id: missing_store,
            product_id,
            quantity: 5,
            wait_ms: WAIT_MS,
        })
        .await?;
    assert_eq!(started.state, SagaState::Failed);
    let saga = stack.saga(&started.saga_id).await?;
    let compensated: Vec<&str> = saga
        .history
        .iter()
        .filter(|entry| entry.phase == Phase::Compensation)
        .map(|entry| entry.step.as_str())
        .collect();
    assert_eq!(compensated, ["reserve_at_source"]);
    let level = stack.stock(source, product_id).await?;
    assert_eq!((level.on_hand, level.reserved), (5, 0));
    stack.stop().await
}

#[tokio::test]
async fn a_commit_that_answers_too_late_is_asked_again_and_the_transfer_completes()
-> anyhow::Result<()> {
    // Inventory commits the source's reservation, then answers after the orchestrator has
    // given up on its one attempt: the units have left the source, so undoing the receive at
    // the destination would lose them.
    let stack = Stack::configured(
        &[ServiceName::Inventory, ServiceName::Orchestrator],
        |configs: &mut Configs| {
            configs.orchestrator.max_attempts = 1;
            configs.orchestrator.step_timeout = std::time::Duration::from_millis(1_000);
            configs.inventory.common.fault = Some(Fault::ReplyLate(
                "commit_reservation".into(),
                std::time::Duration::from_millis(2_500),
            ));
        },
    )
    .await?;
    let (source, product_id) = stack.store_with_stock(5).await?;
    let destination = stack.store().await?;
    let started = stack
        .caller
        .call(&TransferStock {
            from_store_id: source,
            to_store_id: destination,
            product_id,
            quantity: 3,
            wait_ms: WAIT_MS,
        })
        .await?;
    assert_eq!(started.state, SagaState::Completed, "{:?}", started.error);
    let saga = stack.saga(&started.saga_id).await?;
    let commits: Vec<(Phase, Outcome)> = saga
        .history
        .iter()
        .filter(|entry| entry.step == "commit_at_source")
        .map(|entry| (entry.phase, entry.outcome))
        .collect();
    assert_eq!(
        commits,
        [
            (Phase::Action, Outcome::Failed),
            (Phase::Action, Outcome::Succeeded)
        ],
        "timed out, then asked again"
    );
    assert!(
        saga.history
            .iter()
            .all(|entry| entry.phase == Phase::Action),
        "nothing was undone: {:?}",
        saga.history
    );
    let level = stack.stock(source, product_id).await?;
    assert_eq!((level.on_hand, level.reserved), (2, 0));
    assert_eq!(stack.stock(destination, product_id).await?.on_hand, 3);
    stack.stop().await
}

#[tokio::test]
async fn the_same_idempotency_key_names_the_same_saga() -> anyhow::Result<()> {
    let stack = Stack::with(&[ServiceName::Inventory, ServiceName::Orchestrator]).await?;
    let (source, product_id) = stack.store_with_stock(10).await?;
    let destination = stack.store().await?;
    let request = TransferStock {
        from_store_id: source,
        to_store_id: destination,
        product_id,
        quantity: 1,
        wait_ms: WAIT_MS,
    };
    let options = CallOptions::idempotent("transfer-once");
    let first = stack.caller.call_with(&request, &options).await?;
    let second = stack.caller.call_with(&request, &options).await?;
    assert_eq!(first.saga_id, second.saga_id);
    assert_eq!(second.state, SagaState::Completed);
    assert_eq!(
        stack.stock(destination, product_id).await?.on_hand,
        1,
        "one transfer, not two"
    );
    let refused = stack
        .caller
        .call(&TransferStock {
            to_store_id: source,
            ..request
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::Invalid);
    stack.stop().await
}

#[tokio::test]
async fn a_compensation_that_keeps_failing_leaves_the_saga_stuck_until_an_operator_retries()
-> anyhow::Result<()> {
    // Inventory cannot release reservations: the compensation of the first step will fail.
    let mut stack = Stack::configured(
        &[ServiceName::Inventory, ServiceName::Orchestrator],
        failing_releases,
    )
    .await?;
    let (source, product_id) = stack.store_with_stock(5).await?;
    let missing_store = StoreId(999_999);
    let request = TransferStock {
        from_store_id: source,
        to_store_id: missing_store,
        product_id,
        quantity: 5,
        wait_ms: WAIT_MS,
    };
    let started = stack.caller.call(&request).await?;
    assert_eq!(started.state, SagaState::Stuck);
    assert_eq!(
        started.error.as_ref().map(|error| error.code),
        Some(ErrorCode::Unavailable)
    );
    let saga = stack.saga(&started.saga_id).await?;
    let release_attempts = saga
        .history
        .iter()
        .filter(|entry| entry.phase == Phase::Compensation)
        .map(|entry| entry.outcome)
        .collect::<Vec<_>>();
    // A compensation is tried four times as often as an action (three attempts here) before
    // the saga is stuck: giving up on undoing leaves work for an operator.
    let mut expected = vec![Outcome::Retrying; 11];
    expected.push(Outcome::Failed);
    assert_eq!(release_attempts, expected);
    let stuck = stack
        .caller
        .call(&ListSagas {
            state: Some(SagaState::Stuck),
            ..ListSagas::default()
        })
        .await?;
    assert_eq!(
        stuck
            .sagas
            .iter()
            .map(|saga| &saga.saga_id)
            .collect::<Vec<_>>(),
        [&started.saga_id]
    );
    assert_eq!(
        stack.stock(source, product_id).await?.reserved,
        5,
        "the stock is still held"
    );

    // The fault clears; an operator's retry finishes the compensation.
    stack.system.stop_service(ServiceName::Inventory).await?;
    stack.system.configs_mut().inventory.common.fault = None;
    stack.system.start_service(ServiceName::Inventory).await?;
    let progress = stack.follow(&started.saga_id).await?;
    let retried = stack
        .caller
        .call(&RetrySaga {
            saga_id: started.saga_id.clone(),
        })
        .await?;
    assert_eq!(retried.state, SagaState::Compensating);
    let ended = stack.until_ended(progress).await?;
    assert_eq!(ended, SagaState::Failed);
    assert_eq!(
        stack.stock(source, product_id).await?.reserved,
        0,
        "the compensation gave the stock back"
    );
    let stats = stack.caller.call(&SagaStats::default()).await?;
    let failed = stats
        .counts
        .iter()
        .find(|count| count.state == SagaState::Failed)
        .map(|count| count.count);
    assert_eq!(failed, Some(1));
    stack.stop().await
}

#[tokio::test]
async fn an_operator_can_resolve_a_stuck_saga_by_hand() -> anyhow::Result<()> {
    let stack = Stack::configured(
        &[ServiceName::Inventory, ServiceName::Orchestrator],
        failing_releases,
    )
    .await?;
    let (source, product_id) = stack.store_with_stock(5).await?;
    let request = TransferStock {
        from_store_id: source,
        to_store_id: StoreId(999_999),
        product_id,
        quantity: 1,
        wait_ms: WAIT_MS,
    };
    let started = stack.caller.call(&request).await?;
    assert_eq!(started.state, SagaState::Stuck);
    let resolved = stack
        .caller
        .call(&ResolveSaga {
            saga_id: started.saga_id.clone(),
            reason: "released the units by hand".into(),
        })
        .await?;
    assert_eq!(resolved.state, SagaState::Resolved);
    assert_eq!(
        resolved.resolution.as_deref(),
        Some("released the units by hand")
    );
    let again = stack
        .caller
        .call(&ResolveSaga {
            saga_id: started.saga_id.clone(),
            reason: "twice".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(again.code, ErrorCode::Conflict);
    let retry = stack
        .caller
        .call(&RetrySaga {
            saga_id: started.saga_id,
        })
        .await
        .unwrap_err();
    assert_eq!(retry.code, ErrorCode::Conflict);
    stack.stop().await
}

#[tokio::test]
async fn a_failed_transfer_retried_by_an_operator_reserves_anew_and_completes() -> anyhow::Result<()>
{
    let stack = Stack::with(&[ServiceName::Inventory, ServiceName::Orchestrator]).await?;
    let (source, product_id) = stack.store_with_stock(5).await?;
    // The destination does not exist yet: the units are reserved at the source, refused at
    // the destination, and the reservation released.
    let destination = StoreId(source.0 + 1);
    let request = TransferStock {
        from_store_id: source,
        to_store_id: destination,
        product_id,
        quantity: 2,
        wait_ms: WAIT_MS,
    };
    let failed = stack.caller.call(&request).await?;
    assert_eq!(failed.state, SagaState::Failed);
    let first_run = stack.saga(&failed.saga_id).await?;
    assert!(
        first_run
            .history
            .iter()
            .any(|entry| entry.step == "reserve_at_source" && entry.phase == Phase::Compensation),
        "the first run reserved and released: {:?}",
        first_run.history
    );
    assert_eq!(
        stack.store().await?,
        destination,
        "the store the transfer named"
    );

    let retried = stack
        .caller
        .call(&RetrySaga {
            saga_id: failed.saga_id.clone(),
        })
        .await?;
    assert_eq!(retried.run, 1);
    let ended = bikestore_testkit::eventually(
        "the new run to end",
        std::time::Duration::from_secs(20),
        async || {
            let saga = stack.saga(&failed.saga_id).await?;
            Ok(saga.state.is_terminal().then_some(saga))
        },
    )
    .await?;
    assert_eq!(ended.state, SagaState::Completed, "{:?}", ended.history);
    let reservation = |saga: &bikestore_contracts::sagas::SagaRecord| match &saga.payload {
        bikestore_contracts::sagas::SagaPayload::TransferStock(transfer) => {
            transfer.reservation_id.clone()
        }
        other => panic!("not a transfer: {other:?}"),
    };
    assert_ne!(
        reservation(&ended),
        reservation(&first_run),
        "reserved anew"
    );
    let level = stack.stock(source, product_id).await?;
    assert_eq!((level.on_hand, level.reserved), (3, 0));
    assert_eq!(stack.stock(destination, product_id).await?.on_hand, 2);
    stack.stop().await
}
