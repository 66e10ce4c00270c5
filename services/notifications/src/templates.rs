//! The templates: which notifications an event makes, and their texts.
//!
//! Each template is a plain function from an event's facts to [`Draft`]s, so every text is
//! tested here without IO. Free text from other services (a rejection reason) goes through
//! [`domain::quoted`] so it can never break a log line or grow without bound.

use bikestore_contracts::inventory::StockLow;
use bikestore_contracts::notifications::{Audience, NotificationKind};
use bikestore_contracts::orders::{OrderStatus, OrderStatusChanged};
use bikestore_contracts::{CustomerId, OrderId, StoreId};

use crate::domain::{self, Draft};

/// The notifications an order's status move makes: confirmed (to processing), rejected and
/// cancelled each tell the customer and the store; other moves tell nobody.
pub fn order_status_changed(event: &OrderStatusChanged) -> Vec<Draft> {
    let order = event.order_id;
    let store = event.store_id;
    let customer = event.customer_id;
    let reason = event
        .reason
        .as_deref()
        .map(|reason| domain::quoted(reason).trim_end_matches('.').to_owned())
        .filter(|reason| !reason.is_empty());
    match event.to {
        OrderStatus::Processing => vec![
            for_customer(
                NotificationKind::OrderConfirmed,
                customer,
                store,
                format!("Your order {order} is confirmed: we are preparing it at store {store}."),
            ),
            for_store(
                NotificationKind::OrderConfirmed,
                store,
                format!("Order {order} of customer {customer} is confirmed: please prepare it."),
            ),
        ],
        OrderStatus::Rejected => {
            let reason = reason.unwrap_or_else(|| "no reason was given".to_owned());
            vec![
                for_customer(
                    NotificationKind::OrderRejected,
                    customer,
                    store,
                    format!("Your order {order} was rejected: {reason}."),
                ),
                for_store(
                    NotificationKind::OrderRejected,
                    store,
                    format!("Order {order} was rejected: {reason}."),
                ),
            ]
        }
        OrderStatus::Cancelled => vec![
            for_customer(
                NotificationKind::OrderCancelled,
                customer,
                store,
                match &reason {
                    Some(reason) => format!("Your order {order} was cancelled: {reason}."),
                    None => format!("Your order {order} was cancelled."),
                },
            ),
            for_store(
                NotificationKind::OrderCancelled,
                store,
                cancelled_for_store(order, event.from, reason.as_deref()),
            ),
        ],
        OrderStatus::Pending | OrderStatus::Completed => Vec::new(),
    }
}

fn cancelled_for_store(order: OrderId, from: OrderStatus, reason: Option<&str>) -> String {
    let what = if from == OrderStatus::Processing {
        " Stop preparing it."
    } else {
        ""
    };
    match reason {
        Some(reason) => format!("Order {order} was cancelled: {reason}.{what}"),
        None => format!("Order {order} was cancelled.{what}"),
    }
}

/// A low-stock warning for the store that ran low.
pub fn stock_low(event: &StockLow) -> Vec<Draft> {
    let level = &event.level;
    vec![for_store(
        NotificationKind::LowStock,
        level.store_id,
        format!(
            "Low stock at store {}: {} (product {}) has {} available ({} on hand, {} reserved); \
             the threshold is {}.",
            level.store_id,
            domain::quoted(&level.product_name),
            level.product_id,
            level.available,
            level.on_hand,
            level.reserved,
            event.threshold
        ),
    )]
}

/// A finished stock transfer, told to both stores.
///
/// No event announces a finished transfer yet: the transfer saga belongs to the orchestrator,
/// which does not exist yet. When it does, it publishes a transfer-done event; add that event to
/// the consumer's filter in `events.rs` and call this template from there.
pub fn stock_transfer_done(
    transfer: &str,
    from_store: StoreId,
    to_store: StoreId,
    units: i64,
) -> Vec<Draft> {
    let transfer = domain::quoted(transfer);
    [
        (
            from_store,
            format!(
                "Stock transfer {transfer} is done: {units} units left store {from_store} for \
                 store {to_store}."
            ),
        ),
        (
            to_store,
            format!(
                "Stock transfer {transfer} is done: {units} units arrived from store \
                 {from_store}."
            ),
        ),
    ]
    .into_iter()
    .map(|(store, text)| for_store(NotificationKind::StockTransferDone, store, text))
    .collect()
}

fn for_customer(
    kind: NotificationKind,
    customer: CustomerId,
    store: StoreId,
    text: String,
) -> Draft {
    Draft {
        kind,
        audience: Audience::Customer,
        customer_id: Some(customer),
        store_id: Some(store),
        text,
    }
}

