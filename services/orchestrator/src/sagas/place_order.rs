//! Place order: create the order (pending), reserve its stock, authorize and capture the
//! payment, commit the stock, and confirm the order (processing). A business refusal (too
//! little stock, a declined card) undoes the steps done in reverse: the stock is given back,
//! the payment voided or refunded, and the order rejected with the reason, which notifies the
//! customer.

use bikestore_contracts::inventory::{
    CommitReservation, ReleaseReservation, ReservationLine, ReserveStock, ReturnReservation,
};
use bikestore_contracts::orders::{
    AuthorizeWithToken, CancelOrderPayments, CapturePayment, ChangeOrderStatus, CreateOrder,
    OrderStatus, RefundPayment, VoidPayment,
};
use bikestore_contracts::sagas::{PlaceOrderSaga, SagaPayload};
use bikestore_contracts::{ReservationId, WireError};

use crate::engine::definition::StepSettings;
use crate::engine::{Call, Definition, Step, UnknownOutcome, missing};
use crate::sagas::wrong_kind;

/// The definition's name.
pub const NAME: &str = "place_order";
/// Its current version.
pub const VERSION: u32 = 1;

fn saga(payload: &SagaPayload) -> Result<&PlaceOrderSaga, WireError> {
    match payload {
        SagaPayload::PlaceOrder(saga) => Ok(saga),
        _ => Err(wrong_kind(NAME)),
    }
}

fn saga_mut(payload: &mut SagaPayload) -> Option<&mut PlaceOrderSaga> {
    match payload {
        SagaPayload::PlaceOrder(saga) => Some(saga),
        _ => None,
    }
}

/// The reservation an order's stock was held under in records written before each run chose
/// its own ([`PlaceOrderSaga::reserve_as`]): derived from the order, so anyone could guess the
/// next one and reserve it first.
pub fn reservation_for(order: bikestore_contracts::OrderId) -> ReservationId {
    ReservationId(format!("order-{order}"))
}

/// A reservation ID for one run of a saga: a ULID, whose 80 random bits nobody can guess, so
/// nobody can hold it first and make the saga's reservation conflict. It is chosen before the
/// step and kept in the record, so every retry of the step reserves under the same ID. It is
/// not derived from the saga ID: that is a digest of the caller's idempotency key, which a
/// caller may choose predictably.
pub fn fresh_reservation_id() -> ReservationId {
    ReservationId(format!("sale-{}", ulid::Ulid::new()))
}

/// The reservation this run reserves under.
fn reservation_of(saga: &PlaceOrderSaga) -> Result<ReservationId, WireError> {
    match (&saga.reserve_as, saga.order_id) {
        (Some(reservation_id), _) => Ok(reservation_id.clone()),
        (None, Some(order_id)) => Ok(reservation_for(order_id)),
        (None, None) => Err(missing("order")),
    }
}

/// Place order, version 1.
pub fn definition(settings: StepSettings) -> Definition {
    let step = |name, action, compensation| Step {
        name,
        action,
        compensation,
        timeout: settings.timeout,
        retry: settings.retry,
        unknown_outcome: UnknownOutcome::AskAgain,
    };
    Definition {
        name: NAME,
        version: VERSION,
        steps: vec![
            step("create_order", create_order, Some(reject_order)),
            step("reserve_stock", reserve_stock, Some(release_stock)),
            // A provider that did not answer may not answer a repeat either: void whatever the
            // order holds instead.
            Step {
                unknown_outcome: UnknownOutcome::UndoBlind,
                ..step("authorize_payment", authorize_payment, Some(void_payment))
            },
            step("capture_payment", capture_payment, Some(refund_payment)),
            step("commit_reservation", commit_reservation, Some(return_stock)),
            step("confirm_order", confirm_order, None),
        ],
        on_failure: |payload, error| {
            if let Some(saga) = saga_mut(payload) {
                saga.failure_reason = Some(error.message.clone());
            }
        },
        reset: |payload| {
            if let Some(saga) = saga_mut(payload) {
                saga.order_id = None;
                saga.total = None;
                saga.reservation_id = None;
                saga.payment_id = None;
                saga.captured = false;
                saga.failure_reason = None;
                // A new run must not find the last run's released reservation under its ID.
                saga.reserve_as = Some(fresh_reservation_id());
            }
        },
    }
}

fn create_order(payload: &SagaPayload) -> Result<Option<Call>, WireError> {
    let saga = saga(payload)?;
    let request = CreateOrder {
        customer_id: saga.customer_id,
        store_id: saga.store_id,
        staff_id: saga.staff_id,
        lines: saga.lines.clone(),
        required_date: None,
        reservation_id: saga.reserve_as.clone(),
    };
    Call::new(&request, |created, payload| {
        if let Some(saga) = saga_mut(payload) {
            saga.order_id = Some(created.order_id);
            saga.total = Some(created.total);
        }
    })
    .map(Some)
}

