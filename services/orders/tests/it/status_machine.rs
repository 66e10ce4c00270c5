//! The order state machine over the wire: all 25 (from, to) pairs, history and events.

use bikestore_contracts::ErrorCode;
use bikestore_contracts::orders::{
    ChangeOrderStatus, GetOrder, Order, OrderPlaced, OrderStatus, OrderStatusChanged,
};
use bikestore_testkit::read_events;

use bikestore_harness::System;

use crate::support::{READY, new_order, with_service};

const ALL: [OrderStatus; 5] = [
    OrderStatus::Pending,
    OrderStatus::Processing,
    OrderStatus::Rejected,
    OrderStatus::Completed,
    OrderStatus::Cancelled,
];

const LEGAL: [(OrderStatus, OrderStatus); 5] = [
    (OrderStatus::Pending, OrderStatus::Processing),
    (OrderStatus::Processing, OrderStatus::Completed),
    (OrderStatus::Pending, OrderStatus::Rejected),
    (OrderStatus::Pending, OrderStatus::Cancelled),
    (OrderStatus::Processing, OrderStatus::Cancelled),
];

fn name(status: OrderStatus) -> String {
    serde_json::to_value(status)
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

/// The legal moves that bring a new order to `status`.
fn path_to(status: OrderStatus) -> Vec<OrderStatus> {
    match status {
        OrderStatus::Pending => vec![],
        OrderStatus::Processing => vec![OrderStatus::Processing],
        OrderStatus::Completed => vec![OrderStatus::Processing, OrderStatus::Completed],
        OrderStatus::Rejected => vec![OrderStatus::Rejected],
        OrderStatus::Cancelled => vec![OrderStatus::Cancelled],
    }
}

async fn order_in(system: &System, status: OrderStatus) -> anyhow::Result<Order> {
    let created = new_order(system).await?;
    let mut order = system
        .caller()
        .call(&GetOrder {
            order_id: created.order_id,
        })
        .await?;
    for step in path_to(status) {
        order = system
            .caller()
            .call(&ChangeOrderStatus {
                order_id: created.order_id,
                to: step,
                reason: None,
            })
            .await?;
    }
    assert_eq!(order.status, status);
    Ok(order)
}

#[tokio::test]
async fn every_pair_moves_stays_put_or_conflicts_naming_both_states() -> anyhow::Result<()> {
    let system = with_service().await?;
    for from in ALL {
        for to in ALL {
            let before = order_in(&system, from).await?;
            let outcome = system
                .caller()
                .call(&ChangeOrderStatus {
                    order_id: before.order_id,
                    to,
                    reason: Some("table test".into()),
                })
                .await;
            let label = format!("{} -> {}", name(from), name(to));
            if from == to {
                assert_eq!(outcome?, before, "{label} is an idempotent success");
            } else if LEGAL.contains(&(from, to)) {
                let after = outcome?;
                assert_eq!(after.status, to, "{label}");
                assert_eq!(after.history.len(), before.history.len() + 1, "{label}");
                let last = after.history.last().unwrap();
                assert_eq!(last.from, Some(from), "{label}");
                assert_eq!(last.to, to, "{label}");
                assert_eq!(last.reason.as_deref(), Some("table test"), "{label}");
                assert_eq!(
                    after.shipped_at_ms.is_some(),
                    to == OrderStatus::Completed,
                    "{label}: only completion ships"
                );
                let read_back = system
                    .caller()
                    .call(&GetOrder {
                        order_id: before.order_id,
                    })
                    .await?;
                assert_eq!(read_back, after, "{label}: the reply is the stored order");
            } else {
                let error = outcome.unwrap_err();
                assert_eq!(error.code, ErrorCode::Conflict, "{label}");
                assert_eq!(
                    error.message,
                    format!(
                        "order {} cannot move from {} to {}",
                        before.order_id,
                        name(from),
                        name(to)
                    )
                );
                let unchanged = system
                    .caller()
                    .call(&GetOrder {
                        order_id: before.order_id,
                    })
                    .await?;
                assert_eq!(unchanged, before, "{label}: a refused move changes nothing");
            }
        }
    }
    system.stop().await
}

#[tokio::test]
async fn creation_and_each_move_publish_one_event_and_a_repeat_publishes_none() -> anyhow::Result<()>
{
    let system = with_service().await?;
    let order = order_in(&system, OrderStatus::Completed).await?;
    assert_eq!(
        order
            .history
            .iter()
            .map(|change| (change.from, change.to))
            .collect::<Vec<_>>(),
        vec![
            (None, OrderStatus::Pending),
            (Some(OrderStatus::Pending), OrderStatus::Processing),
            (Some(OrderStatus::Processing), OrderStatus::Completed),
        ]
    );
    // A repeated move (a saga retry) succeeds and publishes nothing; the next event is the
    // cancellation of another order.
    let again = system
        .caller()
        .call(&ChangeOrderStatus {
            order_id: order.order_id,
            to: OrderStatus::Completed,
            reason: None,
        })
        .await?;
    assert_eq!(again, order);
    let other = order_in(&system, OrderStatus::Cancelled).await?;

    let placed = read_events::<OrderPlaced>(system.client(), system.subjects(), 2, READY).await?;
    assert_eq!(placed[0].order_id, order.order_id);
    assert_eq!(placed[0].total, order.totals.total);
    assert_eq!(placed[0].customer_id, order.customer_id);
    let changes =
        read_events::<OrderStatusChanged>(system.client(), system.subjects(), 3, READY).await?;
    let moves: Vec<_> = changes
        .iter()
        .map(|event| (event.order_id, event.from, event.to))
        .collect();
    assert_eq!(
        moves,
        vec![
            (
                order.order_id,
                OrderStatus::Pending,
                OrderStatus::Processing
            ),
            (
                order.order_id,
                OrderStatus::Processing,
                OrderStatus::Completed
            ),
            (other.order_id, OrderStatus::Pending, OrderStatus::Cancelled),
        ]
    );
    system.stop().await
}

#[tokio::test]
async fn a_move_of_an_unknown_order_is_not_found() -> anyhow::Result<()> {
    let system = with_service().await?;
    let error = system
        .caller()
        .call(&ChangeOrderStatus {
            order_id: bikestore_contracts::OrderId(987_654),
            to: OrderStatus::Processing,
            reason: None,
        })
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::NotFound);
    system.stop().await
}
