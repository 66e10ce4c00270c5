//! Exactly once: create_order, tokenize_card and every payment command repeated under one
//! idempotency key, in a row and concurrently, has one effect and gets the same reply every
//! time.

use bikestore_contracts::orders::{
    AuthorizePayment, AuthorizeWithToken, CapturePayment, GetPayment, ListOrders, PaymentStatus,
    RefundPayment, TokenizeCard, VoidPayment,
};
use bikestore_contracts::{Cents, ErrorCode, Request, WireError};
use bikestore_runtime::call::{CallOptions, Caller};

use crate::support::{
    APPROVES, DECLINES, INSUFFICIENT_FUNDS, card, new_customer, new_order, order_request,
    token_for, with_provider, with_service,
};

/// Sends `request` under `key` three times in a row, then three times at once; returns every
/// outcome.
async fn six_times<R>(caller: &Caller, request: &R, key: &str) -> Vec<Result<R::Reply, WireError>>
where
    R: Request + Clone + Sync,
    R::Reply: Send,
{
    let options = CallOptions::idempotent(key);
    let mut outcomes = Vec::new();
    for _ in 0..3 {
        outcomes.push(caller.call_with(request, &options).await);
    }
    let mut concurrent = tokio::task::JoinSet::new();
    for _ in 0..3 {
        let (caller, request, options) = (caller.clone(), request.clone(), options.clone());
        concurrent.spawn(async move { caller.call_with(&request, &options).await });
    }
    while let Some(outcome) = concurrent.join_next().await {
        outcomes.push(outcome.unwrap());
    }
    outcomes
}

fn all_equal<T: PartialEq + std::fmt::Debug>(outcomes: &[T]) {
    assert!(
        outcomes.windows(2).all(|pair| pair[0] == pair[1]),
        "every reply is the recorded one: {outcomes:#?}"
    );
}

#[tokio::test]
async fn create_order_sent_six_times_under_one_key_creates_one_order() -> anyhow::Result<()> {
    let system = with_service().await?;
    let customer_id = new_customer(&system).await?;
    let outcomes = six_times(system.caller(), &order_request(customer_id), "order-once").await;
    all_equal(&outcomes);
    let created = outcomes[0].clone()?;
    let orders = system
        .caller()
        .call(&ListOrders {
            customer_id: Some(customer_id),
            ..ListOrders::default()
        })
        .await?;
    assert_eq!(orders.total, 1);
    assert_eq!(orders.orders[0].order_id, created.order_id);
    system.stop().await
}

#[tokio::test]
async fn each_payment_command_repeated_under_one_key_applies_once() -> anyhow::Result<()> {
    let (system, provider) = with_provider().await?;
    let order = new_order(&system).await?;
    let authorize = AuthorizePayment {
        order_id: order.order_id,
        amount: Cents(2_300),
        card: card(APPROVES),
    };
    let authorized = six_times(system.caller(), &authorize, "saga-1:authorize").await;
    all_equal(&authorized);
    let payment = authorized[0].clone()?;
    assert_eq!(provider.holds(), 1, "the provider held the money once");

    let capture = CapturePayment {
        payment_id: payment.payment_id,
        amount: Cents(2_000),
    };
    let captured = six_times(system.caller(), &capture, "saga-1:capture").await;
    all_equal(&captured);
    assert_eq!(captured[0].clone()?.captured, Cents(2_000));

    let refund = RefundPayment {
        payment_id: payment.payment_id,
        amount: Cents(700),
    };
    let refunded = six_times(system.caller(), &refund, "refund-1").await;
    all_equal(&refunded);
    let stored = system
        .caller()
        .call(&GetPayment {
            payment_id: payment.payment_id,
        })
        .await?;
    assert_eq!(
        (stored.captured, stored.refunded),
        (Cents(2_000), Cents(700)),
        "neither the capture nor the refund was doubled"
    );

    let second = system
        .caller()
        .call(&AuthorizePayment {
            order_id: order.order_id,
            amount: Cents(500),
            card: card(APPROVES),
        })
        .await?;
    let void = VoidPayment {
        payment_id: second.payment_id,
    };
    let voided = six_times(system.caller(), &void, "void-2").await;
    all_equal(&voided);
    assert!(voided[0].is_ok(), "{:?}", voided[0]);
    system.stop().await
}

