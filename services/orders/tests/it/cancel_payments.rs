//! `cancel_order_payments`: voids what is held, refunds the rest of what was captured, leaves
//! the settled alone, and a repeat (with or without a key, in a row or at once) changes
//! nothing more.

use bikestore_contracts::orders::{
    AuthorizePayment, CancelOrderPayments, CapturePayment, ChangeOrderStatus, OrderPayments,
    OrderStatus, PaymentRefunded, PaymentStatus, PaymentVoided, RefundPayment, VoidPayment,
};
use bikestore_contracts::{Cents, ErrorCode, Event, OrderId, PaymentId, ServiceName};
use bikestore_runtime::call::CallOptions;
use bikestore_testkit::{count_on_subject, read_events};

use bikestore_harness::System;

use crate::support::{APPROVES, DECLINES, READY, card, new_order, with_service};

/// How many events of type `E` the orders stream holds; call after the service stopped, which
/// flushes its outbox.
async fn published<E: Event>(system: &System) -> anyhow::Result<u64> {
    let stream = system.subjects().event_stream(ServiceName::Orders);
    count_on_subject(system.client(), &stream, &system.subjects().event_of::<E>()).await
}

async fn authorize(system: &System, order_id: OrderId, amount: i64) -> anyhow::Result<PaymentId> {
    let payment = system
        .caller()
        .call(&AuthorizePayment {
            order_id,
            amount: Cents(amount),
            card: card(APPROVES),
        })
        .await?;
    Ok(payment.payment_id)
}

async fn capture(system: &System, payment_id: PaymentId, amount: i64) -> anyhow::Result<()> {
    let capture = CapturePayment {
        payment_id,
        amount: Cents(amount),
    };
    system.caller().call(&capture).await?;
    Ok(())
}

async fn refund(system: &System, payment_id: PaymentId, amount: i64) -> anyhow::Result<()> {
    let refund = RefundPayment {
        payment_id,
        amount: Cents(amount),
    };
    system.caller().call(&refund).await?;
    Ok(())
}

#[tokio::test]
async fn cancelling_voids_the_held_refunds_the_captured_and_a_repeat_changes_nothing()
-> anyhow::Result<()> {
    let mut system = with_service().await?;
    let order_id = new_order(&system).await?.order_id;
    let held = authorize(&system, order_id, 1_000).await?;
    let partly_refunded = authorize(&system, order_id, 2_000).await?;
    capture(&system, partly_refunded, 2_000).await?;
    refund(&system, partly_refunded, 500).await?;
    let declined = AuthorizePayment {
        order_id,
        amount: Cents(300),
        card: card(DECLINES),
    };
    let error = system.caller().call(&declined).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::PaymentDeclined);
    let voided = authorize(&system, order_id, 400).await?;
    system
        .caller()
        .call(&VoidPayment { payment_id: voided })
        .await?;
    let fully_refunded = authorize(&system, order_id, 600).await?;
    capture(&system, fully_refunded, 600).await?;
    refund(&system, fully_refunded, 600).await?;
    // As the cancel_order saga does: the order is cancelled first, then its money given back.
    system
        .caller()
        .call(&ChangeOrderStatus {
            order_id,
            to: OrderStatus::Cancelled,
            reason: Some("customer called".into()),
        })
        .await?;

    let cancel = CancelOrderPayments { order_id };
    let after = system.caller().call(&cancel).await?;
    let seen: Vec<_> = after
        .payments
        .iter()
        .map(|payment| (payment.status, payment.captured, payment.refunded))
        .collect();
    assert_eq!(
        seen,
        vec![
            (PaymentStatus::Voided, Cents(0), Cents(0)),
            (PaymentStatus::Refunded, Cents(2_000), Cents(2_000)),
            (PaymentStatus::Declined, Cents(0), Cents(0)),
            (PaymentStatus::Voided, Cents(0), Cents(0)),
            (PaymentStatus::Refunded, Cents(600), Cents(600)),
        ]
    );
    assert_eq!(after.payments[0].payment_id, held);
    assert!(after.payments.iter().all(|p| p.order_id == order_id));

    let again = system.caller().call(&cancel).await?;
    assert_eq!(again, after, "a repeat without a key finds nothing to do");
    let options = CallOptions::idempotent("cancel-1");
    for _ in 0..2 {
        assert_eq!(system.caller().call_with(&cancel, &options).await?, after);
    }

    let refunds =
        read_events::<PaymentRefunded>(system.client(), system.subjects(), 3, READY).await?;
    let refunded: Vec<_> = refunds
        .iter()
        .map(|event| (event.0.payment_id, event.0.amount))
        .collect();
    assert_eq!(
        refunded,
        vec![
            (partly_refunded, Cents(500)),
            (fully_refunded, Cents(600)),
            (partly_refunded, Cents(1_500)),
        ]
    );
    let voids = read_events::<PaymentVoided>(system.client(), system.subjects(), 2, READY).await?;
    let voids: Vec<_> = voids
        .iter()
        .map(|event| (event.0.payment_id, event.0.amount))
        .collect();
    assert_eq!(voids, vec![(voided, Cents(400)), (held, Cents(1_000))]);
    system.stop_service(ServiceName::Orders).await?;
    assert_eq!(published::<PaymentRefunded>(&system).await?, 3);
    assert_eq!(published::<PaymentVoided>(&system).await?, 2);
    Ok(())
}

#[tokio::test]
async fn concurrent_cancellations_give_the_money_back_once() -> anyhow::Result<()> {
    let mut system = with_service().await?;
    let order_id = new_order(&system).await?.order_id;
    let held = authorize(&system, order_id, 1_000).await?;
    let captured = authorize(&system, order_id, 2_000).await?;
    capture(&system, captured, 1_500).await?;
    let mut concurrent = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let caller = system.caller().clone();
        concurrent.spawn(async move { caller.call(&CancelOrderPayments { order_id }).await });
    }
    let mut outcomes: Vec<OrderPayments> = Vec::new();
    while let Some(outcome) = concurrent.join_next().await {
        outcomes.push(outcome??);
    }
    assert!(outcomes.windows(2).all(|pair| pair[0] == pair[1]));
    let payments = &outcomes[0].payments;
    assert_eq!(payments[0].payment_id, held);
    assert_eq!(payments[0].status, PaymentStatus::Voided);
    assert_eq!(payments[1].payment_id, captured);
    assert_eq!(
        (payments[1].status, payments[1].refunded),
        (PaymentStatus::Refunded, Cents(1_500))
    );
    system.stop_service(ServiceName::Orders).await?;
    assert_eq!(published::<PaymentVoided>(&system).await?, 1);
    assert_eq!(published::<PaymentRefunded>(&system).await?, 1);
    Ok(())
}

#[tokio::test]
async fn an_order_without_payments_has_nothing_to_give_back_and_an_unknown_one_is_not_found()
-> anyhow::Result<()> {
    let system = with_service().await?;
    let order_id = new_order(&system).await?.order_id;
    let nothing = system
        .caller()
        .call(&CancelOrderPayments { order_id })
        .await?;
    assert_eq!(nothing.payments, vec![]);
    let unknown = CancelOrderPayments {
        order_id: OrderId(555_555),
    };
    let error = system.caller().call(&unknown).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::NotFound, "{error}");
    system.stop().await
}