fn reject_order(
    payload: &SagaPayload,
    error: Option<&WireError>,
) -> Result<Option<Call>, WireError> {
    let saga = saga(payload)?;
    let Some(order_id) = saga.order_id else {
        return Ok(None);
    };
    let reason = saga
        .failure_reason
        .clone()
        .or_else(|| error.map(|error| error.message.clone()));
    Call::fire(&ChangeOrderStatus {
        order_id,
        to: OrderStatus::Rejected,
        reason,
    })
    .map(Some)
}

fn reserve_stock(payload: &SagaPayload) -> Result<Option<Call>, WireError> {
    let saga = saga(payload)?;
    let request = ReserveStock {
        reservation_id: reservation_of(saga)?,
        store_id: saga.store_id,
        lines: saga
            .lines
            .iter()
            .map(|line| ReservationLine {
                product_id: line.product_id,
                quantity: line.quantity,
            })
            .collect(),
    };
    Call::new(&request, |reservation, payload| {
        if let Some(saga) = saga_mut(payload) {
            saga.reservation_id = Some(reservation.reservation_id);
        }
    })
    .map(Some)
}

fn release_stock(
    payload: &SagaPayload,
    _error: Option<&WireError>,
) -> Result<Option<Call>, WireError> {
    let Some(reservation_id) = saga(payload)?.reservation_id.clone() else {
        return Ok(None);
    };
    Call::fire(&ReleaseReservation { reservation_id }).map(Some)
}

fn authorize_payment(payload: &SagaPayload) -> Result<Option<Call>, WireError> {
    let saga = saga(payload)?;
    let request = AuthorizeWithToken {
        order_id: saga.order_id.ok_or_else(|| missing("order"))?,
        amount: saga.total.ok_or_else(|| missing("order total"))?,
        card_token: saga.card_token.clone(),
    };
    Call::new(&request, |payment, payload| {
        if let Some(saga) = saga_mut(payload) {
            saga.payment_id = Some(payment.payment_id);
        }
    })
    .map(Some)
}

fn void_payment(
    payload: &SagaPayload,
    _error: Option<&WireError>,
) -> Result<Option<Call>, WireError> {
    let saga = saga(payload)?;
    // A captured payment was already refunded by the step after this one. Without a payment
    // the authorization's outcome is unknown: whatever the order holds is voided.
    match (saga.payment_id, saga.order_id) {
        (Some(payment_id), _) if !saga.captured => {
            Call::fire(&VoidPayment { payment_id }).map(Some)
        }
        (None, Some(order_id)) => Call::fire(&CancelOrderPayments { order_id }).map(Some),
        _ => Ok(None),
    }
}

fn capture_payment(payload: &SagaPayload) -> Result<Option<Call>, WireError> {
    let saga = saga(payload)?;
    let request = CapturePayment {
        payment_id: saga.payment_id.ok_or_else(|| missing("payment"))?,
        amount: saga.total.ok_or_else(|| missing("order total"))?,
    };
    Call::new(&request, |_payment, payload| {
        if let Some(saga) = saga_mut(payload) {
            saga.captured = true;
        }
    })
    .map(Some)
}

fn refund_payment(
    payload: &SagaPayload,
    _error: Option<&WireError>,
) -> Result<Option<Call>, WireError> {
    let saga = saga(payload)?;
    match (saga.payment_id, saga.total) {
        (Some(payment_id), Some(amount)) if saga.captured => {
            Call::fire(&RefundPayment { payment_id, amount }).map(Some)
        }
        _ => Ok(None),
    }
}

fn commit_reservation(payload: &SagaPayload) -> Result<Option<Call>, WireError> {
    let reservation_id = saga(payload)?
        .reservation_id
        .clone()
        .ok_or_else(|| missing("reservation"))?;
    Call::fire(&CommitReservation { reservation_id }).map(Some)
}

fn return_stock(
    payload: &SagaPayload,
    _error: Option<&WireError>,
) -> Result<Option<Call>, WireError> {
    let Some(reservation_id) = saga(payload)?.reservation_id.clone() else {
        return Ok(None);
    };
    Call::fire(&ReturnReservation { reservation_id }).map(Some)
}

fn confirm_order(payload: &SagaPayload) -> Result<Option<Call>, WireError> {
    let order_id = saga(payload)?.order_id.ok_or_else(|| missing("order"))?;
    Call::fire(&ChangeOrderStatus {
        order_id,
        to: OrderStatus::Processing,
        reason: None,
    })
    .map(Some)
}
