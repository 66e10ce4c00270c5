//! Payment rules: what each payment status allows, checked before the provider is called and
//! again under the writer.

use bikestore_contracts::orders::{OrderStatus, Payment, PaymentStatus};
use bikestore_contracts::{Cents, OrderId};

use super::status_name;
use crate::error::OrdersError;

/// The stored and wire name of a payment status.
pub fn payment_status_name(status: PaymentStatus) -> &'static str {
    match status {
        PaymentStatus::Authorized => "authorized",
        PaymentStatus::Captured => "captured",
        PaymentStatus::Voided => "voided",
        PaymentStatus::Refunded => "refunded",
        PaymentStatus::Declined => "declined",
    }
}

/// Every payment status.
pub const PAYMENT_STATUSES: [PaymentStatus; 5] = [
    PaymentStatus::Authorized,
    PaymentStatus::Captured,
    PaymentStatus::Voided,
    PaymentStatus::Refunded,
    PaymentStatus::Declined,
];

/// The longest card token accepted, in bytes.
pub const MAX_CARD_TOKEN_BYTES: usize = 200;

/// A card token's shape: 1 to [`MAX_CARD_TOKEN_BYTES`] printable ASCII characters without
/// spaces. Whether the provider issued it is the provider's to say. The reason never repeats
/// the token, which pays like a card.
pub fn card_token(token: &str) -> Result<&str, OrdersError> {
    if token.is_empty() || token.len() > MAX_CARD_TOKEN_BYTES {
        return Err(OrdersError::invalid(
            "card_token",
            format!("must be 1 to {MAX_CARD_TOKEN_BYTES} characters long"),
        ));
    }
    if !token.bytes().all(|byte| byte.is_ascii_graphic()) {
        return Err(OrdersError::invalid(
            "card_token",
            "may hold only printable ASCII characters without spaces",
        ));
    }
    Ok(token)
}

/// What cancelling an order does to one of its payments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneyBack {
    /// Drop the hold: the payment is authorized and not captured.
    Void,
    /// Give back what was captured and not yet refunded.
    Refund(Cents),
    /// Nothing is held or kept: declined, voided, or refunded in full.
    Nothing,
}

/// Voids an authorization, refunds the rest of a capture, leaves everything else.
pub fn money_back(payment: &Payment) -> MoneyBack {
    let rest = Cents(payment.captured.0 - payment.refunded.0);
    match payment.status {
        PaymentStatus::Authorized => MoneyBack::Void,
        PaymentStatus::Captured | PaymentStatus::Refunded if rest.0 > 0 => MoneyBack::Refund(rest),
        _ => MoneyBack::Nothing,
    }
}

/// Only a pending or processing order takes a new authorization.
pub fn check_takes_payment(order_id: OrderId, status: OrderStatus) -> Result<(), OrdersError> {
    match status {
        OrderStatus::Pending | OrderStatus::Processing => Ok(()),
        _ => Err(OrdersError::conflict(format!(
            "order {order_id} is {}; only a pending or processing order takes a payment",
            status_name(status)
        ))),
    }
}

fn must_be(payment: &Payment, allowed: &[PaymentStatus], action: &str) -> Result<(), OrdersError> {
    if allowed.contains(&payment.status) {
        return Ok(());
    }
    let allowed: Vec<&str> = allowed
        .iter()
        .map(|status| payment_status_name(*status))
        .collect();
    Err(OrdersError::conflict(format!(
        "payment {} is {}; it can be {action} only when {}",
        payment.payment_id,
        payment_status_name(payment.status),
        allowed.join(" or ")
    )))
}

/// One capture of at most the authorized amount, of an authorized payment.
pub fn check_capture(payment: &Payment, amount: Cents) -> Result<(), OrdersError> {
    must_be(payment, &[PaymentStatus::Authorized], "captured")?;
    if amount > payment.authorized {
        return Err(OrdersError::conflict(format!(
            "payment {}: a capture of {amount} exceeds the {} authorized",
            payment.payment_id, payment.authorized
        )));
    }
    Ok(())
}

/// A void drops an authorized payment that was not captured.
pub fn check_void(payment: &Payment) -> Result<(), OrdersError> {
    must_be(payment, &[PaymentStatus::Authorized], "voided")
}

