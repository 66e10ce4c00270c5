//! SIGTERM while requests flow: every request taken is answered, none hangs, and every
//! committed change has its event published before the process exits.

use std::time::Duration;

use bikestore_contracts::inventory::{ReceiveStock, StockChanged};
use bikestore_contracts::{ErrorCode, ServiceName};
use bikestore_runtime::call::CallOptions;
use bikestore_testkit::{eventually, wait_for_service};

use bikestore_testkit::count_on_subject;

use crate::support::{READY, fixture, without_service};

#[tokio::test]
async fn sigterm_finishes_in_flight_requests_and_flushes_the_outbox() -> anyhow::Result<()> {
    let system = without_service().await?;
    let mut process = system.spawn_process(ServiceName::Inventory, &[])?;
    wait_for_service(system.client(), ServiceName::Inventory.as_str(), READY).await?;
    let fixture = fixture(&system, 0).await?;
    let (answered_sender, mut answered) = tokio::sync::mpsc::channel(256);
    let mut requests = tokio::task::JoinSet::new();
    for index in 0..200 {
        let (caller, answered_sender) = (system.caller().clone(), answered_sender.clone());
        requests.spawn(async move {
            let request = ReceiveStock {
                store_id: fixture.store_id,
                product_id: fixture.product_id,
                quantity: 1,
            };
            let options = CallOptions {
                idempotency_key: Some(format!("delivery-{index}")),
                timeout: Some(Duration::from_secs(10)),
                ..CallOptions::default()
            };
            let outcome = caller.call_with(&request, &options).await;
            let _ = answered_sender.send(()).await;
            outcome
        });
    }
    for _ in 0..20 {
        answered.recv().await;
    }
    let pid = process
        .pid()
        .ok_or_else(|| anyhow::anyhow!("the process is gone"))?;
    let signalled = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status()?;
    assert!(signalled.success());
    let (mut received, mut refused) = (0_u64, 0_u64);
    while let Some(outcome) = requests.join_next().await {
        match outcome? {
            Ok(_) => received += 1,
            Err(error) => {
                assert_eq!(
                    error.code,
                    ErrorCode::Unavailable,
                    "a request taken must be answered: {error}"
                );
                refused += 1;
            }
        }
    }
    assert_eq!(received + refused, 200);
    assert!(received >= 20);
    let status = tokio::time::timeout(READY, process.wait()).await??;
    assert!(status.success(), "a graceful stop exits 0: {status:?}");

    let stream = system.subjects().event_stream(ServiceName::Inventory);
    let subject = system.subjects().event_of_any_store::<StockChanged>();
    let published = eventually("the events of every answered request", READY, async || {
        let count = count_on_subject(system.client(), &stream, &subject)
            .await
            .ok()?;
        (count >= received).then_some(count)
    })
    .await?;
    assert_eq!(
        published, received,
        "the outbox was flushed before exit, once per change"
    );
    Ok(())
}
