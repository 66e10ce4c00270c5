//! `commit_reservation`: the reserved units leave the store for good.

use bikestore_contracts::inventory::{CommitReservation, Reservation, ReservationStatus};
use bikestore_runtime::Ctx;
use tracing::info;

use crate::Inventory;
use crate::domain;
use crate::error::InventoryError;
use crate::store::reservations;

/// Commits a held reservation. Committing a committed one answers with it unchanged; one that
/// was released or has expired is a conflict, since its stock may already be sold again.
pub async fn handle(
    ctx: Ctx<Inventory>,
    request: CommitReservation,
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
                    ReservationStatus::Committed,
                    threshold,
                ),
                ReservationStatus::Committed => Ok(reservation),
                other => Err(InventoryError::conflict(format!(
                    "reservation {reservation_id} cannot be committed: it is {}",
                    reservations::status_name(other)
                ))),
            }
        })
        .await?;
    info!(
        reservation_id = %reservation.reservation_id,
        store_id = %reservation.store_id,
        lines = reservation.lines.len(),
        "reservation committed; its stock left the store"
    );
    Ok(reservation)
}
