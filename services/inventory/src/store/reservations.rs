//! Reading and settling reservations; shared by reserve, commit, release and the expiry sweep.

use bikestore_contracts::inventory::{
    Reservation, ReservationLine, ReservationStatus, StockChangeReason,
};
use bikestore_contracts::{ProductId, ReservationId, StoreId};
use bikestore_runtime::CommandTx;
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::InventoryError;
use crate::store::stock::{self, StockChange};

/// The stored name of a status.
pub fn status_name(status: ReservationStatus) -> &'static str {
    match status {
        ReservationStatus::Held => "held",
        ReservationStatus::Committed => "committed",
        ReservationStatus::Released => "released",
        ReservationStatus::Expired => "expired",
        ReservationStatus::Returned => "returned",
    }
}

fn status_from_name(name: &str) -> Result<ReservationStatus, InventoryError> {
    match name {
        "held" => Ok(ReservationStatus::Held),
        "committed" => Ok(ReservationStatus::Committed),
        "released" => Ok(ReservationStatus::Released),
        "expired" => Ok(ReservationStatus::Expired),
        "returned" => Ok(ReservationStatus::Returned),
        other => Err(InventoryError::conflict(format!(
            "reservation has an unknown stored status {other:?}"
        ))),
    }
}

/// A reservation with its lines, if it exists.
pub fn find(
    connection: &Connection,
    reservation_id: &ReservationId,
) -> Result<Option<Reservation>, InventoryError> {
    let header = connection
        .prepare_cached(
            "SELECT store_id, status, expires_at FROM reservations WHERE reservation_id = ?1",
        )?
        .query_row(params![reservation_id.0], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
            ))
        })
        .optional()?;
    let Some((store_id, status, expires_at_ms)) = header else {
        return Ok(None);
    };
    let mut statement = connection.prepare_cached(
        "SELECT product_id, quantity FROM reservation_lines WHERE reservation_id = ?1 ORDER BY product_id",
    )?;
    let lines = statement
        .query_map(params![reservation_id.0], |row| {
            Ok(ReservationLine {
                product_id: ProductId(row.get(0)?),
                quantity: row.get(1)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(Reservation {
        reservation_id: reservation_id.clone(),
        store_id: StoreId(store_id),
        lines,
        status: status_from_name(&status)?,
        expires_at_ms,
    }))
}

/// Moves a reservation to `outcome`, moving its stock: from held, committed units leave the
/// store and released or expired ones become available again; from committed, returned units
/// come back on hand.
pub fn settle(
    transaction: &CommandTx<'_>,
    reservation: &Reservation,
    outcome: ReservationStatus,
    low_stock_threshold: i64,
) -> Result<Reservation, InventoryError> {
    let reason = match outcome {
        ReservationStatus::Committed => StockChangeReason::Committed,
        ReservationStatus::Released => StockChangeReason::Released,
        ReservationStatus::Expired => StockChangeReason::Expired,
        ReservationStatus::Returned => StockChangeReason::Returned,
        ReservationStatus::Held => return Ok(reservation.clone()),
    };
    for line in &reservation.lines {
        let (on_hand_delta, reserved_delta) = match outcome {
            ReservationStatus::Committed => (-line.quantity, -line.quantity),
            ReservationStatus::Returned => (line.quantity, 0),
            _ => (0, -line.quantity),
        };
        stock::apply(
            transaction,
            StockChange {
                store_id: reservation.store_id,
                product_id: line.product_id,
                on_hand_delta,
                reserved_delta,
                reason,
                reservation_id: Some(reservation.reservation_id.clone()),
                note: None,
            },
            low_stock_threshold,
        )?;
    }
    transaction
        .connection()
        .prepare_cached(
            "UPDATE reservations SET status = ?2, updated_at = ?3 WHERE reservation_id = ?1",
        )?
        .execute(params![
            reservation.reservation_id.0,
            status_name(outcome),
            transaction.now_ms()
        ])?;
    Ok(Reservation {
        status: outcome,
        ..reservation.clone()
    })
}