/// Refunds of a captured payment add up to at most what was captured.
pub fn check_refund(payment: &Payment, amount: Cents) -> Result<(), OrdersError> {
    must_be(
        payment,
        &[PaymentStatus::Captured, PaymentStatus::Refunded],
        "refunded",
    )?;
    let left = Cents(payment.captured.0 - payment.refunded.0);
    if amount > left {
        return Err(OrdersError::conflict(format!(
            "payment {}: a refund of {amount} exceeds the {left} captured and not yet refunded",
            payment.payment_id
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use bikestore_contracts::PaymentId;
    use bikestore_contracts::orders::CardSummary;

    use bikestore_runtime::CoreError;

    use super::*;

    fn payment(status: PaymentStatus, authorized: i64, captured: i64, refunded: i64) -> Payment {
        Payment {
            payment_id: PaymentId(3),
            order_id: OrderId(1),
            status,
            authorized: Cents(authorized),
            captured: Cents(captured),
            refunded: Cents(refunded),
            card: CardSummary {
                brand: "visa".into(),
                last_four: "4242".into(),
                expiry_month: 1,
                expiry_year: 2030,
            },
            provider_reference: "ref".into(),
        }
    }

    #[test]
    fn capture_takes_at_most_the_authorization_once() {
        let authorized = payment(PaymentStatus::Authorized, 1_000, 0, 0);
        assert!(check_capture(&authorized, Cents(1_000)).is_ok());
        assert!(check_capture(&authorized, Cents(1_001)).is_err());
        let captured = payment(PaymentStatus::Captured, 1_000, 800, 0);
        let message = check_capture(&captured, Cents(100))
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            message.as_deref(),
            Some("payment 3 is captured; it can be captured only when authorized")
        );
        assert!(check_capture(&payment(PaymentStatus::Declined, 0, 0, 0), Cents(1)).is_err());
    }

    #[test]
    fn void_needs_an_uncaptured_authorization() {
        assert!(check_void(&payment(PaymentStatus::Authorized, 1_000, 0, 0)).is_ok());
        for status in [
            PaymentStatus::Captured,
            PaymentStatus::Voided,
            PaymentStatus::Refunded,
            PaymentStatus::Declined,
        ] {
            assert!(check_void(&payment(status, 1_000, 0, 0)).is_err());
        }
    }

    #[test]
    fn refunds_add_up_to_at_most_the_capture() {
        let captured = payment(PaymentStatus::Captured, 1_000, 800, 0);
        assert!(check_refund(&captured, Cents(800)).is_ok());
        assert!(check_refund(&captured, Cents(801)).is_err());
        let partly = payment(PaymentStatus::Refunded, 1_000, 800, 500);
        assert!(check_refund(&partly, Cents(300)).is_ok());
        assert!(check_refund(&partly, Cents(301)).is_err());
        assert!(check_refund(&payment(PaymentStatus::Authorized, 1_000, 0, 0), Cents(1)).is_err());
    }

    #[test]
    fn cancelling_voids_holds_refunds_the_rest_and_leaves_the_settled() {
        let cases = [
            (
                payment(PaymentStatus::Authorized, 1_000, 0, 0),
                MoneyBack::Void,
            ),
            (
                payment(PaymentStatus::Captured, 1_000, 800, 0),
                MoneyBack::Refund(Cents(800)),
            ),
            (
                payment(PaymentStatus::Refunded, 1_000, 800, 500),
                MoneyBack::Refund(Cents(300)),
            ),
            (
                payment(PaymentStatus::Refunded, 1_000, 800, 800),
                MoneyBack::Nothing,
            ),
            (
                payment(PaymentStatus::Voided, 1_000, 0, 0),
                MoneyBack::Nothing,
            ),
            (
                payment(PaymentStatus::Declined, 0, 0, 0),
                MoneyBack::Nothing,
            ),
        ];
        for (payment, expected) in cases {
            assert_eq!(money_back(&payment), expected, "{payment:?}");
        }
    }

    #[test]
    fn card_tokens_are_bounded_printable_and_never_echoed() {
        assert_eq!(card_token("tok_sim_x").ok(), Some("tok_sim_x"));
        let long = "t".repeat(MAX_CARD_TOKEN_BYTES + 1);
        for bad in ["", "tok sim", "tok\u{7}", "t\u{f6}k", long.as_str()] {
            match card_token(bad) {
                Err(OrdersError::Common(CoreError::Invalid { field, reason })) => {
                    assert_eq!(field, "card_token");
                    assert!(bad.is_empty() || !reason.contains(bad), "{reason}");
                }
                other => panic!("expected invalid, got {other:?}"),
            }
        }
    }

    #[test]
    fn only_open_orders_take_payments() {
        assert!(check_takes_payment(OrderId(1), OrderStatus::Pending).is_ok());
        assert!(check_takes_payment(OrderId(1), OrderStatus::Processing).is_ok());
        assert!(check_takes_payment(OrderId(1), OrderStatus::Completed).is_err());
    }
}
