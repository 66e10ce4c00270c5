//! Card tokens over the wire: a token of each test card pays as the card itself does, holds
//! neither the number nor the CVC, survives a restart, and a token the provider never issued
//! is `invalid`.

use bikestore_contracts::orders::{
    AuthorizePayment, AuthorizeWithToken, Card, CardSummary, GetPayment, Payment, PaymentStatus,
    TokenizeCard,
};
use bikestore_contracts::{Cents, ErrorCode, OrderId, PaymentId, Request, ServiceName, WireError};
use bikestore_runtime::call::CallOptions;

use bikestore_harness::System;

use crate::support::{
    APPROVES, DECLINES, FLAKY, INSUFFICIENT_FUNDS, NEVER_ANSWERS, card, new_order, token_for,
    with_service,
};

/// What one authorization came to, comparable between the card and the token.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Authorized(CardSummary),
    Declined(String, CardSummary),
    Failed(ErrorCode),
}

/// Sends `request` three times under one key (so the flaky card gets through) and says what
/// each try came to.
async fn three_tries<R>(system: &System, request: &R, key: &str) -> anyhow::Result<Vec<Outcome>>
where
    R: Request<Reply = Payment>,
{
    let options = CallOptions::idempotent(key);
    let mut outcomes = Vec::new();
    for _ in 0..3 {
        let outcome = match system.caller().call_with(request, &options).await {
            Ok(payment) => {
                assert_eq!(payment.status, PaymentStatus::Authorized);
                Outcome::Authorized(payment.card)
            }
            Err(error) if error.code == ErrorCode::PaymentDeclined => {
                let payment_id = PaymentId(error.details["payment_id"].parse()?);
                let payment = system.caller().call(&GetPayment { payment_id }).await?;
                assert_eq!(payment.status, PaymentStatus::Declined);
                Outcome::Declined(error.details["reason"].clone(), payment.card)
            }
            Err(error) => Outcome::Failed(error.code),
        };
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

fn summary(number: &str) -> CardSummary {
    CardSummary {
        brand: "visa".into(),
        last_four: number[number.len() - 4..].into(),
        expiry_month: 12,
        expiry_year: 2035,
    }
}

#[tokio::test]
async fn a_token_of_each_test_card_authorizes_as_the_card_itself() -> anyhow::Result<()> {
    let system = with_service().await?;
    let declined = |number: &str, reason: &str| Outcome::Declined(reason.into(), summary(number));
    let cases = [
        (APPROVES, vec![Outcome::Authorized(summary(APPROVES)); 3]),
        (DECLINES, vec![declined(DECLINES, "card_declined"); 3]),
        (
            INSUFFICIENT_FUNDS,
            vec![declined(INSUFFICIENT_FUNDS, "insufficient_funds"); 3],
        ),
        (NEVER_ANSWERS, vec![Outcome::Failed(ErrorCode::Timeout); 3]),
        (
            FLAKY,
            vec![
                Outcome::Failed(ErrorCode::Unavailable),
                Outcome::Failed(ErrorCode::Unavailable),
                Outcome::Authorized(summary(FLAKY)),
            ],
        ),
    ];
    for (number, expected) in cases {
        let token = token_for(&system, number).await?;
        assert_eq!(token.card, summary(number), "{number}");
        let by_card = AuthorizePayment {
            order_id: new_order(&system).await?.order_id,
            amount: Cents(2_300),
            card: card(number),
        };
        let by_token = AuthorizeWithToken {
            order_id: new_order(&system).await?.order_id,
            amount: Cents(2_300),
            card_token: token.token,
        };
        let card_outcomes = three_tries(&system, &by_card, &format!("card {number}")).await?;
        let token_outcomes = three_tries(&system, &by_token, &format!("token {number}")).await?;
        assert_eq!(card_outcomes, expected, "{number} by card");
        assert_eq!(token_outcomes, expected, "{number} by token");
    }
    system.stop().await
}

#[tokio::test]
async fn a_token_holds_neither_the_card_number_nor_the_cvc() -> anyhow::Result<()> {
    let system = with_service().await?;
    let cards = [
        (APPROVES, "0815"),
        (DECLINES, "731"),
        (INSUFFICIENT_FUNDS, "9064"),
        (NEVER_ANSWERS, "0815"),
        (FLAKY, "731"),
        ("5555 5555 5555 4444", "9064"),
        ("3782 822463 10005", "0815"),
    ];
    for (number, cvc) in cards {
        let tokenized = system
            .caller()
            .call(&TokenizeCard {
                card: Card {
                    cvc: cvc.into(),
                    ..card(number)
                },
            })
            .await?;
        let token = &tokenized.token;
        let digits: String = number.chars().filter(char::is_ascii_digit).collect();
        assert!(token.starts_with("tok_sim_"), "{token}");
        assert!(!token.contains(&digits), "{token} holds the number");
        assert!(!token.contains(number), "{token} holds the spaced number");
        // The last part is a random ULID; everything before it describes the card.
        let (described, random) = token.rsplit_once('_').unwrap();
        assert!(!described.contains(cvc), "{token} holds the CVC");
        assert_ne!(random, cvc);
        assert_eq!(random.len(), 26, "{token} ends in a ULID");
        assert_eq!(tokenized.card.last_four, digits[digits.len() - 4..]);
    }
    system.stop().await
}

#[tokio::test]
async fn a_token_still_pays_after_the_service_restarts() -> anyhow::Result<()> {
    let mut system = with_service().await?;
    let order = new_order(&system).await?;
    let token = token_for(&system, APPROVES).await?;
    system.stop_service(ServiceName::Orders).await?;
    system.start_service(ServiceName::Orders).await?;
    let payment = system
        .caller()
        .call(&AuthorizeWithToken {
            order_id: order.order_id,
            amount: order.total,
            card_token: token.token,
        })
        .await?;
    assert_eq!(payment.status, PaymentStatus::Authorized);
    assert_eq!(payment.card, token.card);
    system.stop().await
}

#[tokio::test]
async fn tokens_the_provider_never_issued_are_invalid_naming_card_token() -> anyhow::Result<()> {
    let system = with_service().await?;
    let order = new_order(&system).await?;
    let issued = token_for(&system, APPROVES).await?.token;
    let (described, _) = issued.rsplit_once('_').unwrap();
    let bad_tokens = [
        String::new(),
        "tok sim".to_owned(),
        "tok_real_4242".to_owned(),
        format!("{described}_notaulid"),
        issued.replacen("approve", "refund", 1),
        format!("{issued}_x"),
        "t".repeat(10_000),
    ];
    let authorize = |card_token: String| AuthorizeWithToken {
        order_id: order.order_id,
        amount: Cents(100),
        card_token,
    };
    for token in bad_tokens {
        let error: WireError = system
            .caller()
            .call(&authorize(token.clone()))
            .await
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::Invalid, "{token:?}: {error}");
        assert_eq!(error.details["field"], "card_token", "{token:?}");
        assert!(
            token.is_empty() || !error.message.contains(&token),
            "the refusal never repeats the token"
        );
    }
    // Amount and token are checked before the order, as the card is.
    let no_order = AuthorizeWithToken {
        order_id: OrderId(555_555),
        ..authorize("tok_sim_nothing".into())
    };
    let error = system.caller().call(&no_order).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Invalid);
    let no_order = AuthorizeWithToken {
        order_id: OrderId(555_555),
        ..authorize(issued)
    };
    let error = system.caller().call(&no_order).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::NotFound);
    system.stop().await
}
