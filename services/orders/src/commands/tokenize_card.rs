//! `tokenize_card`: exchanges a card for a provider token that later pays in its place.

use bikestore_contracts::orders::{CardToken, TokenizeCard};
use bikestore_runtime::{Ctx, now_ms};
use tracing::{info, instrument};

use crate::Orders;
use crate::error::OrdersError;
use crate::payments::card;

/// Checks the card as `authorize_payment` does, then asks the provider for a token under the
/// request's idempotency key, so a repeat gets the same token. Nothing is stored: the
/// provider's key makes the repeat safe, and the place-order intake saves a database read
/// and write per order. The reply holds only the token and what is kept of the card, never
/// its number or CVC.
#[instrument(skip_all)]
pub async fn handle(ctx: Ctx<Orders>, request: TokenizeCard) -> Result<CardToken, OrdersError> {
    let card_summary = card::check(&request.card, now_ms())?;
    let token = ctx
        .provider
        .tokenize(&request.card, ctx.meta.idempotency_key.as_deref())
        .await?;
    info!(brand = %card_summary.brand, "card tokenized");
    Ok(CardToken {
        token,
        card: card_summary,
    })
}
