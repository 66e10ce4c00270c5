//! Payments over the wire: every test card's outcome, and the capture, void and refund rules.

use bikestore_contracts::orders::{
    AuthorizePayment, CapturePayment, ChangeOrderStatus, GetPayment, OrderStatus, PaymentCaptured,
    PaymentDeclined, PaymentRefunded, PaymentStatus, PaymentVoided, RefundPayment, VoidPayment,
};
use bikestore_contracts::{Cents, ErrorCode, OrderId, PaymentId, WireError};
use bikestore_runtime::call::CallOptions;
use bikestore_testkit::read_events;

use crate::support::{
    APPROVES, DECLINES, FLAKY, INSUFFICIENT_FUNDS, NEVER_ANSWERS, READY, TEST_PROVIDER_TIMEOUT,
    authorized_payment, card, new_order, with_service,
};

fn code<T: std::fmt::Debug>(result: Result<T, WireError>) -> ErrorCode {
    result.unwrap_err().code
}

fn authorize(order_id: OrderId, amount: i64, number: &str) -> AuthorizePayment {
    AuthorizePayment {
        order_id,
        amount: Cents(amount),
        card: card(number),
    }
}

#[tokio::test]
async fn the_approving_card_holds_the_amount_and_only_brand_last_four_and_expiry_are_kept()
-> anyhow::Result<()> {
    let system = with_service().await?;
    let order = new_order(&system).await?;
    let payment = system
        .caller()
        .call(&authorize(order.order_id, order.total.0, APPROVES))
        .await?;
    assert_eq!(payment.status, PaymentStatus::Authorized);
    assert_eq!(payment.order_id, order.order_id);
    assert_eq!(payment.authorized, order.total);
    assert_eq!((payment.captured, payment.refunded), (Cents(0), Cents(0)));
    assert_eq!(payment.card.brand, "visa");
    assert_eq!(payment.card.last_four, "4242");
    assert_eq!(
        (payment.card.expiry_month, payment.card.expiry_year),
        (12, 2035)
    );
    assert!(payment.provider_reference.starts_with("sim_auth_"));
    let stored = system
        .caller()
        .call(&GetPayment {
            payment_id: payment.payment_id,
        })
        .await?;
    assert_eq!(stored, payment);
    system.stop().await
}

#[tokio::test]
async fn declining_cards_are_stored_as_declined_and_answered_payment_declined() -> anyhow::Result<()>
{
    let system = with_service().await?;
    let order = new_order(&system).await?;
    let mut declined = Vec::new();
    for (number, reason) in [
        (DECLINES, "card_declined"),
        (INSUFFICIENT_FUNDS, "insufficient_funds"),
    ] {
        let error = system
            .caller()
            .call(&authorize(order.order_id, 2_300, number))
            .await
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::PaymentDeclined, "{error}");
        assert_eq!(error.details["reason"], reason);
        let payment_id = PaymentId(error.details["payment_id"].parse()?);
        let payment = system.caller().call(&GetPayment { payment_id }).await?;
        assert_eq!(payment.status, PaymentStatus::Declined);
        assert_eq!(payment.authorized, Cents(0), "a decline holds nothing");
        assert_eq!(payment.card.last_four, &number[number.len() - 4..]);
        declined.push(payment_id);
    }
    let events =
        read_events::<PaymentDeclined>(system.client(), system.subjects(), 2, READY).await?;
    let seen: Vec<_> = events
        .iter()
        .map(|event| (event.0.payment_id, event.0.amount, event.0.reason.clone()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (declined[0], Cents(2_300), Some("card_declined".to_owned())),
            (
                declined[1],
                Cents(2_300),
                Some("insufficient_funds".to_owned())
            ),
        ]
    );
    system.stop().await
}

#[tokio::test]
async fn the_never_answering_card_times_out_and_nothing_is_recorded() -> anyhow::Result<()> {
    let system = with_service().await?;
    let order = new_order(&system).await?;
    let options = CallOptions::idempotent("pay-never-answers");
    for _ in 0..2 {
        let started = tokio::time::Instant::now();
        let error = system
            .caller()
            .call_with(&authorize(order.order_id, 2_300, NEVER_ANSWERS), &options)
            .await
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::Timeout, "{error}");
        assert!(started.elapsed() >= TEST_PROVIDER_TIMEOUT);
    }
    // Nothing was recorded under the key, so a retry with a working card goes through.
    let payment = system
        .caller()
        .call_with(&authorize(order.order_id, 2_300, APPROVES), &options)
        .await?;
    assert_eq!(payment.status, PaymentStatus::Authorized);
    system.stop().await
}

