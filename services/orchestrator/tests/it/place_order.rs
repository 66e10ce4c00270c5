//! Place order end to end: inventory, orders (with the simulated provider), notifications and
//! the orchestrator, each with its own SQLite file, on one private nats-server.

use std::time::Duration;

use bikestore_contracts::notifications::{ListNotifications, NotificationKind};
use bikestore_contracts::orders::{
    Card, GetOrder, GetPayment, ListOrders, OrderStatus, PaymentStatus,
};
use bikestore_contracts::sagas::{
    ListSagas, Outcome, Phase, PlaceOrder, PlaceOrderLine, SagaPayload, SagaRecord, SagaStarted,
    SagaState, SagaStats,
};
use bikestore_contracts::{Cents, CustomerId, ErrorCode, ProductId, StaffId, StoreId};
use bikestore_runtime::call::CallOptions;
use bikestore_testkit::eventually;

use crate::support::Stack;

pub const APPROVES: &str = "4242 4242 4242 4242";
pub const DECLINED: &str = "4000 0000 0000 0002";
pub const NEVER_ANSWERS: &str = "4000 0000 0000 0119";
pub const FLAKY: &str = "4000 0000 0000 0259";

pub fn card(number: &str) -> Card {
    Card {
        number: number.into(),
        expiry_month: 12,
        expiry_year: 2031,
        cvc: "123".into(),
        holder: "Debra Burks".into(),
    }
}

pub fn order(
    customer_id: CustomerId,
    store_id: StoreId,
    product_id: ProductId,
    quantity: i64,
    number: &str,
) -> PlaceOrder {
    PlaceOrder {
        customer_id,
        store_id,
        staff_id: StaffId(1),
        lines: vec![PlaceOrderLine {
            product_id,
            quantity,
            discount_percent: 10,
            list_price: None,
        }],
        card: card(number),
        wait_ms: Some(30_000),
    }
}

fn place_order_payload(saga: &SagaRecord) -> &bikestore_contracts::sagas::PlaceOrderSaga {
    match &saga.payload {
        SagaPayload::PlaceOrder(payload) => payload,
        other => panic!("not a place-order saga: {other:?}"),
    }
}

async fn notification_kinds(
    stack: &Stack,
    customer_id: CustomerId,
    expected: usize,
) -> anyhow::Result<Vec<(NotificationKind, String)>> {
    // Notifications follow events asynchronously and nothing tells the test when one is
    // delivered, so the list is polled with a deadline.
    eventually(
        "the customer's notifications",
        Duration::from_secs(20),
        async || {
            let page = stack
                .caller
                .call(&ListNotifications {
                    customer_id: Some(customer_id),
                    ..ListNotifications::default()
                })
                .await
                .ok()?;
            (page.notifications.len() >= expected).then(|| {
                page.notifications
                    .into_iter()
                    .map(|notification| (notification.kind, notification.text))
                    .collect()
            })
        },
    )
    .await
}

