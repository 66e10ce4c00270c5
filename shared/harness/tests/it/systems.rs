//! Systems as the builder describes them: secured and seeded with demo logins that work through
//! the gateway; services in this process or as binaries, stopped, killed and started again.

use std::time::Duration;

use bikestore_contracts::inventory::ListStores;
use bikestore_contracts::{ErrorCode, ServiceName};
use bikestore_harness::System;
use bikestore_testkit::eventually;

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secured_seeded_system_logs_in_a_demo_member_through_the_gateway() -> anyhow::Result<()> {
    let system = System::builder()
        .secured()
        .seeded()
        .services(&[
            ServiceName::Gateway,
            ServiceName::Inventory,
            ServiceName::Identity,
        ])
        .start()
        .await?;
    let session = system.console("sales1a").await?;
    let stores = session.call(&ListStores {}).await?;
    assert_eq!(stores.stores.len(), 3, "the demo chain's stores");
    // Secured: the operators' credentials exist, and nobody connects anonymously.
    assert!(system.credentials("ops").is_some());
    let anonymous = async_nats::connect(system.nats().url()).await;
    assert!(anonymous.is_err(), "an anonymous client was let in");
    system.stop().await
}

/// Waits until inventory's `list_stores` answers `expected`: `None` for a reply, or the code of
/// the refusal.
async fn until_inventory_answers(
    system: &System,
    expected: Option<ErrorCode>,
) -> anyhow::Result<()> {
    eventually(
        &format!("inventory to answer {expected:?}"),
        WAIT,
        async || {
            let answer = system.caller().call(&ListStores {}).await;
            (answer.err().map(|error| error.code) == expected).then_some(())
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_in_process_is_killed_and_started_again() -> anyhow::Result<()> {
    let mut system = System::builder()
        .services(&[ServiceName::Inventory])
        .start()
        .await?;
    until_inventory_answers(&system, None).await?;
    system.kill_service(ServiceName::Inventory).await?;
    until_inventory_answers(&system, Some(ErrorCode::Unavailable)).await?;
    system.start_service(ServiceName::Inventory).await?;
    until_inventory_answers(&system, None).await?;
    system.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_runs_as_its_binary_and_is_killed() -> anyhow::Result<()> {
    let mut system = System::builder()
        .process(ServiceName::Inventory)
        .start()
        .await?;
    until_inventory_answers(&system, None).await?;
    system.kill_service(ServiceName::Inventory).await?;
    until_inventory_answers(&system, Some(ErrorCode::Unavailable)).await?;
    system.stop().await
}
