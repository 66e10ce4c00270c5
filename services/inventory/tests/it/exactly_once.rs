//! Exactly once: a command repeated under one idempotency key applies once.

use bikestore_contracts::inventory::{
    CreateBrand, GetProduct, ReceiveStock, ReservationLine, ReserveStock,
};
use bikestore_contracts::{ErrorCode, ReservationId};
use bikestore_runtime::call::CallOptions;

use crate::support::{fixture, with_service};

#[tokio::test]
async fn one_reserve_sent_three_times_in_a_row_and_concurrently_reserves_once() -> anyhow::Result<()>
{
    let system = with_service().await?;
    let fixture = fixture(&system, 10).await?;
    let request = ReserveStock {
        reservation_id: ReservationId("order-once".into()),
        store_id: fixture.store_id,
        lines: vec![ReservationLine {
            product_id: fixture.product_id,
            quantity: 4,
        }],
    };
    let options = CallOptions::idempotent("saga-1:reserve_stock");
    let mut replies = Vec::new();
    for _ in 0..3 {
        replies.push(system.caller().call_with(&request, &options).await?);
    }
    let mut concurrent = tokio::task::JoinSet::new();
    for _ in 0..3 {
        let (caller, request, options) =
            (system.caller().clone(), request.clone(), options.clone());
        concurrent.spawn(async move { caller.call_with(&request, &options).await });
    }
    while let Some(reply) = concurrent.join_next().await {
        replies.push(reply??);
    }
    assert!(
        replies.windows(2).all(|pair| pair[0] == pair[1]),
        "every reply is the recorded one"
    );
    let detail = system
        .caller()
        .call(&GetProduct {
            product_id: fixture.product_id,
        })
        .await?;
    let level = detail
        .stock
        .iter()
        .find(|level| level.store_id == fixture.store_id)
        .unwrap();
    assert_eq!(level.reserved, 4);
    system.stop().await
}

#[tokio::test]
async fn concurrent_receives_under_one_key_add_stock_once() -> anyhow::Result<()> {
    let system = with_service().await?;
    let fixture = fixture(&system, 0).await?;
    let request = ReceiveStock {
        store_id: fixture.store_id,
        product_id: fixture.product_id,
        quantity: 5,
    };
    let options = CallOptions::idempotent("delivery-77");
    let mut concurrent = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (caller, request, options) =
            (system.caller().clone(), request.clone(), options.clone());
        concurrent.spawn(async move { caller.call_with(&request, &options).await });
    }
    while let Some(reply) = concurrent.join_next().await {
        assert_eq!(reply??.level.on_hand, 5);
    }
    system.stop().await
}

#[tokio::test]
async fn a_refusal_is_recorded_and_replayed_under_its_key() -> anyhow::Result<()> {
    let system = with_service().await?;
    system
        .caller()
        .call(&CreateBrand {
            name: "Haro".into(),
        })
        .await?;
    let options = CallOptions::idempotent("brand-haro-again");
    let first = system
        .caller()
        .call_with(
            &CreateBrand {
                name: "Haro".into(),
            },
            &options,
        )
        .await
        .unwrap_err();
    let second = system
        .caller()
        .call_with(
            &CreateBrand {
                name: "Haro".into(),
            },
            &options,
        )
        .await
        .unwrap_err();
    assert_eq!(first.code, ErrorCode::Conflict);
    assert_eq!(first, second);
    system.stop().await
}
