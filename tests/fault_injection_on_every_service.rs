//! `--fault fail_operation=<operation>` works on every service binary: started as its real
//! binary with the fault set (through `BIKESTORE_FAULT`, as `--fault` sets it), each service
//! answers that operation `unavailable`, saying it fails on purpose, and still answers its
//! others. A fault a service cannot honour, or cannot read, stops it at start with a clear error.

use bikestore_client::CallOptions;
use bikestore_contracts::identity::PublicKeys;
use bikestore_contracts::inventory::ListStores;
use bikestore_contracts::notifications::ListNotifications;
use bikestore_contracts::orders::SearchCustomers;
use bikestore_contracts::sagas::SagaStats;
use bikestore_contracts::{ErrorCode, Request, ServiceName};
use bikestore_harness::System;
use bikestore_runtime::config::ENV_FAULT;

/// Fails unless `answer` is the refusal of a deliberately failing operation.
fn assert_failing_on_purpose(code: ErrorCode, message: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        code == ErrorCode::Unavailable && message.contains("fault injection"),
        "answered {code:?} {message:?}, not the injected failure"
    );
    Ok(())
}

/// A system running `service`'s binary with the fault `fail_operation=<operation>`.
async fn failing(service: ServiceName, operation: &str) -> anyhow::Result<System> {
    let mut system = System::builder().start().await?;
    let fault = format!("fail_operation={operation}");
    system
        .start_process(service, &[(ENV_FAULT, fault.as_str())])
        .await?;
    Ok(system)
}

/// Starts `service`'s binary failing `R`'s operation, checks that `R` is refused on purpose,
/// and, given `O` (another operation of the same service), that `O` is not.
async fn fails_only_its_operation<R: Request + Default, O: Request + Default>(
    service: ServiceName,
) -> anyhow::Result<()> {
    let system = failing(service, R::OPERATION).await?;
    match system.caller().call(&R::default()).await {
        Ok(_) => anyhow::bail!("{service} answered {} despite its fault", R::OPERATION),
        Err(error) => assert_failing_on_purpose(error.code, &error.message)?,
    }
    if let Err(error) = system.caller().call(&O::default()).await {
        anyhow::ensure!(
            !error.message.contains("fault injection"),
            "{service} failed {} too: {error:?}",
            O::OPERATION
        );
    }
    system.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_fails_the_named_operation() -> anyhow::Result<()> {
    fails_only_its_operation::<PublicKeys, bikestore_contracts::identity::ListStaff>(
        ServiceName::Identity,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inventory_fails_the_named_operation() -> anyhow::Result<()> {
    fails_only_its_operation::<ListStores, bikestore_contracts::inventory::ListProducts>(
        ServiceName::Inventory,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_fails_the_named_operation() -> anyhow::Result<()> {
    fails_only_its_operation::<SearchCustomers, bikestore_contracts::orders::ListOrders>(
        ServiceName::Orders,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_fails_the_named_operation() -> anyhow::Result<()> {
    // Its only other endpoint is `ready`, which no fault touches.
    let system = failing(ServiceName::Notifications, ListNotifications::OPERATION).await?;
    match system.caller().call(&ListNotifications::default()).await {
        Ok(_) => anyhow::bail!("notifications answered despite its fault"),
        Err(error) => assert_failing_on_purpose(error.code, &error.message)?,
    }
    system.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_orchestrator_fails_the_named_operation() -> anyhow::Result<()> {
    fails_only_its_operation::<SagaStats, bikestore_contracts::sagas::ListSagas>(
        ServiceName::Orchestrator,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_fails_the_named_public_operation() -> anyhow::Result<()> {
    let system = failing(ServiceName::Gateway, PublicKeys::OPERATION).await?;
    // Identity does not run (so no console could connect; the operator's connection calls
    // instead): without the fault the gateway would answer that it is unavailable too, but not
    // on purpose.
    let client = bikestore_client::Client::new(system.client().clone(), system.subjects().clone());
    match client
        .call_public(&PublicKeys {}, &CallOptions::default())
        .await
    {
        Ok(_) => anyhow::bail!("the gateway answered despite its fault"),
        Err(error) => assert_failing_on_purpose(error.code(), &error.to_string())?,
    }
    system.stop().await
}

/// Starts `service`'s binary with `fault` and checks that it stops at once, saying `why`.
async fn stops_at_start(service: ServiceName, fault: &str, why: &str) -> anyhow::Result<()> {
    let system = System::builder().start().await?;
    let mut process = system.spawn_process(service, &[(ENV_FAULT, fault)])?;
    let status = process.wait().await?;
    anyhow::ensure!(!status.success(), "{service} ran with the fault {fault}");
    let log = process.read_log();
    anyhow::ensure!(
        log.contains(why),
        "{service} did not say why it stopped ({why:?}):\n{log}"
    );
    system.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_fault_on_a_service_without_a_database_stops_it_at_start() -> anyhow::Result<()> {
    stops_at_start(
        ServiceName::Orchestrator,
        "crash_after_commit=place_order",
        "crash_after_commit needs a database",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_reply_fault_on_a_service_without_a_database_stops_it_at_start() -> anyhow::Result<()>
{
    stops_at_start(
        ServiceName::Orchestrator,
        "reply_late=place_order:1000",
        "reply_late needs a database",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_reply_fault_without_its_delay_stops_the_service_at_start() -> anyhow::Result<()> {
    stops_at_start(
        ServiceName::Inventory,
        "reply_late=receive_stock",
        "needs a delay: reply_late=<operation>:<milliseconds>",
    )
    .await
}
