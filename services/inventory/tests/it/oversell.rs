//! No oversell: concurrent reservations never take more than is on hand.

use bikestore_contracts::inventory::{GetProduct, ReservationLine, ReserveStock};
use bikestore_contracts::{ErrorCode, ReservationId};

use crate::support::{fixture, with_service};

#[tokio::test]
async fn sixty_four_concurrent_reservations_of_one_against_ten_exactly_ten_succeed()
-> anyhow::Result<()> {
    let system = with_service().await?;
    let fixture = fixture(&system, 10).await?;
    let mut attempts = tokio::task::JoinSet::new();
    for index in 0..64 {
        let caller = system.caller().clone();
        attempts.spawn(async move {
            caller
                .call(&ReserveStock {
                    reservation_id: ReservationId(format!("order-{index}")),
                    store_id: fixture.store_id,
                    lines: vec![ReservationLine {
                        product_id: fixture.product_id,
                        quantity: 1,
                    }],
                })
                .await
        });
    }
    let (mut held, mut refused) = (0, 0);
    while let Some(outcome) = attempts.join_next().await {
        match outcome? {
            Ok(_) => held += 1,
            Err(error) => {
                assert_eq!(error.code, ErrorCode::InsufficientStock, "{error}");
                assert_eq!(
                    error.details.get("available").map(String::as_str),
                    Some("0")
                );
                refused += 1;
            }
        }
    }
    assert_eq!((held, refused), (10, 54));
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
    assert_eq!(
        (level.on_hand, level.reserved, level.available),
        (10, 10, 0)
    );
    system.stop().await
}

#[tokio::test]
async fn a_reservation_short_on_one_line_holds_nothing() -> anyhow::Result<()> {
    let system = with_service().await?;
    let plenty = fixture(&system, 50).await?;
    let scarce = fixture(&system, 0).await?;
    system
        .caller()
        .call(&bikestore_contracts::inventory::ReceiveStock {
            store_id: plenty.store_id,
            product_id: scarce.product_id,
            quantity: 1,
        })
        .await?;
    let error = system
        .caller()
        .call(&ReserveStock {
            reservation_id: ReservationId("order-two-lines".into()),
            store_id: plenty.store_id,
            lines: vec![
                ReservationLine {
                    product_id: plenty.product_id,
                    quantity: 5,
                },
                ReservationLine {
                    product_id: scarce.product_id,
                    quantity: 2,
                },
            ],
        })
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InsufficientStock);
    assert_eq!(
        error.details.get("product_id"),
        Some(&scarce.product_id.to_string())
    );
    let detail = system
        .caller()
        .call(&GetProduct {
            product_id: plenty.product_id,
        })
        .await?;
    let level = detail
        .stock
        .iter()
        .find(|level| level.store_id == plenty.store_id)
        .unwrap();
    assert_eq!(level.reserved, 0, "the first line's hold was undone");
    system.stop().await
}
