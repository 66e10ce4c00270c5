//! The simulator's test cards, tokens and books.

use std::time::Duration;

use bikestore_contracts::orders::Card;

use super::*;

fn card(number: &str) -> Card {
    Card {
        number: number.to_owned(),
        expiry_month: 12,
        expiry_year: 2099,
        cvc: "123".to_owned(),
        holder: String::new(),
    }
}

fn authorize<'a>(key: &'a str, order: i64, card: &'a Card) -> AuthorizeRequest<'a> {
    AuthorizeRequest {
        idempotency_key: key,
        order_id: OrderId(order),
        amount: Cents(1_000),
        method: PaymentMethod::Card(card),
    }
}

fn authorize_token<'a>(key: &'a str, order: i64, token: &'a str) -> AuthorizeRequest<'a> {
    AuthorizeRequest {
        idempotency_key: key,
        order_id: OrderId(order),
        amount: Cents(1_000),
        method: PaymentMethod::Token(token),
    }
}

#[tokio::test]
async fn a_repeated_authorize_holds_once_and_answers_the_same() {
    let provider = SimulatedProvider::new(2);
    let visa = card("4242 4242 4242 4242");
    let first = provider.authorize(authorize("k1", 1, &visa)).await;
    let second = provider.authorize(authorize("k1", 1, &visa)).await;
    assert_eq!(first, second);
    assert_eq!(provider.holds(), 1);
    provider.authorize(authorize("k2", 1, &visa)).await.ok();
    assert_eq!(provider.holds(), 2);
}

#[tokio::test]
async fn test_cards_decline_fail_and_hang_as_documented() {
    let provider = SimulatedProvider::new(2);
    let declined = provider
        .authorize(authorize("a", 1, &card(CARD_DECLINES)))
        .await;
    assert_eq!(
        declined,
        Ok(Authorization::Declined {
            reason: CARD_DECLINED.into()
        })
    );
    let poor = provider
        .authorize(authorize("b", 1, &card(CARD_INSUFFICIENT_FUNDS)))
        .await;
    assert_eq!(
        poor,
        Ok(Authorization::Declined {
            reason: INSUFFICIENT_FUNDS.into()
        })
    );
    let silent = card(CARD_NEVER_ANSWERS);
    let hang = tokio::time::timeout(
        Duration::from_millis(20),
        provider.authorize(authorize("c", 1, &silent)),
    )
    .await;
    assert!(hang.is_err(), "the never-answering card never answers");
    let flaky = card(CARD_FLAKY);
    for _ in 0..2 {
        let attempt = provider.authorize(authorize("d", 7, &flaky)).await;
        assert!(matches!(attempt, Err(ProviderError::Unavailable(_))));
    }
    let third = provider.authorize(authorize("d", 7, &flaky)).await;
    assert!(matches!(third, Ok(Authorization::Approved { .. })));
    // Another order starts its own count.
    let other = provider.authorize(authorize("e", 8, &flaky)).await;
    assert!(matches!(other, Err(ProviderError::Unavailable(_))));
}

#[tokio::test]
async fn captures_and_refunds_respect_the_hold() {
    let provider = SimulatedProvider::new(0);
    let visa = card(CARD_APPROVES);
    let Ok(Authorization::Approved { reference }) =
        provider.authorize(authorize("auth", 1, &visa)).await
    else {
        panic!("the approving card approves");
    };
    let capture = |key: &'static str, amount| CaptureRequest {
        idempotency_key: key,
        reference: &reference,
        amount: Cents(amount),
    };
    assert!(provider.capture(capture("c0", 1_001)).await.is_err());
    let first = provider.capture(capture("c1", 800)).await;
    assert!(first.is_ok());
    assert_eq!(provider.capture(capture("c1", 800)).await, first);
    assert!(provider.capture(capture("c2", 100)).await.is_err());
    let refund = |key: &'static str, amount| RefundRequest {
        idempotency_key: key,
        reference: &reference,
        amount: Cents(amount),
    };
    assert!(provider.refund(refund("r1", 500)).await.is_ok());
    assert!(provider.refund(refund("r1", 500)).await.is_ok());
    assert!(provider.refund(refund("r2", 301)).await.is_err());
    assert!(provider.refund(refund("r3", 300)).await.is_ok());
    let void = VoidRequest {
        idempotency_key: "v1",
        reference: &reference,
    };
    assert!(provider.void(void).await.is_err());
}