#[tokio::test]
async fn a_placed_order_is_processing_with_stock_committed_payment_captured_and_customer_told()
-> anyhow::Result<()> {
    let stack = Stack::everything().await?;
    let customer_id = stack.customer().await?;
    let (store_id, product_id) = stack.store_with_stock(10).await?;
    let started = stack
        .caller
        .call(&order(customer_id, store_id, product_id, 3, APPROVES))
        .await?;
    assert_eq!(started.state, SagaState::Completed, "{:?}", started.error);
    let order_id = started.order_id.unwrap();

    let placed = stack.caller.call(&GetOrder { order_id }).await?;
    assert_eq!(placed.status, OrderStatus::Processing);
    assert_eq!(placed.totals.total, Cents(135_000), "3 x 500.00 less 10%");
    let line = &placed.lines[0].line;
    assert_eq!(line.list_price, Cents(50_000), "the catalog's price");
    assert!(
        line.product_name
            .as_deref()
            .is_some_and(|name| name.starts_with("Bike ")),
        "the catalog's name: {line:?}"
    );
    let reservation_id = placed
        .reservation_id
        .clone()
        .expect("the order names its reservation");
    assert!(
        reservation_id.0.starts_with("sale-") && reservation_id.0.len() > 20,
        "a random reservation ID, not order-{order_id}: {reservation_id}"
    );
    let level = stack.stock(store_id, product_id).await?;
    assert_eq!(
        (level.on_hand, level.reserved),
        (7, 0),
        "the stock left the store"
    );
    let saga = stack.saga(&started.saga_id).await?;
    let payment_id = place_order_payload(&saga).payment_id.unwrap();
    let payment = stack.caller.call(&GetPayment { payment_id }).await?;
    assert_eq!(
        (payment.status, payment.captured),
        (PaymentStatus::Captured, Cents(135_000))
    );
    // The saga paid with the card's token, and no reply hands it out.
    assert!(place_order_payload(&saga).card_token.is_empty());
    let listed = stack
        .caller
        .call(&ListSagas {
            store_id: Some(store_id),
            ..ListSagas::default()
        })
        .await?;
    assert_eq!(listed.sagas, std::slice::from_ref(&saga));
    let other_store = StoreId(store_id.0 + 1);
    let elsewhere = ListSagas {
        store_id: Some(other_store),
        ..ListSagas::default()
    };
    assert!(stack.caller.call(&elsewhere).await?.sagas.is_empty());
    let stats = SagaStats {
        store_id: Some(other_store),
    };
    let stats = stack.caller.call(&stats).await?;
    assert!(stats.counts.iter().all(|count| count.count == 0));
    let steps: Vec<&str> = saga
        .history
        .iter()
        .map(|entry| entry.step.as_str())
        .collect();
    assert_eq!(
        steps,
        [
            "create_order",
            "reserve_stock",
            "authorize_payment",
            "capture_payment",
            "commit_reservation",
            "confirm_order"
        ]
    );
    let told = notification_kinds(&stack, customer_id, 1).await?;
    assert_eq!(told[0].0, NotificationKind::OrderConfirmed);
    stack.stop().await
}

#[tokio::test]
async fn too_little_stock_rejects_the_order_with_the_reason_and_takes_no_payment()
-> anyhow::Result<()> {
    let stack = Stack::everything().await?;
    let customer_id = stack.customer().await?;
    let (store_id, product_id) = stack.store_with_stock(2).await?;
    let started = stack
        .caller
        .call(&order(customer_id, store_id, product_id, 3, APPROVES))
        .await?;
    assert_eq!(started.state, SagaState::Failed);
    assert_eq!(
        started.error.as_ref().map(|error| error.code),
        Some(ErrorCode::InsufficientStock)
    );
    let saga = stack.saga(&started.saga_id).await?;
    assert_eq!(
        place_order_payload(&saga).payment_id,
        None,
        "no payment was attempted"
    );
    let level = stack.stock(store_id, product_id).await?;
    assert_eq!(
        (level.on_hand, level.reserved),
        (2, 0),
        "no reservation left"
    );
    let rejected = stack
        .caller
        .call(&GetOrder {
            order_id: started.order_id.unwrap(),
        })
        .await?;
    assert_eq!(rejected.status, OrderStatus::Rejected);
    let reason = rejected
        .history
        .last()
        .and_then(|change| change.reason.clone())
        .unwrap_or_default();
    assert!(reason.contains("only 2 available"), "{reason}");
    let told = notification_kinds(&stack, customer_id, 1).await?;
    assert_eq!(told[0].0, NotificationKind::OrderRejected);
    assert!(
        told[0].1.contains("only 2 available"),
        "the customer is told why: {}",
        told[0].1
    );
    stack.stop().await
}

#[tokio::test]
async fn a_declined_card_releases_the_reservation_and_rejects_the_order() -> anyhow::Result<()> {
    let stack = Stack::everything().await?;
    let customer_id = stack.customer().await?;
    let (store_id, product_id) = stack.store_with_stock(5).await?;
    let started = stack
        .caller
        .call(&order(customer_id, store_id, product_id, 2, DECLINED))
        .await?;
    assert_eq!(started.state, SagaState::Failed);
    assert_eq!(
        started.error.as_ref().map(|error| error.code),
        Some(ErrorCode::PaymentDeclined)
    );
    let saga = stack.saga(&started.saga_id).await?;
    assert_eq!(
        saga.history
            .iter()
            .filter(|entry| entry.outcome == Outcome::Retrying)
            .count(),
        0,
        "a refusal is not retried"
    );
    let level = stack.stock(store_id, product_id).await?;
    assert_eq!(
        (level.on_hand, level.reserved),
        (5, 0),
        "the reservation was released"
    );
    let rejected = stack
        .caller
        .call(&GetOrder {
            order_id: started.order_id.unwrap(),
        })
        .await?;
    assert_eq!(rejected.status, OrderStatus::Rejected);
    stack.stop().await
}

