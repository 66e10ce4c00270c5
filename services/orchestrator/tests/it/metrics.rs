//! The orchestrator's own Prometheus series, counted exactly: a transfer whose compensation
//! keeps failing retries its steps, ends stuck (the recovery scan's gauge rises to one and,
//! once an operator resolves it, falls to zero), each work item's age is recorded once, and a
//! write that lost its compare-and-set is counted.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context as _;
use bikestore_contracts::sagas::{Outcome, Phase, ResolveSaga, SagaState, TransferStock};
use bikestore_contracts::{ServiceName, StoreId};
use bikestore_orchestrator::engine::store::{SagaStore, Written};
use bikestore_runtime::config::Fault;
use bikestore_testkit::{eventually, prometheus_samples, prometheus_value};
use metrics_exporter_prometheus::PrometheusHandle;

use crate::support::Stack;

const DEFINITION: &str = "transfer_stock";

/// Every sample the process's recorder holds now.
fn rendered(handle: &PrometheusHandle) -> BTreeMap<String, f64> {
    prometheus_samples(&handle.render())
}

/// Waits for a recovery scan to set the stuck gauge of transfers to `wanted`.
async fn stuck_gauge_reaches(handle: &PrometheusHandle, wanted: f64) -> anyhow::Result<()> {
    let definition = [("definition", DEFINITION)];
    eventually(
        &format!("the recovery scan counts {wanted} stuck"),
        Duration::from_secs(10),
        async || {
            let stuck = prometheus_value(&rendered(handle), "bikestore_sagas_stuck", &definition);
            (stuck == wanted).then_some(())
        },
    )
    .await
}

#[tokio::test]
async fn retries_stuck_sagas_work_item_age_and_lost_races_are_counted_exactly() -> anyhow::Result<()>
{
    // Each test runs in a process of its own, so this recorder sees only this test's sagas.
    let handle = bikestore_runtime::metrics::install()?;
    let stack = Stack::configured(
        &[ServiceName::Inventory, ServiceName::Orchestrator],
        |configs| {
            configs.inventory.common.fault =
                Some(Fault::FailOperation("release_reservation".into()));
            configs.orchestrator.recovery_interval = Duration::from_millis(200);
        },
    )
    .await?;
    let (source, product_id) = stack.store_with_stock(5).await?;
    let started = stack
        .caller
        .call(&TransferStock {
            from_store_id: source,
            to_store_id: StoreId(999_999),
            product_id,
            quantity: 1,
            wait_ms: Some(20_000),
        })
        .await?;
    assert_eq!(started.state, SagaState::Stuck);
    let saga = stack.saga(&started.saga_id).await?;
    let definition = [("definition", DEFINITION)];

    let samples = rendered(&handle);
    let started_total = prometheus_value(&samples, "bikestore_sagas_started_total", &definition);
    assert_eq!(started_total, 1.0);
    // Every step's retries, as its history tells them.
    let mut retries_by_step = BTreeMap::<&str, f64>::new();
    for entry in saga
        .history
        .iter()
        .filter(|entry| entry.outcome == Outcome::Retrying)
    {
        *retries_by_step.entry(entry.step.as_str()).or_default() += 1.0;
    }
    assert!(
        retries_by_step.values().sum::<f64>() >= 11.0,
        "the compensation was retried: {:?}",
        saga.history
    );
    for (step, retries) in &retries_by_step {
        let labels = [("definition", DEFINITION), ("step", step)];
        let counted = prometheus_value(&samples, "bikestore_saga_step_retries_total", &labels);
        assert_eq!(counted, *retries, "retries of {step}");
    }
    let attempts = saga
        .history
        .iter()
        .filter(|entry| entry.outcome != Outcome::Skipped)
        .count() as f64;
    let timed = prometheus_value(
        &samples,
        "bikestore_saga_step_duration_seconds_count",
        &definition,
    );
    assert_eq!(timed, attempts, "one duration per attempt");
    let compensations = saga
        .history
        .iter()
        .filter(|entry| entry.phase == Phase::Compensation)
        .count() as f64;
    let compensation = [("definition", DEFINITION), ("phase", "compensation")];
    let timed_compensations = prometheus_value(
        &samples,
        "bikestore_saga_step_duration_seconds_count",
        &compensation,
    );
    assert_eq!(timed_compensations, compensations);
    // Every work item published is aged once, when first taken.
    let jetstream = async_nats::jetstream::new(stack.client.clone());
    let work_stream = stack.system.subjects().saga_work_stream();
    eventually(
        "every work item aged once",
        Duration::from_secs(10),
        async || -> anyhow::Result<Option<()>> {
            let published = jetstream
                .get_stream(&work_stream)
                .await?
                .info()
                .await?
                .state
                .last_sequence;
            let aged = prometheus_value(
                &rendered(&handle),
                "bikestore_saga_work_item_age_seconds_count",
                &[],
            );
            Ok((published >= 1 && aged == published as f64).then_some(()))
        },
    )
    .await?;

    stuck_gauge_reaches(&handle, 1.0).await?;

    // Two writers of one revision: the second loses its compare-and-set.
    let store = SagaStore::open(&jetstream, stack.system.subjects(), 1).await?;
    let (record, revision) = store
        .load(&started.saga_id)
        .await?
        .context("the stuck saga is stored")?;
    let lost_before = prometheus_value(&rendered(&handle), "bikestore_saga_lost_cas_total", &[]);
    assert!(matches!(
        store.update(&record, revision).await?,
        Written::Revision(_)
    ));
    assert_eq!(store.update(&record, revision).await?, Written::Lost);
    let lost_after = prometheus_value(&rendered(&handle), "bikestore_saga_lost_cas_total", &[]);
    assert_eq!(lost_after - lost_before, 1.0);

    let resolved = stack
        .caller
        .call(&ResolveSaga {
            saga_id: started.saga_id.clone(),
            reason: "released the unit by hand".into(),
        })
        .await?;
    assert_eq!(resolved.state, SagaState::Resolved);
    stuck_gauge_reaches(&handle, 0.0).await?;
    stack.stop().await
}
