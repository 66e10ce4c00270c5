//! `authorize_payment`: holds money on a card for an order, or records the decline.

use bikestore_contracts::orders::{
    AuthorizePayment, CardSummary, OrderStatus, Payment, PaymentAuthorized, PaymentDeclined,
    PaymentEvent, PaymentStatus,
};
use bikestore_contracts::{Cents, OrderId, PaymentId};
use bikestore_runtime::{Ctx, Prior, now_ms};
use tracing::{info, instrument};

use crate::Orders;
use crate::domain;
use crate::error::OrdersError;
use crate::payments::{self, Authorization, AuthorizeRequest, PaymentMethod, card};
use crate::store::{orders, payments as stored};

/// Checks the amount and card (only brand, last four and expiry go further than this
/// function), then authorizes as [`authorize`] does. A repeat under the same key gets the
/// recorded payment (and so the same decline) without calling the provider again.
#[instrument(skip_all, fields(order_id = %request.order_id, amount = %request.amount))]
pub async fn handle(ctx: Ctx<Orders>, request: AuthorizePayment) -> Result<Payment, OrdersError> {
    let order_status = match recorded_else_order_status(&ctx, request.order_id).await? {
        Prior::Recorded(recorded) => return refuse_if_declined(&ctx, recorded?).await,
        Prior::Read(order_status) => order_status,
    };
    let amount = domain::amount(request.amount)?;
    let card_summary = card::check(&request.card, now_ms())?;
    let method = PaymentMethod::Card(&request.card);
    authorize(
        &ctx,
        request.order_id,
        order_status?,
        amount,
        method,
        card_summary,
    )
    .await
}

/// The payment recorded for a repeat of this request, or else the order's status (or why it
/// has none), in one read.
pub(super) async fn recorded_else_order_status(
    ctx: &Ctx<Orders>,
    order_id: OrderId,
) -> Result<Prior<Result<Payment, OrdersError>, Result<OrderStatus, OrdersError>>, OrdersError> {
    ctx.db
        .recorded_else(&ctx.meta, move |connection| {
            Ok(orders::status(connection, order_id))
        })
        .await
}

/// Checks the order takes payments (its status as the caller read it), then asks the provider
/// to hold `amount` on `method` (checked by the caller, and kept only as `card_summary`).
/// Either answer is stored with its event under the idempotency key; a decline is then
/// answered `payment_declined`. Provider timeouts and outages are transient and not recorded.
/// Shared by `authorize_payment` and `authorize_with_token`.
pub(super) async fn authorize(
    ctx: &Ctx<Orders>,
    order_id: OrderId,
    order_status: OrderStatus,
    amount: Cents,
    method: PaymentMethod<'_>,
    card_summary: CardSummary,
) -> Result<Payment, OrdersError> {
    domain::check_takes_payment(order_id, order_status)?;
    let provider_key = payments::authorize_key(order_id, &ctx.meta);
    let authorization = ctx
        .provider
        .authorize(AuthorizeRequest {
            idempotency_key: &provider_key,
            order_id,
            amount,
            method,
        })
        .await?;
    let payment = ctx
        .db
        .command(&ctx.meta, move |transaction| {
            let connection = transaction.connection();
            let now = transaction.now_ms();
            let (status, authorized, reference, reason) = match authorization {
                Authorization::Approved { reference } => {
                    (PaymentStatus::Authorized, amount, reference, None)
                }
                Authorization::Declined { reason } => (
                    PaymentStatus::Declined,
                    Cents(0),
                    String::new(),
                    Some(reason),
                ),
            };
            let payment = stored::insert(
                connection,
                Payment {
                    payment_id: PaymentId(0),
                    order_id,
                    status,
                    authorized,
                    captured: Cents(0),
                    refunded: Cents(0),
                    card: card_summary,
                    provider_reference: reference,
                },
                reason.as_deref(),
                now,
            )?;
            let event = PaymentEvent {
                payment_id: payment.payment_id,
                order_id,
                amount,
                status,
                reason: reason.clone(),
            };
            let kind = if reason.is_some() {
                transaction.emit(&PaymentDeclined(event))?;
                "decline"
            } else {
                transaction.emit(&PaymentAuthorized(event))?;
                "authorize"
            };
            stored::record_operation(
                connection,
                payment.payment_id,
                kind,
                amount,
                &payment.provider_reference,
                now,
            )?;
            Ok::<_, OrdersError>(payment)
        })
        .await?;
    info!(
        payment_id = %payment.payment_id,
        status = domain::payment_status_name(payment.status),
        "payment authorization settled"
    );
    refuse_if_declined(ctx, payment).await
}

/// A declined payment is stored and recorded as a payment, and answered as the
/// `payment_declined` error naming it and the provider's reason.
pub(super) async fn refuse_if_declined(
    ctx: &Ctx<Orders>,
    payment: Payment,
) -> Result<Payment, OrdersError> {
    if payment.status != PaymentStatus::Declined {
        return Ok(payment);
    }
    let payment_id = payment.payment_id;
    let reason = ctx
        .db
        .query_by_key(move |connection| stored::decline_reason(connection, payment_id))
        .await?;
    Err(OrdersError::PaymentDeclined {
        payment_id,
        reason: reason.unwrap_or_else(|| "declined".to_owned()),
    })
}