#[tokio::test]
async fn a_token_authorizes_as_its_card_would_even_in_a_new_simulator() {
    let minting = SimulatedProvider::new(1);
    let mut tokens = Vec::new();
    for number in [
        CARD_APPROVES,
        CARD_DECLINES,
        CARD_INSUFFICIENT_FUNDS,
        CARD_FLAKY,
    ] {
        let token = minting.tokenize(&card(number), None).await;
        tokens.push(token.unwrap_or_default());
    }
    // A new simulator, as after a restart, knows nothing of the tokens and still reads them.
    let provider = SimulatedProvider::new(1);
    let by_token = provider
        .authorize(authorize_token("t1", 1, &tokens[0]))
        .await;
    assert!(matches!(by_token, Ok(Authorization::Approved { .. })));
    for (index, reason) in [(1, CARD_DECLINED), (2, INSUFFICIENT_FUNDS)] {
        let declined = provider
            .authorize(authorize_token(&format!("d{index}"), 1, &tokens[index]))
            .await;
        let expected = Authorization::Declined {
            reason: reason.into(),
        };
        assert_eq!(declined, Ok(expected));
    }
    let flaky = authorize_token("t3", 4, &tokens[3]);
    assert!(matches!(
        provider.authorize(flaky).await,
        Err(ProviderError::Unavailable(_))
    ));
    assert!(matches!(
        provider.authorize(flaky).await,
        Ok(Authorization::Approved { .. })
    ));
    let summary = provider.token_card(&tokens[0]).await;
    assert_eq!(summary.map(|card| card.last_four), Ok("4242".to_owned()));

    let silent = minting.tokenize(&card(CARD_NEVER_ANSWERS), None).await;
    let silent = silent.unwrap_or_default();
    let hang = tokio::time::timeout(
        Duration::from_millis(20),
        provider.authorize(authorize_token("t4", 1, &silent)),
    )
    .await;
    assert!(
        hang.is_err(),
        "the never-answering card's token never answers"
    );
}

#[tokio::test]
async fn an_unknown_token_is_refused_as_such() {
    let provider = SimulatedProvider::new(0);
    let forged = "tok_sim_approve_visa_4242";
    assert_eq!(
        provider.authorize(authorize_token("u1", 1, forged)).await,
        Err(ProviderError::UnknownToken)
    );
    assert_eq!(
        provider.token_card(forged).await,
        Err(ProviderError::UnknownToken)
    );
    assert_eq!(provider.holds(), 0);
}

#[tokio::test]
async fn a_key_answers_the_same_token_and_no_key_a_new_one() {
    let provider = SimulatedProvider::new(0);
    let visa = card(CARD_APPROVES);
    let first = provider.tokenize(&visa, Some("saga-1:tokenize_card")).await;
    let repeat = SimulatedProvider::new(0)
        .tokenize(&visa, Some("saga-1:tokenize_card"))
        .await;
    assert_eq!(first, repeat, "a repeat, even to a new simulator");
    let other = provider.tokenize(&visa, Some("saga-2:tokenize_card")).await;
    assert_ne!(first, other);
    let unkeyed = provider.tokenize(&visa, None).await;
    assert_ne!(unkeyed, provider.tokenize(&visa, None).await);
    let token = first.unwrap_or_default();
    assert_eq!(
        provider.token_card(&token).await.map(|card| card.last_four),
        Ok("4242".to_owned())
    );
}
