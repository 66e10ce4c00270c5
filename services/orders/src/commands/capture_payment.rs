//! `capture_payment`: takes held money, once, at most what was authorized.

use bikestore_contracts::orders::{
    CapturePayment, Payment, PaymentCaptured, PaymentEvent, PaymentStatus,
};
use bikestore_runtime::{Ctx, Prior};
use tracing::{info, instrument};

use crate::Orders;
use crate::domain;
use crate::error::OrdersError;
use crate::payments::{self, CaptureRequest};
use crate::store::payments as stored;

/// Checks the payment allows the capture, asks the provider, then records the capture with
/// its event; the rule is checked again under the writer, so two captures never both land.
#[instrument(skip_all, fields(payment_id = %request.payment_id, amount = %request.amount))]
pub async fn handle(ctx: Ctx<Orders>, request: CapturePayment) -> Result<Payment, OrdersError> {
    let payment_id = request.payment_id;
    let payment = match ctx
        .db
        .recorded_else(&ctx.meta, move |connection| {
            Ok(stored::get(connection, payment_id))
        })
        .await?
    {
        Prior::Recorded(recorded) => return recorded,
        Prior::Read(payment) => payment,
    };
    match capture(&ctx, request, payment).await {
        Err(error) => ctx.db.recorded_or(&ctx.meta, error).await,
        done => done,
    }
}

/// Captures `payment` (as read with the repeat check, or why it could not be).
async fn capture(
    ctx: &Ctx<Orders>,
    request: CapturePayment,
    payment: Result<Payment, OrdersError>,
) -> Result<Payment, OrdersError> {
    let amount = domain::amount(request.amount)?;
    let payment_id = request.payment_id;
    let payment = payment?;
    domain::check_capture(&payment, amount)?;
    let receipt = ctx
        .provider
        .capture(CaptureRequest {
            idempotency_key: &payments::capture_key(payment_id, amount),
            reference: &payment.provider_reference,
            amount,
        })
        .await?;
    let payment = ctx
        .db
        .command(&ctx.meta, move |transaction| {
            let connection = transaction.connection();
            let now = transaction.now_ms();
            let mut payment = stored::get(connection, payment_id)?;
            domain::check_capture(&payment, amount)?;
            payment.status = PaymentStatus::Captured;
            payment.captured = amount;
            stored::update(connection, &payment, now)?;
            stored::record_operation(
                connection,
                payment_id,
                "capture",
                amount,
                &receipt.reference,
                now,
            )?;
            transaction.emit(&PaymentCaptured(PaymentEvent {
                payment_id,
                order_id: payment.order_id,
                amount,
                status: payment.status,
                reason: None,
            }))?;
            Ok::<_, OrdersError>(payment)
        })
        .await?;
    info!("payment captured");
    Ok(payment)
}