#[tokio::test]
async fn the_flaky_card_is_unavailable_twice_per_order_then_approves() -> anyhow::Result<()> {
    let system = with_service().await?;
    let order = new_order(&system).await?;
    let options = CallOptions::idempotent("pay-flaky");
    let request = authorize(order.order_id, 2_300, FLAKY);
    for attempt in 1..=2 {
        let error = system
            .caller()
            .call_with(&request, &options)
            .await
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::Unavailable, "attempt {attempt}");
    }
    let payment = system.caller().call_with(&request, &options).await?;
    assert_eq!(payment.status, PaymentStatus::Authorized);
    assert_eq!(payment.card.last_four, "0259");
    // Another order counts its own failures.
    let other = new_order(&system).await?;
    let error = system
        .caller()
        .call(&authorize(other.order_id, 2_300, FLAKY))
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Unavailable);
    system.stop().await
}

#[tokio::test]
async fn capture_void_and_refund_keep_to_the_amounts_and_states() -> anyhow::Result<()> {
    let system = with_service().await?;
    let payment = authorized_payment(&system, 10_000).await?;
    let id = payment.payment_id;
    let capture = |amount| CapturePayment {
        payment_id: id,
        amount: Cents(amount),
    };
    let refund = |amount| RefundPayment {
        payment_id: id,
        amount: Cents(amount),
    };
    assert_eq!(
        code(system.caller().call(&refund(1)).await),
        ErrorCode::Conflict
    );
    assert_eq!(
        code(system.caller().call(&capture(10_001)).await),
        ErrorCode::Conflict
    );
    assert_eq!(
        code(system.caller().call(&capture(0)).await),
        ErrorCode::Invalid
    );
    let captured = system.caller().call(&capture(8_000)).await?;
    assert_eq!(captured.status, PaymentStatus::Captured);
    assert_eq!(captured.captured, Cents(8_000));
    assert_eq!(
        code(system.caller().call(&capture(8_000)).await),
        ErrorCode::Conflict
    );
    assert_eq!(
        code(system.caller().call(&VoidPayment { payment_id: id }).await),
        ErrorCode::Conflict
    );
    let partly = system.caller().call(&refund(5_000)).await?;
    assert_eq!(
        (partly.status, partly.refunded),
        (PaymentStatus::Refunded, Cents(5_000))
    );
    assert_eq!(
        code(system.caller().call(&refund(3_001)).await),
        ErrorCode::Conflict
    );
    let fully = system.caller().call(&refund(3_000)).await?;
    assert_eq!(fully.refunded, Cents(8_000));
    assert_eq!(
        code(system.caller().call(&refund(1)).await),
        ErrorCode::Conflict
    );

    let held = authorized_payment(&system, 4_000).await?;
    let voided = system
        .caller()
        .call(&VoidPayment {
            payment_id: held.payment_id,
        })
        .await?;
    assert_eq!(voided.status, PaymentStatus::Voided);
    let after_void = CapturePayment {
        payment_id: held.payment_id,
        amount: Cents(1),
    };
    assert_eq!(
        code(system.caller().call(&after_void).await),
        ErrorCode::Conflict
    );

    let events = (
        read_events::<PaymentCaptured>(system.client(), system.subjects(), 1, READY).await?,
        read_events::<PaymentRefunded>(system.client(), system.subjects(), 2, READY).await?,
        read_events::<PaymentVoided>(system.client(), system.subjects(), 1, READY).await?,
    );
    assert_eq!(events.0[0].0.amount, Cents(8_000));
    assert_eq!(
        events
            .1
            .iter()
            .map(|event| event.0.amount)
            .collect::<Vec<_>>(),
        vec![Cents(5_000), Cents(3_000)]
    );
    assert_eq!(events.2[0].0.amount, Cents(4_000));
    system.stop().await
}

#[tokio::test]
async fn declined_unknown_and_closed_things_cannot_be_paid_or_settled() -> anyhow::Result<()> {
    let system = with_service().await?;
    let order = new_order(&system).await?;
    let declined = system
        .caller()
        .call(&authorize(order.order_id, 100, DECLINES))
        .await
        .unwrap_err();
    let payment_id = PaymentId(declined.details["payment_id"].parse()?);
    let capture = CapturePayment {
        payment_id,
        amount: Cents(100),
    };
    assert_eq!(
        system.caller().call(&capture).await.unwrap_err().code,
        ErrorCode::Conflict
    );
    let void = VoidPayment { payment_id };
    assert_eq!(
        system.caller().call(&void).await.unwrap_err().code,
        ErrorCode::Conflict
    );
    let unknown = GetPayment {
        payment_id: PaymentId(555_555),
    };
    assert_eq!(
        system.caller().call(&unknown).await.unwrap_err().code,
        ErrorCode::NotFound
    );
    let no_order = authorize(OrderId(555_555), 100, APPROVES);
    assert_eq!(
        system.caller().call(&no_order).await.unwrap_err().code,
        ErrorCode::NotFound
    );
    system
        .caller()
        .call(&ChangeOrderStatus {
            order_id: order.order_id,
            to: OrderStatus::Cancelled,
            reason: Some("changed mind".into()),
        })
        .await?;
    let closed = authorize(order.order_id, 100, APPROVES);
    assert_eq!(
        system.caller().call(&closed).await.unwrap_err().code,
        ErrorCode::Conflict
    );
    system.stop().await
}
