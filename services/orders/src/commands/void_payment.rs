//! `void_payment`: drops an authorization that was not captured.

use bikestore_contracts::orders::{
    Payment, PaymentEvent, PaymentStatus, PaymentVoided, VoidPayment,
};
use bikestore_runtime::{CommandTx, Ctx};
use tracing::{info, instrument};

use crate::Orders;
use crate::domain;
use crate::error::OrdersError;
use crate::payments::{self, Receipt, VoidRequest};
use crate::store::payments as stored;

/// Checks the payment is authorized and uncaptured, asks the provider to drop the hold, then
/// records the void with its event.
#[instrument(skip_all, fields(payment_id = %request.payment_id))]
pub async fn handle(ctx: Ctx<Orders>, request: VoidPayment) -> Result<Payment, OrdersError> {
    if let Some(recorded) = ctx.db.recorded::<Payment, OrdersError>(&ctx.meta).await? {
        return recorded;
    }
    match void(&ctx, request).await {
        Err(error) => ctx.db.recorded_or(&ctx.meta, error).await,
        done => done,
    }
}

async fn void(ctx: &Ctx<Orders>, request: VoidPayment) -> Result<Payment, OrdersError> {
    let payment_id = request.payment_id;
    let payment = ctx
        .db
        .query_by_key(move |connection| stored::get(connection, payment_id))
        .await?;
    domain::check_void(&payment)?;
    let receipt = ctx
        .provider
        .void(VoidRequest {
            idempotency_key: &payments::void_key(payment_id),
            reference: &payment.provider_reference,
        })
        .await?;
    let payment = ctx
        .db
        .command(&ctx.meta, move |transaction| {
            let payment = stored::get(transaction.connection(), payment_id)?;
            domain::check_void(&payment)?;
            record_void(transaction, payment, &receipt)
        })
        .await?;
    info!("payment voided");
    Ok(payment)
}

/// Records the provider's void of `payment` (checked voidable under the writer) with its
/// event. Shared with `cancel_order_payments`.
pub(super) fn record_void(
    transaction: &CommandTx<'_>,
    mut payment: Payment,
    receipt: &Receipt,
) -> Result<Payment, OrdersError> {
    let connection = transaction.connection();
    let now = transaction.now_ms();
    payment.status = PaymentStatus::Voided;
    stored::update(connection, &payment, now)?;
    stored::record_operation(
        connection,
        payment.payment_id,
        "void",
        payment.authorized,
        &receipt.reference,
        now,
    )?;
    transaction.emit(&PaymentVoided(PaymentEvent {
        payment_id: payment.payment_id,
        order_id: payment.order_id,
        amount: payment.authorized,
        status: payment.status,
        reason: None,
    }))?;
    Ok(payment)
}
