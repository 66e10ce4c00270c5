//! `refund_payment`: gives captured money back, in one or several refunds.

use bikestore_contracts::Cents;
use bikestore_contracts::orders::{
    Payment, PaymentEvent, PaymentRefunded, PaymentStatus, RefundPayment,
};
use bikestore_runtime::{CommandTx, Ctx};
use tracing::{info, instrument};

use crate::Orders;
use crate::domain;
use crate::error::OrdersError;
use crate::payments::{self, Receipt, RefundRequest};
use crate::store::payments as stored;

/// Checks the refunds stay within what was captured, asks the provider, then records the
/// refund with its event; the payment is `refunded` from the first refund on.
#[instrument(skip_all, fields(payment_id = %request.payment_id, amount = %request.amount))]
pub async fn handle(ctx: Ctx<Orders>, request: RefundPayment) -> Result<Payment, OrdersError> {
    if let Some(recorded) = ctx.db.recorded::<Payment, OrdersError>(&ctx.meta).await? {
        return recorded;
    }
    match refund(&ctx, request).await {
        Err(error) => ctx.db.recorded_or(&ctx.meta, error).await,
        done => done,
    }
}

async fn refund(ctx: &Ctx<Orders>, request: RefundPayment) -> Result<Payment, OrdersError> {
    let amount = domain::amount(request.amount)?;
    let payment_id = request.payment_id;
    let payment = ctx
        .db
        .query_by_key(move |connection| stored::get(connection, payment_id))
        .await?;
    domain::check_refund(&payment, amount)?;
    let receipt = ctx
        .provider
        .refund(RefundRequest {
            idempotency_key: &payments::refund_key(payment_id, &ctx.meta),
            reference: &payment.provider_reference,
            amount,
        })
        .await?;
    let payment = ctx
        .db
        .command(&ctx.meta, move |transaction| {
            let payment = stored::get(transaction.connection(), payment_id)?;
            domain::check_refund(&payment, amount)?;
            record_refund(transaction, payment, amount, &receipt)
        })
        .await?;
    info!(refunded = %payment.refunded, "payment refunded");
    Ok(payment)
}

/// Records the provider's refund of `amount` of `payment` (checked refundable under the
/// writer) with its event; the payment is `refunded` from its first refund on. Shared with
/// `cancel_order_payments`.
pub(super) fn record_refund(
    transaction: &CommandTx<'_>,
    mut payment: Payment,
    amount: Cents,
    receipt: &Receipt,
) -> Result<Payment, OrdersError> {
    let connection = transaction.connection();
    let now = transaction.now_ms();
    payment.status = PaymentStatus::Refunded;
    payment.refunded = Cents(payment.refunded.0 + amount.0);
    stored::update(connection, &payment, now)?;
    stored::record_operation(
        connection,
        payment.payment_id,
        "refund",
        amount,
        &receipt.reference,
        now,
    )?;
    transaction.emit(&PaymentRefunded(PaymentEvent {
        payment_id: payment.payment_id,
        order_id: payment.order_id,
        amount,
        status: payment.status,
        reason: None,
    }))?;
    Ok(payment)
}
