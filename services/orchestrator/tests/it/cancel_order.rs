//! Cancel order: the money goes back, the stock goes back, the order is cancelled.

use bikestore_contracts::orders::{
    ChangeOrderStatus, CreateOrder, GetOrder, GetPayment, OrderLine, OrderStatus, PaymentStatus,
};
use bikestore_contracts::sagas::{CancelOrder, SagaPayload, SagaState};
use bikestore_contracts::{Cents, ErrorCode, StaffId};

use crate::place_order::{APPROVES, order};
use crate::support::Stack;

#[tokio::test]
async fn cancelling_a_processing_order_refunds_it_and_returns_its_stock() -> anyhow::Result<()> {
    let stack = Stack::everything().await?;
    let customer_id = stack.customer().await?;
    let (store_id, product_id) = stack.store_with_stock(10).await?;
    let placed = stack
        .caller
        .call(&order(customer_id, store_id, product_id, 4, APPROVES))
        .await?;
    assert_eq!(placed.state, SagaState::Completed);
    let order_id = placed.order_id.unwrap();
    assert_eq!(stack.stock(store_id, product_id).await?.on_hand, 6);

    let cancelled = stack
        .caller
        .call(&CancelOrder {
            order_id,
            reason: "the customer changed their mind".into(),
            wait_ms: Some(20_000),
        })
        .await?;
    assert_eq!(
        cancelled.state,
        SagaState::Completed,
        "{:?}",
        cancelled.error
    );
    let after = stack.caller.call(&GetOrder { order_id }).await?;
    assert_eq!(after.status, OrderStatus::Cancelled);
    assert_eq!(
        (stack.stock(store_id, product_id).await?.on_hand),
        10,
        "the stock came back"
    );
    let placed_saga = stack.saga(&placed.saga_id).await?;
    let SagaPayload::PlaceOrder(payload) = placed_saga.payload else {
        panic!("not a place order")
    };
    let payment = stack
        .caller
        .call(&GetPayment {
            payment_id: payload.payment_id.unwrap(),
        })
        .await?;
    assert_eq!(payment.status, PaymentStatus::Refunded);
    assert_eq!(payment.refunded, payment.captured);
    stack.stop().await
}

#[tokio::test]
async fn a_completed_order_cannot_be_cancelled_and_keeps_its_money_and_stock() -> anyhow::Result<()>
{
    let stack = Stack::everything().await?;
    let customer_id = stack.customer().await?;
    let (store_id, product_id) = stack.store_with_stock(10).await?;
    let placed = stack
        .caller
        .call(&order(customer_id, store_id, product_id, 1, APPROVES))
        .await?;
    let order_id = placed.order_id.unwrap();
    stack
        .caller
        .call(&ChangeOrderStatus {
            order_id,
            to: OrderStatus::Completed,
            reason: None,
        })
        .await?;

    let cancelled = stack
        .caller
        .call(&CancelOrder {
            order_id,
            reason: "too late".into(),
            wait_ms: Some(20_000),
        })
        .await?;
    assert_eq!(cancelled.state, SagaState::Failed);
    let error = cancelled.error.unwrap();
    assert_eq!(error.code, ErrorCode::Conflict);
    assert!(error.message.contains("completed"), "{}", error.message);
    assert_eq!(
        stack.caller.call(&GetOrder { order_id }).await?.status,
        OrderStatus::Completed
    );
    assert_eq!(stack.stock(store_id, product_id).await?.on_hand, 9);
    stack.stop().await
}

#[tokio::test]
async fn an_order_still_being_placed_cannot_be_cancelled_yet() -> anyhow::Result<()> {
    let stack = Stack::everything().await?;
    let customer_id = stack.customer().await?;
    let (store_id, product_id) = stack.store_with_stock(10).await?;
    // A pending order, as a place-order saga leaves it until its last step.
    let created = stack
        .caller
        .call(&CreateOrder {
            customer_id,
            store_id,
            staff_id: StaffId(1),
            lines: vec![OrderLine {
                product_id,
                quantity: 1,
                list_price: Cents(1_000),
                discount_percent: 0,
                product_name: None,
            }],
            required_date: None,
            reservation_id: None,
        })
        .await?;
    let refused = stack
        .caller
        .call(&CancelOrder {
            order_id: created.order_id,
            reason: "changed their mind".into(),
            wait_ms: Some(20_000),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::Conflict);
    assert!(
        refused.message.contains("still pending"),
        "{}",
        refused.message
    );
    let order = stack
        .caller
        .call(&GetOrder {
            order_id: created.order_id,
        })
        .await?;
    assert_eq!(order.status, OrderStatus::Pending, "no saga touched it");
    stack.stop().await
}
