//! [`sell_one_at_the_console`]: the demo seller of store 1 sells one unit of something in stock
//! through the gateway, and the admin reads back the trace the saga keeps, for the tracing
//! tests.

use bikestore_contracts::inventory::{Page, StoreStock};
use bikestore_contracts::orders::Card;
use bikestore_contracts::sagas::{GetSaga, PlaceOrder, PlaceOrderLine, SagaState};
use bikestore_contracts::trace_context::TraceParent;
use bikestore_contracts::{CustomerId, StoreId};
use bikestore_harness::System;

/// The demo store the sale is made in.
const STORE_1: StoreId = StoreId(1);

/// Places a paid order for one unit as `sales1a` (the admin finds stock), checks that it
/// completed and returns the trace its saga record keeps.
pub async fn sell_one_at_the_console(system: &System) -> anyhow::Result<TraceParent> {
    let admin = system.console("admin").await?;
    let seller = system.console("sales1a").await?;
    let stock = admin
        .call(&StoreStock {
            store_id: STORE_1,
            page: Page::default(),
        })
        .await?;
    let level = stock
        .levels
        .iter()
        .find(|level| level.available >= 1)
        .ok_or_else(|| anyhow::anyhow!("store 1 has nothing in stock"))?;
    let started = seller
        .call(&PlaceOrder {
            customer_id: CustomerId(1),
            store_id: STORE_1,
            staff_id: seller.whoami().staff_id,
            lines: vec![PlaceOrderLine {
                product_id: level.product_id,
                quantity: 1,
                discount_percent: 0,
                list_price: None,
            }],
            card: Card {
                number: "4242424242424242".into(),
                expiry_month: 12,
                expiry_year: 2031,
                cvc: "123".into(),
                holder: "Trace".into(),
            },
            wait_ms: Some(20_000),
        })
        .await?;
    anyhow::ensure!(
        started.state == SagaState::Completed,
        "the order did not complete: {:?}",
        started.error
    );
    let saga = admin
        .call(&GetSaga {
            saga_id: started.saga_id.clone(),
        })
        .await?;
    saga.traceparent
        .as_deref()
        .and_then(TraceParent::parse)
        .ok_or_else(|| anyhow::anyhow!("the saga keeps no trace of the request that started it"))
}
