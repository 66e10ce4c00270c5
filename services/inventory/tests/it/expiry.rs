//! Reservations nobody settles expire and give their stock back.

use std::time::Duration;

use bikestore_contracts::inventory::{
    CommitReservation, GetProduct, ReleaseReservation, ReservationLine, ReservationStatus,
    ReserveStock,
};
use bikestore_contracts::{ErrorCode, ReservationId};
use bikestore_testkit::eventually;

use crate::support::Stack;

#[tokio::test]
async fn an_expired_reservation_gives_its_stock_back_and_cannot_be_committed() -> anyhow::Result<()>
{
    let stack = Stack::new().await?;
    let mut config = stack.config();
    config.reservation_ttl = Duration::from_millis(200);
    let service = stack.start_in_process(config).await?;
    let fixture = stack.fixture(6).await?;
    let reservation_id = ReservationId("order-abandoned".into());
    stack
        .caller
        .call(&ReserveStock {
            reservation_id: reservation_id.clone(),
            store_id: fixture.store_id,
            lines: vec![ReservationLine {
                product_id: fixture.product_id,
                quantity: 6,
            }],
        })
        .await?;
    // Nothing announces an expiry to a caller, so the level is polled with a deadline.
    eventually(
        "the reservation to expire",
        Duration::from_secs(10),
        async || {
            let detail = stack
                .caller
                .call(&GetProduct {
                    product_id: fixture.product_id,
                })
                .await
                .ok()?;
            let level = detail
                .stock
                .into_iter()
                .find(|level| level.store_id == fixture.store_id)?;
            (level.reserved == 0).then_some(level)
        },
    )
    .await
    .map(|level| assert_eq!(level.available, 6))?;
    let commit = stack
        .caller
        .call(&CommitReservation {
            reservation_id: reservation_id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(commit.code, ErrorCode::Conflict);
    assert!(commit.message.contains("expired"), "{}", commit.message);
    let release = stack
        .caller
        .call(&ReleaseReservation { reservation_id })
        .await?;
    assert_eq!(release.status, ReservationStatus::Expired);
    service.stop().await
}