#[tokio::test]
async fn a_declined_authorize_repeated_under_one_key_is_one_declined_payment() -> anyhow::Result<()>
{
    let (system, provider) = with_provider().await?;
    let order = new_order(&system).await?;
    let authorize = AuthorizePayment {
        order_id: order.order_id,
        amount: Cents(2_300),
        card: card(DECLINES),
    };
    let outcomes = six_times(system.caller(), &authorize, "saga-2:authorize").await;
    all_equal(&outcomes);
    let error = outcomes[0].clone().unwrap_err();
    assert_eq!(error.code, ErrorCode::PaymentDeclined);
    assert_eq!(error.details["reason"], "card_declined");
    assert_eq!(provider.holds(), 0);
    system.stop().await
}

#[tokio::test]
async fn authorize_with_token_repeated_under_one_key_holds_once() -> anyhow::Result<()> {
    let (system, provider) = with_provider().await?;
    let order = new_order(&system).await?;
    let tokenize = TokenizeCard {
        card: card(APPROVES),
    };
    let tokenized = six_times(system.caller(), &tokenize, "saga-3:tokenize_card").await;
    all_equal(&tokenized);
    let token = tokenized[0].clone()?;
    let authorize = AuthorizeWithToken {
        order_id: order.order_id,
        amount: Cents(2_300),
        card_token: token.token,
    };
    let authorized = six_times(system.caller(), &authorize, "saga-3:authorize").await;
    all_equal(&authorized);
    let payment = authorized[0].clone()?;
    assert_eq!(payment.status, PaymentStatus::Authorized);
    assert_eq!(payment.card, token.card);
    assert_eq!(provider.holds(), 1, "the provider held the money once");

    // The same key on the card endpoint is another operation, and a hold of its own.
    let by_card = AuthorizePayment {
        order_id: order.order_id,
        amount: Cents(2_300),
        card: card(APPROVES),
    };
    let options = CallOptions::idempotent("saga-3:authorize");
    let other = system.caller().call_with(&by_card, &options).await?;
    assert_ne!(other.payment_id, payment.payment_id);
    assert_eq!(provider.holds(), 2);

    let poor = token_for(&system, INSUFFICIENT_FUNDS).await?;
    let declined = AuthorizeWithToken {
        card_token: poor.token,
        ..authorize
    };
    let outcomes = six_times(system.caller(), &declined, "saga-4:authorize").await;
    all_equal(&outcomes);
    let error = outcomes[0].clone().unwrap_err();
    assert_eq!(error.code, ErrorCode::PaymentDeclined);
    assert_eq!(error.details["reason"], "insufficient_funds");
    assert_eq!(provider.holds(), 2);
    system.stop().await
}

/// Twins of a fresh command, all in flight at once, as two saga replicas or a redelivery send
/// them: whichever lands first, the others must answer its reply, not a refusal of the state it
/// made (`payment is captured; it can be captured only when authorized`).
#[tokio::test]
async fn twins_racing_a_fresh_capture_or_void_all_get_its_reply() -> anyhow::Result<()> {
    let (system, _provider) = with_provider().await?;
    let order = new_order(&system).await?;
    for round in 0..20 {
        let payment = system
            .caller()
            .call(&AuthorizePayment {
                order_id: order.order_id,
                amount: Cents(100),
                card: card(APPROVES),
            })
            .await?;
        let options = CallOptions::idempotent(format!("race-{round}"));
        let mut twins = tokio::task::JoinSet::new();
        for _ in 0..4 {
            let (caller, options) = (system.caller().clone(), options.clone());
            let payment_id = payment.payment_id;
            twins.spawn(async move {
                if round % 2 == 0 {
                    let capture = CapturePayment {
                        payment_id,
                        amount: Cents(100),
                    };
                    caller.call_with(&capture, &options).await
                } else {
                    caller
                        .call_with(&VoidPayment { payment_id }, &options)
                        .await
                }
            });
        }
        let mut outcomes = Vec::new();
        while let Some(outcome) = twins.join_next().await {
            outcomes.push(outcome?);
        }
        assert!(
            outcomes.iter().all(Result::is_ok),
            "round {round}: {outcomes:#?}"
        );
        all_equal(&outcomes);
    }
    system.stop().await
}
