//! `authorize_with_token`: holds money for an order on a card known by its provider token, or
//! records the decline.

use bikestore_contracts::orders::{AuthorizeWithToken, Payment};
use bikestore_runtime::{Ctx, Prior};
use tracing::instrument;

use super::authorize_payment::{authorize, recorded_else_order_status, refuse_if_declined};
use crate::Orders;
use crate::domain;
use crate::error::OrdersError;
use crate::payments::PaymentMethod;

/// Checks the amount and the token's shape, asks the provider what card the token stands for
/// (an unknown token is `invalid`, field `card_token`), then authorizes exactly as
/// `authorize_payment` does: the same recorded repeats, declines, timeouts and outages.
#[instrument(skip_all, fields(order_id = %request.order_id, amount = %request.amount))]
pub async fn handle(ctx: Ctx<Orders>, request: AuthorizeWithToken) -> Result<Payment, OrdersError> {
    let order_status = match recorded_else_order_status(&ctx, request.order_id).await? {
        Prior::Recorded(recorded) => return refuse_if_declined(&ctx, recorded?).await,
        Prior::Read(order_status) => order_status,
    };
    let amount = domain::amount(request.amount)?;
    let card_token = domain::card_token(&request.card_token)?;
    let card_summary = ctx.provider.token_card(card_token).await?;
    let method = PaymentMethod::Token(card_token);
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