fn for_store(kind: NotificationKind, store: StoreId, text: String) -> Draft {
    Draft {
        kind,
        audience: Audience::Store,
        customer_id: None,
        store_id: Some(store),
        text,
    }
}

#[cfg(test)]
mod tests {
    use bikestore_contracts::ProductId;
    use bikestore_contracts::inventory::StockLevel;

    use super::*;

    fn moved(from: OrderStatus, to: OrderStatus, reason: Option<&str>) -> OrderStatusChanged {
        OrderStatusChanged {
            order_id: OrderId(12),
            customer_id: CustomerId(7),
            store_id: StoreId(2),
            from,
            to,
            reason: reason.map(str::to_owned),
        }
    }

    fn texts(drafts: &[Draft]) -> Vec<&str> {
        drafts.iter().map(|draft| draft.text.as_str()).collect()
    }

    #[test]
    fn a_confirmed_order_tells_the_customer_and_the_store() {
        let drafts =
            order_status_changed(&moved(OrderStatus::Pending, OrderStatus::Processing, None));
        assert_eq!(
            texts(&drafts),
            [
                "Your order 12 is confirmed: we are preparing it at store 2.",
                "Order 12 of customer 7 is confirmed: please prepare it.",
            ]
        );
        assert_eq!(drafts[0].audience, Audience::Customer);
        assert_eq!(drafts[0].customer_id, Some(CustomerId(7)));
        assert_eq!(drafts[1].audience, Audience::Store);
        assert_eq!(drafts[1].customer_id, None);
        assert!(
            drafts
                .iter()
                .all(|draft| draft.store_id == Some(StoreId(2)))
        );
    }

    #[test]
    fn a_rejection_quotes_its_reason_on_one_line() {
        let drafts = order_status_changed(&moved(
            OrderStatus::Pending,
            OrderStatus::Rejected,
            Some("payment declined:\ninsufficient funds"),
        ));
        assert_eq!(
            texts(&drafts),
            [
                "Your order 12 was rejected: payment declined: insufficient funds.",
                "Order 12 was rejected: payment declined: insufficient funds.",
            ]
        );
        let without_reason =
            order_status_changed(&moved(OrderStatus::Pending, OrderStatus::Rejected, None));
        assert_eq!(
            without_reason[0].text,
            "Your order 12 was rejected: no reason was given."
        );
    }

    #[test]
    fn a_cancellation_tells_a_preparing_store_to_stop() {
        let drafts = order_status_changed(&moved(
            OrderStatus::Processing,
            OrderStatus::Cancelled,
            Some("customer changed their mind."),
        ));
        assert_eq!(
            texts(&drafts),
            [
                "Your order 12 was cancelled: customer changed their mind.",
                "Order 12 was cancelled: customer changed their mind. Stop preparing it.",
            ]
        );
        let pending =
            order_status_changed(&moved(OrderStatus::Pending, OrderStatus::Cancelled, None));
        assert_eq!(
            texts(&pending),
            ["Your order 12 was cancelled.", "Order 12 was cancelled."]
        );
    }

    #[test]
    fn other_moves_tell_nobody() {
        assert!(
            order_status_changed(&moved(
                OrderStatus::Processing,
                OrderStatus::Completed,
                None
            ))
            .is_empty()
        );
    }

    #[test]
    fn low_stock_tells_the_store() {
        let drafts = stock_low(&StockLow {
            level: StockLevel {
                store_id: StoreId(3),
                product_id: ProductId(44),
                product_name: "Trek 820 - 2016".into(),
                on_hand: 5,
                reserved: 2,
                available: 3,
            },
            threshold: 5,
        });
        assert_eq!(
            texts(&drafts),
            [
                "Low stock at store 3: Trek 820 - 2016 (product 44) has 3 available (5 on hand, \
                 2 reserved); the threshold is 5."
            ]
        );
        assert_eq!(drafts[0].kind, NotificationKind::LowStock);
        assert_eq!(drafts[0].audience, Audience::Store);
    }

    #[test]
    fn a_finished_transfer_tells_both_stores() {
        let drafts = stock_transfer_done("T-9", StoreId(1), StoreId(2), 4);
        assert_eq!(
            texts(&drafts),
            [
                "Stock transfer T-9 is done: 4 units left store 1 for store 2.",
                "Stock transfer T-9 is done: 4 units arrived from store 1.",
            ]
        );
        assert_eq!(
            drafts
                .iter()
                .map(|draft| draft.store_id)
                .collect::<Vec<_>>(),
            [Some(StoreId(1)), Some(StoreId(2))]
        );
    }
}
