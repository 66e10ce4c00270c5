//! `tokenize_card`: exchanges a card for a provider token that later pays in its place.

use bikestore_contracts::orders::{CardToken, TokenizeCard};
use bikestore_runtime::{Ctx, now_ms};
use tracing::{info, instrument};

use crate::Orders;
use crate::error::OrdersError;
use crate::payments::card;

/// Checks the card as `authorize_payment` does, then asks the provider for a token. Nothing
/// is stored but the reply under the idempotency key, so a repeat gets the same token; the
/// reply holds only the token and what is kept of the card, never its number or CVC.
#[instrument(skip_all)]
pub async fn handle(ctx: Ctx<Orders>, request: TokenizeCard) -> Result<CardToken, OrdersError> {
    if let Some(recorded) = ctx.db.recorded::<CardToken, OrdersError>(&ctx.meta).await? {
        return recorded;
    }
    let card_summary = card::check(&request.card, now_ms())?;
    let token = ctx.provider.tokenize(&request.card).await?;
    let card_token = CardToken {
        token,
        card: card_summary,
    };
    let card_token = ctx
        .db
        .command(&ctx.meta, move |_transaction| {
            Ok::<_, OrdersError>(card_token)
        })
        .await?;
    info!(brand = %card_token.card.brand, "card tokenized");
    Ok(card_token)
}
