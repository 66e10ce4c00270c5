//! Definition versions side by side: a record of a version an orchestrator does not know is
//! left alone, through the work queue, for a replica that knows it; a record finishes under
//! the version it started with, whatever newer version the replica driving it knows.

use std::time::Duration;

use async_nats::jetstream;
use bikestore_codec::ContentType;
use bikestore_contracts::orders::GetOrder;
use bikestore_contracts::sagas::{Outcome, SagaPayload, SagaRecord, SagaState, TransferStock};
use bikestore_contracts::{OrderId, ServiceName, Subjects, WireError};
use bikestore_orchestrator::engine::definition::StepSettings;
use bikestore_orchestrator::engine::{Call, Definition, Step, UnknownOutcome, missing};
use bikestore_orchestrator::sagas::{self, place_order};
use bikestore_runtime::call::CallOptions;
use bikestore_runtime::now_ms;
use bikestore_testkit::{eventually, wait_for_service};

use crate::place_order::APPROVES;
use crate::support::{Stack, cancel_order_record, place_order_record};

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

/// How long after being queued the version-1 records wait, as a step waiting for its retry
/// does: long enough for the upgrade (replica B started, replica A stopped) to happen first.
const V1_WAITS: Duration = Duration::from_secs(8);
/// Sagas of each version.
const SAGAS: usize = 5;

/// Place order version 2: version 1 and one harmless step more, a read of the order.
fn place_order_v2(settings: StepSettings) -> Definition {
    let mut v2 = place_order::definition(settings);
    v2.version = 2;
    v2.steps.push(Step {
        name: "look_up_order",
        action: look_up_order,
        compensation: None,
        timeout: settings.timeout,
        retry: settings.retry,
        unknown_outcome: UnknownOutcome::AskAgain,
    });
    v2
}

fn look_up_order(payload: &SagaPayload) -> Result<Option<Call>, WireError> {
    let SagaPayload::PlaceOrder(saga) = payload else {
        return Err(missing("place-order payload"));
    };
    let order_id = saga.order_id.ok_or_else(|| missing("order"))?;
    Call::fire(&GetOrder { order_id }).map(Some)
}

/// The steps a record's history shows succeeding, in order.
fn succeeded(saga: &SagaRecord) -> Vec<&str> {
    saga.history
        .iter()
        .filter(|entry| entry.outcome == Outcome::Succeeded)
        .map(|entry| entry.step.as_str())
        .collect()
}

