//! When a saga's record is written: when it is created, when its course changes and when it
//! ends, not after every step that went through. A driver that dies with steps unwritten
//! leaves them to whoever takes over, who asks each again and gets its participant's recorded
//! reply: every step is still applied once. For the same reason an operator cannot resolve a
//! saga whose record may not show every step done.

use std::time::Duration;

use bikestore_contracts::sagas::{
    Lease, Outcome, Phase, ResolveSaga, SagaId, SagaRecord, SagaStarted, SagaState, TransferStock,
};
use bikestore_contracts::{ErrorCode, ProductId, ServiceName, StoreId, Subjects};
use bikestore_harness::Configs;
use bikestore_runtime::config::Fault;
use bikestore_runtime::now_ms;
use futures::StreamExt;

use crate::support::{Stack, transfer_record};

/// Transfers two units, waiting up to `wait_ms` for the saga to end.
async fn transfer_two(
    stack: &Stack,
    source: StoreId,
    destination: StoreId,
    product_id: ProductId,
    wait_ms: u64,
) -> anyhow::Result<SagaStarted> {
    let request = TransferStock {
        from_store_id: source,
        to_store_id: destination,
        product_id,
        quantity: 2,
        wait_ms: Some(wait_ms),
    };
    Ok(stack.caller.call(&request).await?)
}

#[tokio::test]
async fn a_saga_that_goes_through_is_written_when_created_and_when_it_ends() -> anyhow::Result<()> {
    let stack = Stack::with(&[ServiceName::Inventory, ServiceName::Orchestrator]).await?;
    let (source, product_id) = stack.store_with_stock(5).await?;
    let destination = stack.store().await?;
    let jetstream = async_nats::jetstream::new(stack.client.clone());
    let bucket = jetstream
        .get_key_value(Subjects::default().sagas_bucket())
        .await?;
    let mut writes = bucket.watch_all().await?;

    let started = transfer_two(&stack, source, destination, product_id, 20_000).await?;
    assert_eq!(started.state, SagaState::Completed, "{:?}", started.error);

    let mut states = Vec::new();
    while states.last() != Some(&SagaState::Completed) {
        let entry = tokio::time::timeout(Duration::from_secs(10), writes.next())
            .await?
            .ok_or_else(|| anyhow::anyhow!("the bucket's watch ended"))??;
        if entry.key == started.saga_id.0 {
            let record: SagaRecord = serde_json::from_slice(&entry.value)?;
            states.push(record.state);
        }
    }
    assert_eq!(
        states,
        [SagaState::Running, SagaState::Completed],
        "three steps went through between the record's creation and its end"
    );
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
        ],
        "the record that ended holds every step's history"
    );
    stack.stop().await
}

/// How long a driver's lease lasts in the next test: short, but a second longer than the least
/// a 2 s step timeout allows, since a lease with less than that left is renewed (and the
/// record with it) before each step.
const LEASE: Duration = Duration::from_secs(4);

/// Checks that two of the source's five units moved to the destination, once.
async fn assert_moved_once(
    stack: &Stack,
    source: StoreId,
    destination: StoreId,
    product_id: ProductId,
) -> anyhow::Result<()> {
    let level = stack.stock(source, product_id).await?;
    assert_eq!(
        (level.on_hand, level.reserved),
        (3, 0),
        "taken from the source once"
    );
    assert_eq!(
        stack.stock(destination, product_id).await?.on_hand,
        2,
        "received at the destination once"
    );
    Ok(())
}

/// The saga's record once it has ended (within 30 s).
async fn ended(stack: &Stack, saga_id: &SagaId) -> anyhow::Result<SagaRecord> {
    bikestore_testkit::eventually("the saga to end", Duration::from_secs(30), async || {
        let saga = stack.saga(saga_id).await?;
        Ok(saga.state.is_terminal().then_some(saga))
    })
    .await
}

