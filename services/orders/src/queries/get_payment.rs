//! `get_payment`: one payment with its amounts and the card as kept.

use bikestore_contracts::orders::{GetPayment, Payment};
use bikestore_runtime::Ctx;

use crate::Orders;
use crate::error::OrdersError;
use crate::store::payments;

/// Reads the payment; an unknown one is `not_found`. A declined payment is returned as it is
/// stored, with status `declined`.
pub async fn handle(ctx: Ctx<Orders>, request: GetPayment) -> Result<Payment, OrdersError> {
    let payment_id = request.payment_id;
    ctx.db
        .query(move |connection| payments::get(connection, payment_id))
        .await
}
