//! `return_reservation`: puts a reservation's stock back, whatever state it is in.

use bikestore_contracts::inventory::{ReservationReturned, ReservationStatus, ReturnReservation};
use bikestore_runtime::Ctx;

use crate::Inventory;
use crate::domain;
use crate::error::InventoryError;
use crate::store::reservations;

/// Releases a held reservation and returns a committed one's units to the store; one already
/// released, expired or returned is answered unchanged, and a reservation that never existed
/// is answered with `None`: there is nothing to return. Undoing or cancelling an order can
/// therefore always call this, however far the order got.
pub async fn handle(
    ctx: Ctx<Inventory>,
    request: ReturnReservation,
) -> Result<ReservationReturned, InventoryError> {
    let reservation_id = domain::reservation_id(&request.reservation_id)?;
    let threshold = ctx.settings.low_stock_threshold;
    ctx.db
        .command(&ctx.meta, move |transaction| {
            let Some(reservation) = reservations::find(transaction.connection(), &reservation_id)?
            else {
                return Ok(ReservationReturned { reservation: None });
            };
            let outcome = match reservation.status {
                ReservationStatus::Held => ReservationStatus::Released,
                ReservationStatus::Committed => ReservationStatus::Returned,
                ReservationStatus::Released
                | ReservationStatus::Expired
                | ReservationStatus::Returned => {
                    return Ok(ReservationReturned {
                        reservation: Some(reservation),
                    });
                }
            };
            let settled = reservations::settle(transaction, &reservation, outcome, threshold)?;
            Ok(ReservationReturned {
                reservation: Some(settled),
            })
        })
        .await
}
