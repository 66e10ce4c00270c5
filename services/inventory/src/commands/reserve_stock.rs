//! `reserve_stock`: holds stock for an order or a transfer, every line or none.

use bikestore_contracts::inventory::{
    Reservation, ReservationStatus, ReserveStock, StockChangeReason,
};
use bikestore_runtime::Ctx;
use rusqlite::params;
use tracing::info;

use crate::Inventory;
use crate::domain;
use crate::error::InventoryError;
use crate::store::products::{STORE_EXISTS, exists};
use crate::store::reservations;
use crate::store::stock::{self, StockChange};

/// Holds every line or, if any line is short, none: the first short line is reported and the
/// savepoint undoes the lines already held. Reserving again under the same reservation ID with
/// the same lines returns the existing reservation, so a retried saga step is harmless even
/// without an idempotency key.
pub async fn handle(
    ctx: Ctx<Inventory>,
    request: ReserveStock,
) -> Result<Reservation, InventoryError> {
    let reservation_id = domain::reservation_id(&request.reservation_id)?;
    let mut lines = domain::reservation_lines(&request.lines)?;
    lines.sort_by_key(|line| line.product_id);
    let store_id = request.store_id;
    let threshold = ctx.settings.low_stock_threshold;
    let ttl_ms = ctx.settings.reservation_ttl.as_millis() as i64;
    let reservation = ctx
        .db
        .command(&ctx.meta, move |transaction| {
            let connection = transaction.connection();
            if let Some(existing) = reservations::find(connection, &reservation_id)? {
                if existing.store_id == store_id && existing.lines == lines {
                    return Ok(existing);
                }
                return Err(InventoryError::conflict(format!(
                    "reservation {reservation_id} already exists with other lines or another store"
                )));
            }
            if !exists(connection, STORE_EXISTS, store_id.0)? {
                return Err(InventoryError::not_found("store", store_id));
            }
            let now = transaction.now_ms();
            let expires_at_ms = now.saturating_add(ttl_ms);
            connection
                .prepare_cached(
                    "INSERT INTO reservations (reservation_id, store_id, status, expires_at, created_at, updated_at)
                     VALUES (?1, ?2, 'held', ?3, ?4, ?4)",
                )?
                .execute(params![reservation_id.0, store_id.0, expires_at_ms, now])?;
            for line in &lines {
                stock::apply(
                    transaction,
                    StockChange {
                        store_id,
                        product_id: line.product_id,
                        on_hand_delta: 0,
                        reserved_delta: line.quantity,
                        reason: StockChangeReason::Reserved,
                        reservation_id: Some(reservation_id.clone()),
                        note: None,
                    },
                    threshold,
                )?;
                connection
                    .prepare_cached(
                        "INSERT INTO reservation_lines (reservation_id, product_id, quantity) VALUES (?1, ?2, ?3)",
                    )?
                    .execute(params![reservation_id.0, line.product_id.0, line.quantity])?;
            }
            Ok(Reservation {
                reservation_id,
                store_id,
                lines,
                status: ReservationStatus::Held,
                expires_at_ms,
            })
        })
        .await?;
    info!(
        reservation_id = %reservation.reservation_id,
        store_id = %reservation.store_id,
        lines = reservation.lines.len(),
        "stock reserved"
    );
    Ok(reservation)
}