#[tokio::test]
async fn an_old_replica_leaves_new_versions_to_a_new_one_and_old_sagas_finish_as_old()
-> anyhow::Result<()> {
    let mut stack = Stack::with(&[
        ServiceName::Inventory,
        ServiceName::Orders,
        ServiceName::Notifications,
    ])
    .await?;
    // Replica A: the orchestrator's own binary, which knows version 1 only.
    let mut old = stack.system.spawn_process(
        ServiceName::Orchestrator,
        &[
            ("BIKESTORE_ORCHESTRATOR_STEP_TIMEOUT_MS", "2000"),
            ("BIKESTORE_ORCHESTRATOR_INITIAL_BACKOFF_MS", "20"),
            ("BIKESTORE_ORCHESTRATOR_MAX_BACKOFF_MS", "100"),
        ],
    )?;
    wait_for_service(
        &stack.client,
        ServiceName::Orchestrator.as_str(),
        Duration::from_secs(20),
    )
    .await?;
    let customer_id = stack.customer().await?;
    let (store_id, product_id) = stack.store_with_stock(2 * SAGAS as i64).await?;

    // Version-2 records (as replica B's intake writes them) and version-1 records waiting for
    // a retry (as replica A left them), all queued while only A runs.
    let bucket = jetstream::new(stack.client.clone())
        .get_key_value(Subjects::default().sagas_bucket())
        .await?;
    let mut v2 = Vec::new();
    let mut v1 = Vec::new();
    for number in 0..SAGAS {
        let payload = stack
            .place_order_payload(customer_id, store_id, product_id, APPROVES)
            .await?;
        let record = place_order_record(&format!("version-2-{number}"), 2, payload);
        let revision = stack
            .keep_and_queue(&record.saga_id, &serde_json::to_value(&record)?)
            .await?;
        v2.push((record.saga_id, revision));

        let payload = stack
            .place_order_payload(customer_id, store_id, product_id, APPROVES)
            .await?;
        let mut record = place_order_record(&format!("version-1-{number}"), 1, payload);
        record.retry_at_ms = Some(now_ms() + V1_WAITS.as_millis() as i64);
        stack
            .keep_and_queue(&record.saga_id, &serde_json::to_value(&record)?)
            .await?;
        v1.push(record.saga_id);
    }

    // A takes every version-2 item, says it leaves it, and puts it back untouched.
    eventually(
        "replica A to leave every version-2 saga",
        Duration::from_secs(20),
        async || {
            let log = old.read_log();
            v2.iter()
                .all(|(saga_id, _)| {
                    log.lines().any(|line| {
                        line.contains(&saga_id.0)
                            && line.contains("leaving it to a replica that does")
                    })
                })
                .then_some(())
        },
    )
    .await?;
    for (saga_id, revision) in &v2 {
        let entry = bucket
            .entry(&saga_id.0)
            .await?
            .ok_or_else(|| anyhow::anyhow!("{saga_id} is gone"))?;
        assert_eq!(entry.revision, *revision, "replica A wrote {saga_id}");
    }

    // The upgrade: replica B, which knows both versions, starts beside A; then A stops.
    let config = stack.system.configs().orchestrator.clone();
    let settings = config.step_settings();
    let mut definitions = sagas::all(settings);
    definitions.push(place_order_v2(settings));
    stack
        .system
        .start_service_with(ServiceName::Orchestrator, move |shutdown| {
            bikestore_orchestrator::run_with(config, definitions, shutdown)
        })
        .await?;
    old.terminate().await?;
    let old_stopped_ms = now_ms();

    let version_1_steps: Vec<&str> = place_order::definition(settings)
        .steps
        .iter()
        .map(|step| step.name)
        .collect();
    let mut version_2_steps = version_1_steps.clone();
    version_2_steps.push("look_up_order");
    for (saga_id, _) in &v2 {
        let saga = eventually(
            "a version-2 saga to end",
            Duration::from_secs(20),
            async || {
                let saga = stack.saga(saga_id).await.ok()?;
                saga.state.is_terminal().then_some(saga)
            },
        )
        .await?;
        assert_eq!((saga.state, saga.version), (SagaState::Completed, 2));
        assert_eq!(
            succeeded(&saga),
            version_2_steps,
            "run by B under version 2"
        );
    }
    for saga_id in &v1 {
        let saga = eventually(
            "a version-1 saga to end",
            Duration::from_secs(20),
            async || {
                let saga = stack.saga(saga_id).await.ok()?;
                saga.state.is_terminal().then_some(saga)
            },
        )
        .await?;
        assert_eq!((saga.state, saga.version), (SagaState::Completed, 1));
        assert_eq!(
            succeeded(&saga),
            version_1_steps,
            "finished under version 1"
        );
        assert!(
            saga.history[0].started_at_ms >= old_stopped_ms,
            "driven by B after A stopped: {:?}",
            saga.history
        );
    }
    stack.stop().await
}

/// A saga whose intake wrote its record before step keys began with the saga's creation time:
/// its participants recorded its steps under keys that begin with the saga ID, and today's
/// driver must send them so, or a step done before the upgrade would be done again.
#[tokio::test]
async fn a_saga_begun_before_keys_by_time_keeps_the_keys_its_participants_recorded()
-> anyhow::Result<()> {
    let stack = Stack::everything().await?;
    let customer_id = stack.customer().await?;
    let (store_id, product_id) = stack.store_with_stock(1).await?;
    let payload = stack
        .place_order_payload(customer_id, store_id, product_id, APPROVES)
        .await?;
    let mut record = place_order_record("begun-before", 1, payload);
    record.keys_by_time = false;

    // Its first step went through under the old key, and its driver died before writing so.
    let settings = stack.system.configs().orchestrator.step_settings();
    let create_order = (place_order::definition(settings).steps[0].action)(&record.payload)?
        .ok_or_else(|| anyhow::anyhow!("create_order sends no request"))?;
    let options = CallOptions {
        idempotency_key: Some(format!("{}:0:create_order:action", record.saga_id)),
        content_type: ContentType::Postcard,
        ..CallOptions::default()
    };
    let reply = stack
        .caller
        .call_raw(
            create_order.service,
            create_order.operation,
            create_order.body.clone(),
            create_order.schema_version,
            &options,
        )
        .await?;
    let mut done_before = record.payload.clone();
    create_order.apply(&reply.body, &mut done_before)?;
    let SagaPayload::PlaceOrder(done_before) = done_before else {
        anyhow::bail!("not a place-order payload");
    };

    stack
        .keep_and_queue(&record.saga_id, &serde_json::to_value(&record)?)
        .await?;
    let saga = eventually("the saga to end", Duration::from_secs(20), async || {
        let saga = stack.saga(&record.saga_id).await.ok()?;
        saga.state.is_terminal().then_some(saga)
    })
    .await?;
    assert_eq!(saga.state, SagaState::Completed, "{:?}", saga.history);
    assert!(!saga.keys_by_time, "the record keeps its keys' form");
    let SagaPayload::PlaceOrder(finished) = &saga.payload else {
        anyhow::bail!("not a place-order payload");
    };
    assert!(done_before.order_id.is_some());
    assert_eq!(
        finished.order_id, done_before.order_id,
        "the order created before the upgrade, not a second one"
    );
    stack.stop().await
}
