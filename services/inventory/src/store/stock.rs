//! Every change to a stock level goes through [`apply`], which keeps the invariants, records the
//! movement, and emits `stock_changed` (and `stock_low` on crossing the threshold) to the outbox
//! in the same transaction.

use bikestore_contracts::inventory::{StockChangeReason, StockChanged, StockLevel, StockLow};
use bikestore_contracts::{ProductId, ReservationId, StoreId};
use bikestore_runtime::CommandTx;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::error::InventoryError;

/// The columns [`level_from_row`] reads.
pub const LEVEL_COLUMNS: &str = "s.store_id, s.product_id, p.name, s.on_hand, s.reserved";

/// Reads a stock level from a row of [`LEVEL_COLUMNS`].
pub fn level_from_row(row: &Row<'_>) -> rusqlite::Result<StockLevel> {
    let on_hand: i64 = row.get(3)?;
    let reserved: i64 = row.get(4)?;
    Ok(StockLevel {
        store_id: StoreId(row.get(0)?),
        product_id: ProductId(row.get(1)?),
        product_name: row.get(2)?,
        on_hand,
        reserved,
        available: on_hand - reserved,
    })
}

/// A change to one stock level.
#[derive(Debug, Clone)]
pub struct StockChange {
    /// The store.
    pub store_id: StoreId,
    /// The product.
    pub product_id: ProductId,
    /// Units added to (or, negative, removed from) the store.
    pub on_hand_delta: i64,
    /// Units added to (or, negative, removed from) the reserved count.
    pub reserved_delta: i64,
    /// Why.
    pub reason: StockChangeReason,
    /// The reservation involved, if any.
    pub reservation_id: Option<ReservationId>,
    /// A note for the movement log, such as an adjustment's reason.
    pub note: Option<String>,
}

/// The current level, if the store has ever held the product.
pub fn current(
    connection: &Connection,
    store_id: StoreId,
    product_id: ProductId,
) -> Result<Option<StockLevel>, InventoryError> {
    let sql = format!(
        "SELECT {LEVEL_COLUMNS} FROM stocks s JOIN products p ON p.product_id = s.product_id
         WHERE s.store_id = ?1 AND s.product_id = ?2"
    );
    let level = connection
        .prepare_cached(&sql)?
        .query_row(params![store_id.0, product_id.0], level_from_row)
        .optional()?;
    Ok(level)
}

/// Applies `change`, refusing it with `insufficient_stock` if it would leave fewer units on
/// hand than zero or than are reserved.
pub fn apply(
    transaction: &CommandTx<'_>,
    change: StockChange,
    low_stock_threshold: i64,
) -> Result<StockLevel, InventoryError> {
    let connection = transaction.connection();
    let before = match current(connection, change.store_id, change.product_id)? {
        Some(level) => level,
        None => StockLevel {
            store_id: change.store_id,
            product_id: change.product_id,
            product_name: product_name(connection, change.product_id)?,
            on_hand: 0,
            reserved: 0,
            available: 0,
        },
    };
    let on_hand = before.on_hand + change.on_hand_delta;
    let reserved = before.reserved + change.reserved_delta;
    if on_hand < 0 || reserved > on_hand {
        // A reservation asks for reserved units; an adjustment or commit removes on-hand ones.
        let requested = if change.reserved_delta > 0 {
            change.reserved_delta
        } else {
            -change.on_hand_delta
        };
        return Err(InventoryError::InsufficientStock {
            product_id: change.product_id,
            requested,
            available: before.available,
        });
    }
    connection
        .prepare_cached(
            "INSERT INTO stocks (store_id, product_id, on_hand, reserved) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (store_id, product_id) DO UPDATE SET on_hand = ?3, reserved = ?4",
        )?
        .execute(params![
            change.store_id.0,
            change.product_id.0,
            on_hand,
            reserved
        ])?;
    connection
        .prepare_cached(
            "INSERT INTO stock_movements
                 (store_id, product_id, on_hand_delta, reserved_delta, reason, note, reservation_id, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            change.store_id.0,
            change.product_id.0,
            change.on_hand_delta,
            change.reserved_delta,
            reason_name(change.reason),
            change.note,
            change.reservation_id.as_ref().map(|id| id.0.as_str()),
            transaction.now_ms(),
        ])?;
    let after = StockLevel {
        on_hand,
        reserved,
        available: on_hand - reserved,
        ..before.clone()
    };
    transaction.emit(&StockChanged {
        level: after.clone(),
        reason: change.reason,
        reservation_id: change.reservation_id,
    })?;
    if before.available > low_stock_threshold && after.available <= low_stock_threshold {
        transaction.emit(&StockLow {
            level: after.clone(),
            threshold: low_stock_threshold,
        })?;
    }
    Ok(after)
}

fn product_name(connection: &Connection, product_id: ProductId) -> Result<String, InventoryError> {
    connection
        .prepare_cached("SELECT name FROM products WHERE product_id = ?1")?
        .query_row(params![product_id.0], |row| row.get(0))
        .optional()?
        .ok_or_else(|| InventoryError::not_found("product", product_id))
}

fn reason_name(reason: StockChangeReason) -> &'static str {
    match reason {
        StockChangeReason::Received => "received",
        StockChangeReason::Adjusted => "adjusted",
        StockChangeReason::Reserved => "reserved",
        StockChangeReason::Committed => "committed",
        StockChangeReason::Released => "released",
        StockChangeReason::Expired => "expired",
        StockChangeReason::Returned => "returned",
    }
}
