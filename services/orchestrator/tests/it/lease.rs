//! One driver at a time: a saga whose driver holds a live lease is left alone until the lease
//! runs out, and then taken over at once, so a saga whose intake died waits about one lease;
//! and a saga nobody holds or queues is queued again when its intake is repeated.

use std::time::Duration;

use bikestore_contracts::sagas::{Lease, Phase, SagaId, SagaRecord, SagaState};
use bikestore_contracts::{ServiceName, Subjects};
use bikestore_runtime::now_ms;
use bikestore_testkit::eventually;

use crate::support::{Stack, transfer_record};

/// How long the dead driver's lease still runs when the test starts.
const GHOST_LEASE: Duration = Duration::from_secs(2);

#[tokio::test]
async fn a_dead_drivers_saga_waits_for_its_lease_then_is_taken_over_at_once() -> anyhow::Result<()>
{
    let stack = Stack::with(&[ServiceName::Inventory, ServiceName::Orchestrator]).await?;
    let (source, product_id) = stack.store_with_stock(3).await?;
    let destination = stack.store().await?;

    // A transfer an intake created and started driving, then died: its record holds the
    // intake's lease, and nothing is queued for it. The takeover check finds it in the index
    // once the lease has run out.
    let until_ms = now_ms() + GHOST_LEASE.as_millis() as i64;
    let saga_id = SagaId("taken-over".into());
    let record = SagaRecord {
        lease: Some(Lease {
            holder: "an-intake-that-died.0".into(),
            until_ms,
        }),
        ..transfer_record(&saga_id, source, destination, product_id)
    };
    let subjects = Subjects::default();
    let jetstream = async_nats::jetstream::new(stack.client.clone());
    let bucket = jetstream.get_key_value(subjects.sagas_bucket()).await?;
    bucket
        .create(&saga_id.0, serde_json::to_vec(&record)?.into())
        .await?;

    let ended = eventually(
        "the saga to complete",
        Duration::from_secs(20),
        async || {
            let saga = stack.saga(&saga_id).await?;
            Ok((saga.state == SagaState::Completed).then_some(saga))
        },
    )
    .await?;
    let first = ended
        .history
        .first()
        .expect("a completed saga has a history");
    assert_eq!(
        (first.step.as_str(), first.phase),
        ("reserve_at_source", Phase::Action)
    );
    assert!(
        first.started_at_ms >= until_ms,
        "a step started {} ms before the dead driver's lease ran out",
        until_ms - first.started_at_ms
    );
    // Taken over within the lease margin and a takeover check, not at a recovery scan.
    let waited_ms = first.started_at_ms - until_ms;
    assert!(
        waited_ms < 3_000,
        "taken over {waited_ms} ms after the lease ran out"
    );
    assert_eq!(ended.lease, None, "an ended saga holds no lease");
    assert_eq!(stack.stock(source, product_id).await?.on_hand, 1);
    stack.stop().await
}

#[tokio::test]
async fn a_repeated_intake_queues_its_saga_again_when_nobody_drives_it() -> anyhow::Result<()> {
    use sha2::{Digest, Sha256};
    let stack = Stack::with(&[ServiceName::Inventory, ServiceName::Orchestrator]).await?;
    let (source, product_id) = stack.store_with_stock(3).await?;
    let destination = stack.store().await?;

    // The first intake created the record and died before queueing it: no lease, no work
    // item, and the recovery scan at start has already run.
    let key = "transfer-repeated-after-a-crash";
    let digest = Sha256::new()
        .chain_update(b"transfer_stock")
        .chain_update([0])
        .chain_update(key.as_bytes())
        .finalize();
    let saga_id = SagaId(
        digest
            .iter()
            .take(16)
            .map(|byte| format!("{byte:02x}"))
            .collect(),
    );
    let record = transfer_record(&saga_id, source, destination, product_id);
    let jetstream = async_nats::jetstream::new(stack.client.clone());
    jetstream
        .get_key_value(Subjects::default().sagas_bucket())
        .await?
        .create(&saga_id.0, serde_json::to_vec(&record)?.into())
        .await?;

    let repeat = bikestore_contracts::sagas::TransferStock {
        from_store_id: source,
        to_store_id: destination,
        product_id,
        quantity: 2,
        wait_ms: Some(20_000),
    };
    let answered = stack
        .caller
        .call_with(
            &repeat,
            &bikestore_runtime::call::CallOptions {
                timeout: Some(Duration::from_secs(25)),
                ..bikestore_runtime::call::CallOptions::idempotent(key)
            },
        )
        .await?;
    assert_eq!(answered.saga_id, saga_id, "the repeat names the first saga");
    assert_eq!(answered.state, SagaState::Completed, "{:?}", answered.error);
    assert_eq!(stack.stock(destination, product_id).await?.on_hand, 2);
    stack.stop().await
}
