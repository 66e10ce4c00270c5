//! A restarted nats-server is survived: the service reconnects by itself, and no committed
//! change or event is lost.

use std::time::Duration;

use bikestore_contracts::ServiceName;
use bikestore_contracts::inventory::{GetProduct, ReceiveStock, StockChanged};
use bikestore_runtime::call::CallOptions;
use bikestore_testkit::eventually;

use bikestore_testkit::count_on_subject;

use crate::support::{READY, fixture, with_service};

#[tokio::test]
async fn requests_flowing_across_a_nats_restart_all_land_once() -> anyhow::Result<()> {
    let mut system = with_service().await?;
    let fixture = fixture(&system, 0).await?;
    let receive = ReceiveStock {
        store_id: fixture.store_id,
        product_id: fixture.product_id,
        quantity: 1,
    };
    const DELIVERIES: usize = 30;
    for index in 0..DELIVERIES {
        if index == DELIVERIES / 2 {
            system.nats_mut().restart().await?;
        }
        // A caller retries under the same key until it gets an answer: the key makes the
        // retry of a command that did commit harmless.
        let options = CallOptions {
            idempotency_key: Some(format!("delivery-{index}")),
            timeout: Some(Duration::from_millis(500)),
            ..CallOptions::default()
        };
        eventually("the delivery to be answered", READY, async || {
            system.caller().call_with(&receive, &options).await.ok()
        })
        .await?;
    }
    let detail = system
        .caller()
        .call(&GetProduct {
            product_id: fixture.product_id,
        })
        .await?;
    assert_eq!(
        detail.stock.iter().map(|level| level.on_hand).sum::<i64>(),
        DELIVERIES as i64
    );

    let stream = system.subjects().event_stream(ServiceName::Inventory);
    let subject = system.subjects().event_of_any_store::<StockChanged>();
    let published = eventually("every stock_changed event", READY, async || {
        let count = count_on_subject(system.client(), &stream, &subject)
            .await
            .ok()?;
        (count >= DELIVERIES as u64).then_some(count)
    })
    .await?;
    assert_eq!(published, DELIVERIES as u64);
    system.stop().await
}
