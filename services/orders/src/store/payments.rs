//! Reading and writing payments, and their ledger of provider operations.

use bikestore_contracts::orders::{CardSummary, Payment};
use bikestore_contracts::{Cents, OrderId, PaymentId};
use rusqlite::types::{FromSqlError, Type};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::domain::{PAYMENT_STATUSES, payment_status_name};
use crate::error::OrdersError;

/// The columns [`from_row`] reads.
pub const PAYMENT_COLUMNS: &str = "payment_id, order_id, status, authorized, captured, refunded,
     card_brand, card_last_four, card_expiry_month, card_expiry_year, provider_reference";

/// Reads a payment from a row of [`PAYMENT_COLUMNS`].
pub fn from_row(row: &Row<'_>) -> rusqlite::Result<Payment> {
    let status: String = row.get(2)?;
    let status = PAYMENT_STATUSES
        .into_iter()
        .find(|candidate| payment_status_name(*candidate) == status)
        .ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                2,
                Type::Text,
                Box::new(FromSqlError::Other(
                    format!("unknown payment status {status:?}").into(),
                )),
            )
        })?;
    Ok(Payment {
        payment_id: PaymentId(row.get(0)?),
        order_id: OrderId(row.get(1)?),
        status,
        authorized: Cents(row.get(3)?),
        captured: Cents(row.get(4)?),
        refunded: Cents(row.get(5)?),
        card: CardSummary {
            brand: row.get(6)?,
            last_four: row.get(7)?,
            expiry_month: row.get(8)?,
            expiry_year: row.get(9)?,
        },
        provider_reference: row.get(10)?,
    })
}

/// A payment that must exist.
pub fn get(connection: &Connection, payment_id: PaymentId) -> Result<Payment, OrdersError> {
    let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE payment_id = ?1");
    connection
        .prepare_cached(&sql)?
        .query_row(params![payment_id.0], from_row)
        .optional()?
        .ok_or_else(|| OrdersError::not_found("payment", payment_id))
}

/// Every payment of an order, oldest first.
pub fn for_order(connection: &Connection, order_id: OrderId) -> Result<Vec<Payment>, OrdersError> {
    let sql =
        format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE order_id = ?1 ORDER BY payment_id");
    let payments = connection
        .prepare_cached(&sql)?
        .query_map(params![order_id.0], from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(payments)
}

/// Inserts a new payment (authorized or declined) and returns it with its ID.
pub fn insert(
    connection: &Connection,
    mut payment: Payment,
    decline_reason: Option<&str>,
    at_ms: i64,
) -> Result<Payment, OrdersError> {
    connection
        .prepare_cached(
            "INSERT INTO payments (order_id, status, authorized, captured, refunded, card_brand,
                 card_last_four, card_expiry_month, card_expiry_year, provider_reference,
                 decline_reason, created_at, updated_at)
             VALUES (?1, ?2, ?3, 0, 0, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
        )?
        .execute(params![
            payment.order_id.0,
            payment_status_name(payment.status),
            payment.authorized.0,
            payment.card.brand,
            payment.card.last_four,
            payment.card.expiry_month,
            payment.card.expiry_year,
            payment.provider_reference,
            decline_reason,
            at_ms
        ])?;
    payment.payment_id = PaymentId(connection.last_insert_rowid());
    Ok(payment)
}

/// Stores a payment's new status and amounts.
pub fn update(connection: &Connection, payment: &Payment, at_ms: i64) -> Result<(), OrdersError> {
    connection
        .prepare_cached(
            "UPDATE payments SET status = ?2, captured = ?3, refunded = ?4, updated_at = ?5
             WHERE payment_id = ?1",
        )?
        .execute(params![
            payment.payment_id.0,
            payment_status_name(payment.status),
            payment.captured.0,
            payment.refunded.0,
            at_ms
        ])?;
    Ok(())
}

/// Appends a provider operation to the payment's ledger.
pub fn record_operation(
    connection: &Connection,
    payment_id: PaymentId,
    kind: &'static str,
    amount: Cents,
    provider_reference: &str,
    at_ms: i64,
) -> Result<(), OrdersError> {
    connection
        .prepare_cached(
            "INSERT INTO payment_operations (payment_id, kind, amount, provider_reference, at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            payment_id.0,
            kind,
            amount.0,
            provider_reference,
            at_ms
        ])?;
    Ok(())
}

/// Why the provider declined a payment, if it did.
pub fn decline_reason(
    connection: &Connection,
    payment_id: PaymentId,
) -> Result<Option<String>, OrdersError> {
    let reason = connection
        .prepare_cached("SELECT decline_reason FROM payments WHERE payment_id = ?1")?
        .query_row(params![payment_id.0], |row| row.get(0))
        .optional()?;
    Ok(reason.flatten())
}
