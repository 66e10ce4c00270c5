//! `release_reservation`: gives reserved units back.

use bikestore_contracts::inventory::{ReleaseReservation, Reservation, ReservationStatus};
use bikestore_runtime::Ctx;
use tracing::info;

use crate::Inventory;
use crate::domain;
use crate::error::InventoryError;
use crate::store::reservations;

/// Releases a held reservation. Releasing one already released or expired answers with it
/// (or returned) answers with it unchanged, so a compensation can always be repeated; a
/// committed one is a conflict.
pub async fn handle(
    ctx: Ctx<Inventory>,
    request: ReleaseReservation,
) -> Result<Reservation, InventoryError> {
    let reservation_id = domain::reservation_id(&request.reservation_id)?;
    let threshold = ctx.settings.low_stock_threshold;
    let reservation = ctx
        .db
        .command(&ctx.meta, move |transaction| {
            let reservation = reservations::find(transaction.connection(), &reservation_id)?
                .ok_or_else(|| InventoryError::not_found("reservation", &reservation_id))?;
            match reservation.status {
                ReservationStatus::Held => reservations::settle(
                    transaction,
                    &reservation,
                    ReservationStatus::Released,
                    threshold,
                ),
                ReservationStatus::Released
                | ReservationStatus::Expired
                | ReservationStatus::Returned => Ok(reservation),
                ReservationStatus::Committed => Err(InventoryError::conflict(format!(
                    "reservation {reservation_id} is committed; its stock has left the store"
                ))),
            }
        })
        .await?;
    info!(
        reservation_id = %reservation.reservation_id,
        store_id = %reservation.store_id,
        lines = reservation.lines.len(),
        "reservation released; its stock is back on sale"
    );
    Ok(reservation)
}
