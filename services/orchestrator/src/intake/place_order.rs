//! `place_order`: starts a place-order saga, with every line priced from the catalog.

use bikestore_contracts::inventory::{PriceProducts, ProductPrices};
use bikestore_contracts::orders::{MAX_ORDER_LINES, OrderLine, TokenizeCard};
use bikestore_contracts::sagas::{
    PlaceOrder, PlaceOrderLine, PlaceOrderSaga, SagaPayload, SagaStarted,
};
use bikestore_runtime::Ctx;
use bikestore_runtime::call::CallOptions;

use super::{new_record, repeated, saga_id_for, start_and_reply};
use crate::Orchestrator;
use crate::error::OrchestratorError;
use crate::sagas::place_order::{NAME, fresh_reservation_id};

/// Checks the request's shape (a price sent by the caller is `invalid`), prices its lines from
/// the catalog and exchanges the card for a provider token at the same time (the card itself
/// is never stored), and starts the saga. A repeat under the same idempotency key answers with
/// the saga it started, without touching the card again.
pub async fn handle(
    ctx: Ctx<Orchestrator>,
    request: PlaceOrder,
) -> Result<SagaStarted, OrchestratorError> {
    check_lines(&request.lines)?;
    let saga_id = saga_id_for(NAME, &ctx.meta);
    if let Some(repeat) = repeated(&ctx, &ctx.meta, &saga_id, request.wait_ms).await? {
        return Ok(repeat);
    }
    let pricing = PriceProducts {
        product_ids: request.lines.iter().map(|line| line.product_id).collect(),
    };
    let tokenize = TokenizeCard { card: request.card };
    let tokenize_options = CallOptions::idempotent(format!("{saga_id}:tokenize_card"));
    // Both are needed before the record exists and neither depends on the other, so the intake
    // waits for the slower of the two instead of their sum.
    let (prices, token) = tokio::try_join!(
        ctx.caller.call(&pricing),
        ctx.caller.call_with(&tokenize, &tokenize_options),
    )?;
    let lines = priced(request.lines, prices)?;
    let payload = SagaPayload::PlaceOrder(PlaceOrderSaga {
        customer_id: request.customer_id,
        store_id: request.store_id,
        staff_id: request.staff_id,
        lines,
        card_token: token.token,
        order_id: None,
        total: None,
        reservation_id: None,
        payment_id: None,
        captured: false,
        failure_reason: None,
        reserve_as: Some(fresh_reservation_id()),
    });
    let record = new_record(&ctx, saga_id, NAME, payload)?;
    start_and_reply(&ctx, record, request.wait_ms).await
}

/// Refuses an empty or oversized order, a product on two lines, and any line that carries a
/// price: prices come from the catalog, and a price silently replaced would hide from the
/// caller that it is not used.
fn check_lines(lines: &[PlaceOrderLine]) -> Result<(), OrchestratorError> {
    if lines.is_empty() || lines.len() > MAX_ORDER_LINES {
        return Err(OrchestratorError::invalid(
            "lines",
            format!(
                "must hold 1 to {MAX_ORDER_LINES} lines, not {}",
                lines.len()
            ),
        ));
    }
    let mut products: Vec<_> = lines.iter().map(|line| line.product_id).collect();
    products.sort_unstable();
    if let Some(twice) = products.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(OrchestratorError::invalid(
            "lines.product_id",
            format!("product {} appears more than once", twice[0]),
        ));
    }
    if let Some(number) = lines.iter().position(|line| line.list_price.is_some()) {
        return Err(OrchestratorError::invalid(
            "lines.list_price",
            format!(
                "line {}: prices come from the catalog; leave list_price out",
                number + 1
            ),
        ));
    }
    Ok(())
}

/// Each line with its product's catalog price and name. Inventory answers one price per
/// product asked, in order; anything else is a broken reply, not the caller's fault.
fn priced(
    lines: Vec<PlaceOrderLine>,
    prices: ProductPrices,
) -> Result<Vec<OrderLine>, OrchestratorError> {
    if prices.prices.len() != lines.len() {
        return Err(OrchestratorError::Participant(
            bikestore_contracts::WireError::new(
                bikestore_contracts::ErrorCode::Internal,
                "inventory priced another number of products than asked",
            ),
        ));
    }
    lines
        .into_iter()
        .zip(prices.prices)
        .map(|(line, price)| {
            if price.product_id != line.product_id {
                return Err(OrchestratorError::Participant(
                    bikestore_contracts::WireError::new(
                        bikestore_contracts::ErrorCode::Internal,
                        "inventory priced other products than asked",
                    ),
                ));
            }
            Ok(OrderLine {
                product_id: line.product_id,
                quantity: line.quantity,
                list_price: price.list_price,
                discount_percent: line.discount_percent,
                product_name: Some(price.name),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use bikestore_contracts::inventory::ProductPrice;
    use bikestore_contracts::{Cents, ProductId};

    use super::*;

    fn line(product: i64, list_price: Option<i64>) -> PlaceOrderLine {
        PlaceOrderLine {
            product_id: ProductId(product),
            quantity: 2,
            discount_percent: 5,
            list_price: list_price.map(Cents),
        }
    }

    #[test]
    fn a_price_from_the_caller_is_refused_naming_the_field() {
        assert!(check_lines(&[line(1, None)]).is_ok());
        let refusal = check_lines(&[line(1, None), line(2, Some(1))]).expect_err("refused");
        let wire = bikestore_runtime::ServiceError::to_wire(&refusal);
        assert_eq!(wire.code, bikestore_contracts::ErrorCode::Invalid);
        assert_eq!(wire.details["field"], "lines.list_price");
        assert!(wire.message.contains("line 2"), "{}", wire.message);
        let twice = check_lines(&[line(1, None), line(1, None)]).expect_err("refused");
        let wire = bikestore_runtime::ServiceError::to_wire(&twice);
        assert_eq!(wire.details["field"], "lines.product_id");
    }

    #[test]
    fn lines_take_the_catalog_price_and_name() {
        let prices = ProductPrices {
            prices: vec![ProductPrice {
                product_id: ProductId(1),
                name: "Trek 820".into(),
                list_price: Cents(37_999),
            }],
        };
        let lines = priced(vec![line(1, None)], prices).expect("priced");
        assert_eq!(lines[0].list_price, Cents(37_999));
        assert_eq!(lines[0].product_name.as_deref(), Some("Trek 820"));
        assert_eq!((lines[0].quantity, lines[0].discount_percent), (2, 5));
    }
}
