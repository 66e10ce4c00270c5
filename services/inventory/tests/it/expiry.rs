//! Reservations nobody settles expire and give their stock back.

use std::time::Duration;

use bikestore_contracts::inventory::{
    CommitReservation, GetProduct, ReleaseReservation, ReservationLine, ReservationStatus,
    ReserveStock,
};
use bikestore_contracts::{ErrorCode, ReservationId, ServiceName};
use bikestore_testkit::eventually;

use crate::support::{fixture, without_service};

#[tokio::test]
async fn an_expired_reservation_gives_its_stock_back_and_cannot_be_committed() -> anyhow::Result<()>
{
    let mut system = without_service().await?;
    system.configs_mut().inventory.reservation_ttl = Duration::from_millis(200);
    system.start_service(ServiceName::Inventory).await?;
    let fixture = fixture(&system, 6).await?;
    let reservation_id = ReservationId("order-abandoned".into());
    system
        .caller()
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
            let detail = system
                .caller()
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
    let commit = system
        .caller()
        .call(&CommitReservation {
            reservation_id: reservation_id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(commit.code, ErrorCode::Conflict);
    assert!(commit.message.contains("expired"), "{}", commit.message);
    let release = system
        .caller()
        .call(&ReleaseReservation { reservation_id })
        .await?;
    assert_eq!(release.status, ReservationStatus::Expired);
    system.stop().await
}