#[tokio::test]
async fn a_card_that_never_answers_is_retried_then_compensated() -> anyhow::Result<()> {
    let stack = Stack::everything().await?;
    let customer_id = stack.customer().await?;
    let (store_id, product_id) = stack.store_with_stock(5).await?;
    let started = stack
        .caller
        .call(&order(customer_id, store_id, product_id, 1, NEVER_ANSWERS))
        .await?;
    assert_eq!(started.state, SagaState::Failed);
    assert_eq!(
        started.error.as_ref().map(|error| error.code),
        Some(ErrorCode::Timeout)
    );
    let saga = stack.saga(&started.saga_id).await?;
    let authorize: Vec<Outcome> = saga
        .history
        .iter()
        .filter(|entry| entry.step == "authorize_payment")
        .map(|entry| entry.outcome)
        .collect();
    // Its outcome is unknown (the provider may have held the money after all), so it is
    // compensated too: the order's payments are voided, none here.
    assert_eq!(
        authorize,
        [
            Outcome::Retrying,
            Outcome::Retrying,
            Outcome::Failed,
            Outcome::Succeeded
        ]
    );
    let undo = saga.history.last().expect("the saga has a history");
    assert_eq!(
        (undo.step.as_str(), undo.phase),
        ("create_order", Phase::Compensation)
    );
    assert_eq!(stack.stock(store_id, product_id).await?.reserved, 0);
    stack.stop().await
}

#[tokio::test]
async fn a_flaky_card_is_retried_until_it_succeeds() -> anyhow::Result<()> {
    let stack = Stack::everything().await?;
    let customer_id = stack.customer().await?;
    let (store_id, product_id) = stack.store_with_stock(5).await?;
    let started = stack
        .caller
        .call(&order(customer_id, store_id, product_id, 1, FLAKY))
        .await?;
    assert_eq!(started.state, SagaState::Completed, "{:?}", started.error);
    let saga = stack.saga(&started.saga_id).await?;
    let retried = saga
        .history
        .iter()
        .filter(|entry| entry.outcome == Outcome::Retrying)
        .count();
    assert_eq!(retried, 2, "the flaky card fails twice, then pays");
    stack.stop().await
}

#[tokio::test]
async fn the_same_key_sent_five_times_at_once_makes_one_order() -> anyhow::Result<()> {
    let stack = Stack::everything().await?;
    let customer_id = stack.customer().await?;
    let (store_id, product_id) = stack.store_with_stock(10).await?;
    let request = order(customer_id, store_id, product_id, 1, APPROVES);
    let mut intakes = tokio::task::JoinSet::new();
    for _ in 0..5 {
        let (caller, request) = (stack.caller.clone(), request.clone());
        intakes.spawn(async move {
            caller
                .call_with(&request, &CallOptions::idempotent("checkout-42"))
                .await
        });
    }
    let mut replies: Vec<SagaStarted> = Vec::new();
    while let Some(reply) = intakes.join_next().await {
        replies.push(reply??);
    }
    assert!(
        replies
            .iter()
            .all(|reply| reply.saga_id == replies[0].saga_id),
        "one saga"
    );
    assert!(
        replies
            .iter()
            .all(|reply| reply.state == SagaState::Completed)
    );
    let orders = stack
        .caller
        .call(&ListOrders {
            customer_id: Some(customer_id),
            ..ListOrders::default()
        })
        .await?;
    assert_eq!(orders.total, 1, "one order");
    assert_eq!(stack.stock(store_id, product_id).await?.on_hand, 9);
    stack.stop().await
}
