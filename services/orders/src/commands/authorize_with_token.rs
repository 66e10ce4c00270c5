//! `authorize_with_token`: holds money for an order on a card known by its provider token, or
//! records the decline.

use bikestore_contracts::orders::{AuthorizeWithToken, Payment};
use bikestore_runtime::Ctx;
use tracing::instrument;

use super::authorize_payment::{authorize, refuse_if_declined};
use crate::Orders;
use crate::domain;
use crate::error::OrdersError;
use crate::payments::PaymentMethod;

/// Checks the amount and the token's shape, asks the provider what card the token stands for
/// (an unknown token is `invalid`, field `card_token`), then authorizes exactly as
/// `authorize_payment` does: the same recorded repeats, declines, timeouts and outages.
#[instrument(skip_all, fields(order_id = %request.order_id, amount = %request.amount))]
pub async fn handle(ctx: Ctx<Orders>, request: AuthorizeWithToken) -> Result<Payment, OrdersError> {
    if let Some(recorded) = ctx.db.recorded::<Payment, OrdersError>(&ctx.meta).await? {
        return refuse_if_declined(&ctx, recorded?).await;
    }
    let amount = domain::amount(request.amount)?;
    let card_token = domain::card_token(&request.card_token)?;
    let card_summary = ctx.provider.token_card(card_token).await?;
    let method = PaymentMethod::Token(card_token);
    authorize(&ctx, request.order_id, amount, method, card_summary).await
}
