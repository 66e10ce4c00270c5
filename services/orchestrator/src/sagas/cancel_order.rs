//! Cancel order: mark the order cancelled, give its money back (void or refund), and put its
//! stock back (release or return). Each step is safe to repeat and none can be undone, so
//! there are no compensations: once the order is cancelled the saga only moves forward. A step
//! refused fails the saga with its error; a step that keeps failing on infrastructure is asked
//! again (it may have taken effect) and, still failing, leaves the saga stuck for an operator,
//! whose retry asks again and goes on.

use bikestore_contracts::WireError;
use bikestore_contracts::inventory::ReturnReservation;
use bikestore_contracts::orders::{CancelOrderPayments, ChangeOrderStatus, OrderStatus};
use bikestore_contracts::sagas::{CancelOrderSaga, SagaPayload};

use crate::engine::definition::StepSettings;
use crate::engine::{Call, Definition, Step, UnknownOutcome};
use crate::sagas::place_order::reservation_for;
use crate::sagas::{ignore_failure, keep_payload, wrong_kind};

/// The definition's name.
pub const NAME: &str = "cancel_order";
/// Its current version.
pub const VERSION: u32 = 1;

fn saga(payload: &SagaPayload) -> Result<&CancelOrderSaga, WireError> {
    match payload {
        SagaPayload::CancelOrder(saga) => Ok(saga),
        _ => Err(wrong_kind(NAME)),
    }
}

/// Cancel order, version 1.
pub fn definition(settings: StepSettings) -> Definition {
    let step = |name, action| Step {
        name,
        action,
        compensation: None,
        timeout: settings.timeout,
        retry: settings.retry,
        unknown_outcome: UnknownOutcome::AskAgain,
    };
    Definition {
        name: NAME,
        version: VERSION,
        steps: vec![
            step("cancel_order", cancel_order),
            step("give_money_back", give_money_back),
            step("put_stock_back", put_stock_back),
        ],
        on_failure: ignore_failure,
        reset: keep_payload,
    }
}

fn cancel_order(payload: &SagaPayload) -> Result<Option<Call>, WireError> {
    let saga = saga(payload)?;
    let request = ChangeOrderStatus {
        order_id: saga.order_id,
        to: OrderStatus::Cancelled,
        reason: Some(saga.reason.clone()),
    };
    // A record written before the intake read the order's store learns it from the order; the
    // reservation holding the order's stock is learnt here too.
    Call::new(&request, |order, payload| {
        if let SagaPayload::CancelOrder(saga) = payload {
            saga.store_id.get_or_insert(order.store_id);
            saga.reservation_id = order.reservation_id;
        }
    })
    .map(Some)
}

fn give_money_back(payload: &SagaPayload) -> Result<Option<Call>, WireError> {
    Call::fire(&CancelOrderPayments {
        order_id: saga(payload)?.order_id,
    })
    .map(Some)
}

fn put_stock_back(payload: &SagaPayload) -> Result<Option<Call>, WireError> {
    let saga = saga(payload)?;
    // Orders placed before each saga chose its reservation at random name none.
    let reservation_id = saga
        .reservation_id
        .clone()
        .unwrap_or_else(|| reservation_for(saga.order_id));
    Call::fire(&ReturnReservation { reservation_id }).map(Some)
}
