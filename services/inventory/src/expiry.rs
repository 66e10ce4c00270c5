//! Expiry of reservations nobody committed or released in time, so a saga that died cannot
//! hold stock for ever.

use std::sync::Arc;

use bikestore_contracts::ReservationId;
use bikestore_contracts::inventory::ReservationStatus;
use bikestore_runtime::Shutdown;
use rusqlite::params;
use tracing::{info, warn};

use crate::Inventory;
use crate::error::InventoryError;
use crate::store::reservations;

/// How many reservations one sweep expires at most, so a sweep never holds the writer long.
const SWEEP_BATCH: i64 = 100;

/// Sweeps for expired reservations every interval until shutdown.
pub async fn run(inventory: Arc<Inventory>, mut shutdown: Shutdown) {
    let interval = inventory.settings.expiry_sweep_interval;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = shutdown.wait() => return,
        }
        loop {
            match sweep(&inventory).await {
                Ok(expired) if expired.len() as i64 == SWEEP_BATCH => continue,
                Ok(expired) => {
                    if !expired.is_empty() {
                        info!(
                            count = expired.len(),
                            "expired reservations released their stock"
                        );
                    }
                    break;
                }
                Err(error) => {
                    warn!(error = %error, "reservation expiry sweep failed; will retry");
                    break;
                }
            }
        }
    }
}

/// Expires up to one batch of held reservations past their time; returns their IDs.
pub async fn sweep(inventory: &Inventory) -> Result<Vec<ReservationId>, InventoryError> {
    let threshold = inventory.settings.low_stock_threshold;
    inventory
        .db
        .transact(move |transaction| {
            let connection = transaction.connection();
            let due = connection
                .prepare_cached(
                    "SELECT reservation_id FROM reservations
                     WHERE status = 'held' AND expires_at <= ?1 ORDER BY expires_at LIMIT ?2",
                )?
                .query_map(params![transaction.now_ms(), SWEEP_BATCH], |row| {
                    Ok(ReservationId(row.get(0)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            for reservation_id in &due {
                if let Some(reservation) = reservations::find(connection, reservation_id)? {
                    reservations::settle(
                        transaction,
                        &reservation,
                        ReservationStatus::Expired,
                        threshold,
                    )?;
                }
            }
            Ok(due)
        })
        .await
}
