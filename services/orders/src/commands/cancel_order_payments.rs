//! `cancel_order_payments`: gives back all of an order's money: voids what is only held and
//! refunds what was captured and not yet refunded.

use bikestore_contracts::PaymentId;
use bikestore_contracts::orders::{CancelOrderPayments, OrderPayments, Payment};
use bikestore_runtime::{CommandTx, Ctx};
use tracing::{info, instrument};

use super::refund_payment::record_refund;
use super::void_payment::record_void;
use crate::Orders;
use crate::domain::{self, MoneyBack};
use crate::error::OrdersError;
use crate::payments::{self, Receipt, RefundRequest, VoidRequest};
use crate::store::{orders, payments as stored};

/// What the provider did for one payment, waiting to be recorded.
struct GivenBack {
    payment_id: PaymentId,
    /// What was done, as decided from the payment before the provider call.
    money_back: MoneyBack,
    receipt: Receipt,
}

/// Reads the order's payments (an unknown order is `not_found`), asks the provider to void
/// each authorized one and to refund the rest of each captured one, then records all of it
/// with the usual `payment_voided` and `payment_refunded` events and answers every payment of
/// the order. Declined, voided and fully refunded payments are left alone, so a repeat, even
/// without an idempotency key, finds nothing left to do. The provider keys depend only on the
/// payment and its state, so concurrent requests void or refund once. If a provider call
/// fails, what the provider did before it is still recorded and the error is answered; a
/// retry does the rest.
#[instrument(skip_all, fields(order_id = %request.order_id))]
pub async fn handle(
    ctx: Ctx<Orders>,
    request: CancelOrderPayments,
) -> Result<OrderPayments, OrdersError> {
    if let Some(recorded) = ctx
        .db
        .recorded::<OrderPayments, OrdersError>(&ctx.meta)
        .await?
    {
        return recorded;
    }
    let order_id = request.order_id;
    let payments = ctx
        .db
        .query(move |connection| {
            orders::status(connection, order_id)?;
            stored::for_order(connection, order_id)
        })
        .await?;
    let mut given_back = Vec::new();
    let mut failure = None;
    for payment in &payments {
        match give_back(&ctx, payment).await {
            Ok(Some(done)) => given_back.push(done),
            Ok(None) => {}
            Err(error) => {
                failure = Some(error);
                break;
            }
        }
    }
    let settled = given_back.len();
    if let Some(error) = failure {
        ctx.db
            .transact(move |transaction| record_all(transaction, given_back))
            .await?;
        return Err(error);
    }
    let order_payments = ctx
        .db
        .command(&ctx.meta, move |transaction| {
            record_all(transaction, given_back)?;
            let payments = stored::for_order(transaction.connection(), order_id)?;
            Ok::<_, OrdersError>(OrderPayments { payments })
        })
        .await?;
    info!(settled, "order payments given back");
    Ok(order_payments)
}

/// Asks the provider to give back what `payment` still holds or keeps, if anything.
async fn give_back(ctx: &Ctx<Orders>, payment: &Payment) -> Result<Option<GivenBack>, OrdersError> {
    let payment_id = payment.payment_id;
    let reference = &payment.provider_reference;
    let money_back = domain::money_back(payment);
    let receipt = match money_back {
        MoneyBack::Nothing => return Ok(None),
        MoneyBack::Void => {
            let idempotency_key = payments::void_key(payment_id);
            ctx.provider
                .void(VoidRequest {
                    idempotency_key: &idempotency_key,
                    reference,
                })
                .await?
        }
        MoneyBack::Refund(amount) => {
            let idempotency_key = payments::refund_rest_key(payment_id, payment.refunded);
            ctx.provider
                .refund(RefundRequest {
                    idempotency_key: &idempotency_key,
                    reference,
                    amount,
                })
                .await?
        }
    };
    Ok(Some(GivenBack {
        payment_id,
        money_back,
        receipt,
    }))
}

/// Records each void or refund whose payment is still as it was read. One a concurrent
/// request already recorded (it sent the same provider key and got the same receipt) is
/// skipped, so it is never recorded twice.
fn record_all(transaction: &CommandTx<'_>, given_back: Vec<GivenBack>) -> Result<(), OrdersError> {
    for done in given_back {
        let payment = stored::get(transaction.connection(), done.payment_id)?;
        if domain::money_back(&payment) != done.money_back {
            continue;
        }
        match done.money_back {
            MoneyBack::Void => {
                record_void(transaction, payment, &done.receipt)?;
            }
            MoneyBack::Refund(amount) => {
                record_refund(transaction, payment, amount, &done.receipt)?;
            }
            MoneyBack::Nothing => {}
        }
    }
    Ok(())
}