/// Inventory and an orchestrator whose leases last [`LEASE`], with inventory holding the reply
/// of `operation` for a second after committing it.
async fn holding_replies_of(operation: &'static str) -> anyhow::Result<Stack> {
    Stack::configured(
        &[ServiceName::Inventory, ServiceName::Orchestrator],
        move |configs: &mut Configs| {
            configs.orchestrator.lease = LEASE;
            configs.inventory.common.fault = Some(Fault::ReplyLate(
                operation.into(),
                Duration::from_millis(1_000),
            ));
        },
    )
    .await
}

#[tokio::test]
async fn a_driver_gone_after_unwritten_steps_leaves_them_asked_again_and_each_done_once()
-> anyhow::Result<()> {
    // The intake drives the transfer while its caller waits 300 ms: the first two steps go
    // through, the third commits and its reply is held, and the intake gives up, with nothing
    // written since the record's creation. Its lease then runs out and another driver takes
    // the saga from that record.
    let stack = holding_replies_of("commit_reservation").await?;
    let (source, product_id) = stack.store_with_stock(5).await?;
    let destination = stack.store().await?;
    let started = transfer_two(&stack, source, destination, product_id, 300).await?;
    assert_eq!(started.state, SagaState::Running);
    let left_behind = stack.saga(&started.saga_id).await?;
    assert!(
        left_behind.history.is_empty(),
        "the steps that went through were not written: {:?}",
        left_behind.history
    );
    let dead_lease_until = left_behind
        .lease
        .as_ref()
        .map(|lease| lease.until_ms)
        .ok_or_else(|| anyhow::anyhow!("the intake's lease is not in the record"))?;
    let level = stack.stock(source, product_id).await?;
    assert_eq!(
        (level.on_hand, level.reserved),
        (3, 0),
        "the reservation was committed before the intake gave up"
    );

    let ended = ended(&stack, &started.saga_id).await?;
    assert_eq!(ended.state, SagaState::Completed, "{:?}", ended.history);
    let steps: Vec<(&str, Phase, Outcome)> = ended
        .history
        .iter()
        .map(|entry| (entry.step.as_str(), entry.phase, entry.outcome))
        .collect();
    assert_eq!(
        steps,
        [
            ("reserve_at_source", Phase::Action, Outcome::Succeeded),
            ("receive_at_destination", Phase::Action, Outcome::Succeeded),
            ("commit_at_source", Phase::Action, Outcome::Succeeded),
        ]
    );
    assert!(
        ended
            .history
            .iter()
            .all(|entry| entry.started_at_ms >= dead_lease_until),
        "every step was asked again by the driver that took over: {:?}",
        ended.history
    );
    assert_moved_once(&stack, source, destination, product_id).await?;
    stack.stop().await
}

#[tokio::test]
async fn a_saga_whose_record_may_not_show_every_step_cannot_be_resolved() -> anyhow::Result<()> {
    // Records of a version this orchestrator does not know, so it leaves them as they are.
    let stack = Stack::with(&[ServiceName::Orchestrator]).await?;
    let jetstream = async_nats::jetstream::new(stack.client.clone());
    let bucket = jetstream
        .get_key_value(Subjects::default().sagas_bucket())
        .await?;
    let lease = |until_ms| {
        Some(Lease {
            holder: "a-driver-elsewhere.0".into(),
            until_ms,
        })
    };
    let cases = [
        (
            "driven",
            SagaState::Running,
            lease(now_ms() + 60_000),
            false,
            Some("being driven"),
        ),
        (
            "dropped",
            SagaState::Running,
            lease(now_ms() - 1),
            false,
            Some("without letting go"),
        ),
        ("behind", SagaState::Running, None, true, Some("taken over")),
        ("stuck", SagaState::Stuck, None, true, None),
    ];
    for (name, state, lease, may_be_behind, refusal) in cases {
        let saga_id = SagaId(format!("resolve-{name}"));
        let record = SagaRecord {
            state,
            lease,
            may_be_behind,
            version: 99,
            ..transfer_record(&saga_id, StoreId(1), StoreId(2), ProductId(1))
        };
        bucket
            .create(&saga_id.0, serde_json::to_vec(&record)?.into())
            .await?;
        let resolved = stack
            .caller
            .call(&ResolveSaga {
                saga_id: saga_id.clone(),
                reason: "looked done".into(),
            })
            .await;
        match (refusal, resolved) {
            (Some(words), Err(refused)) => {
                assert_eq!(refused.code, ErrorCode::Conflict, "{name}: {refused}");
                assert!(refused.message.contains(words), "{name}: {refused}");
                let kept = stack.saga(&saga_id).await?;
                assert_eq!((kept.state, kept.resolution), (state, None), "{name}");
            }
            (None, Ok(resolved)) => assert_eq!(resolved.state, SagaState::Resolved, "{name}"),
            (refusal, resolved) => panic!("{name}: expected {refusal:?}, got {resolved:?}"),
        }
    }
    stack.stop().await
}

#[tokio::test]
async fn a_step_asked_again_after_a_takeover_is_not_given_up_while_the_record_may_be_behind()
-> anyhow::Result<()> {
    // As above, the intake gives up with two steps done and the third committed, none
    // written. Then inventory goes away, so the driver that takes over gets no answer to the
    // first step, past all its attempts. Giving that step up would release the source's
    // reservation, which is committed, and leave the destination's units in place.
    let mut stack = holding_replies_of("commit_reservation").await?;
    let attempts = stack.system.configs().orchestrator.max_attempts as usize;
    let (source, product_id) = stack.store_with_stock(5).await?;
    let destination = stack.store().await?;
    let started = transfer_two(&stack, source, destination, product_id, 300).await?;
    assert_eq!(started.state, SagaState::Running);
    assert!(stack.saga(&started.saga_id).await?.history.is_empty());
    stack.system.stop_service(ServiceName::Inventory).await?;

    let unanswered = bikestore_testkit::eventually(
        "the first step to be asked more times than its attempts",
        Duration::from_secs(30),
        async || {
            let saga = stack.saga(&started.saga_id).await?;
            let asked = saga
                .history
                .iter()
                .filter(|entry| entry.step == "reserve_at_source")
                .count();
            Ok((asked > attempts || saga.state != SagaState::Running).then_some(saga))
        },
    )
    .await?;
    assert_eq!(
        (unanswered.state, unanswered.may_be_behind),
        (SagaState::Running, true),
        "{:?}",
        unanswered.history
    );
    assert!(
        unanswered
            .history
            .iter()
            .all(|entry| entry.phase == Phase::Action && entry.outcome == Outcome::Retrying),
        "asked again, never given up: {:?}",
        unanswered.history
    );

    stack.system.start_service(ServiceName::Inventory).await?;
    let ended = ended(&stack, &started.saga_id).await?;
    assert_eq!(ended.state, SagaState::Completed, "{:?}", ended.history);
    assert!(
        ended
            .history
            .iter()
            .all(|entry| entry.phase == Phase::Action),
        "nothing was undone: {:?}",
        ended.history
    );
    assert_moved_once(&stack, source, destination, product_id).await?;
    stack.stop().await
}

#[tokio::test]
async fn a_step_done_now_after_a_takeover_shows_the_record_caught_up() -> anyhow::Result<()> {
    // The intake gives up while the second step's reply is held: the driver that takes over
    // gets the first two steps replayed and does the third itself.
    let stack = holding_replies_of("receive_stock").await?;
    let (source, product_id) = stack.store_with_stock(5).await?;
    let destination = stack.store().await?;
    let started = transfer_two(&stack, source, destination, product_id, 300).await?;
    assert_eq!(started.state, SagaState::Running);
    let ended = ended(&stack, &started.saga_id).await?;
    assert_eq!(ended.state, SagaState::Completed, "{:?}", ended.history);
    assert!(
        !ended.may_be_behind,
        "commit_at_source was done now, so nothing lay beyond the record"
    );
    assert_eq!(ended.history.len(), 3, "{:?}", ended.history);
    assert_moved_once(&stack, source, destination, product_id).await?;
    stack.stop().await
}
