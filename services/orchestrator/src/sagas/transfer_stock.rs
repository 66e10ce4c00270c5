//! Transfer stock: reserve the units at the source store, receive them at the destination,
//! then commit the reservation at the source. If the destination cannot take them, the source
//! reservation is released; if the commit is refused, the destination's units are taken back
//! out. A commit that gave no answer may have taken effect: it is asked again and, answered,
//! the transfer completes (the source's units are gone, so nothing before it may be undone).

use bikestore_contracts::inventory::{
    AdjustStock, CommitReservation, ReceiveStock, ReleaseReservation, ReservationLine, ReserveStock,
};
use bikestore_contracts::sagas::{SagaPayload, TransferStockSaga};
use bikestore_contracts::{ReservationId, WireError};

use crate::engine::definition::StepSettings;
use crate::engine::{Call, Definition, Step, UnknownOutcome, missing};
use crate::sagas::{ignore_failure, wrong_kind};

/// The definition's name.
pub const NAME: &str = "transfer_stock";
/// Its current version.
pub const VERSION: u32 = 1;

fn saga(payload: &SagaPayload) -> Result<&TransferStockSaga, WireError> {
    match payload {
        SagaPayload::TransferStock(saga) => Ok(saga),
        _ => Err(wrong_kind(NAME)),
    }
}

/// Transfer stock, version 1.
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
            step(
                "reserve_at_source",
                reserve_at_source,
                Some(release_at_source),
            ),
            step(
                "receive_at_destination",
                receive_at_destination,
                Some(take_back_at_destination),
            ),
            step("commit_at_source", commit_at_source, None),
        ],
        on_failure: ignore_failure,
        reset: reserve_anew,
    }
}

/// A reservation ID for one run of a transfer: chosen once and kept in the record, so every
/// retry of the reservation finds the same one; random, so nobody can guess it and hold it
/// first (the saga ID is a digest of the caller's idempotency key, which may be predictable).
pub fn fresh_reservation_id() -> ReservationId {
    ReservationId(format!("transfer-{}", ulid::Ulid::new()))
}

/// An operator's new run reserves under a new ID: the last run's reservation was released,
/// and reserving under its ID again would only find that one.
fn reserve_anew(payload: &mut SagaPayload) {
    if let SagaPayload::TransferStock(saga) = payload {
        saga.reservation_id = Some(fresh_reservation_id());
    }
}

fn reserve_at_source(payload: &SagaPayload) -> Result<Option<Call>, WireError> {
    let saga = saga(payload)?;
    let request = ReserveStock {
        reservation_id: saga
            .reservation_id
            .clone()
            .ok_or_else(|| missing("reservation ID"))?,
        store_id: saga.from_store_id,
        lines: vec![ReservationLine {
            product_id: saga.product_id,
            quantity: saga.quantity,
        }],
    };
    Call::fire(&request).map(Some)
}

fn release_at_source(
    payload: &SagaPayload,
    _error: Option<&WireError>,
) -> Result<Option<Call>, WireError> {
    let Some(reservation_id) = saga(payload)?.reservation_id.clone() else {
        return Ok(None);
    };
    Call::fire(&ReleaseReservation { reservation_id }).map(Some)
}

fn receive_at_destination(payload: &SagaPayload) -> Result<Option<Call>, WireError> {
    let saga = saga(payload)?;
    let request = ReceiveStock {
        store_id: saga.to_store_id,
        product_id: saga.product_id,
        quantity: saga.quantity,
    };
    Call::fire(&request).map(Some)
}

fn take_back_at_destination(
    payload: &SagaPayload,
    _error: Option<&WireError>,
) -> Result<Option<Call>, WireError> {
    let saga = saga(payload)?;
    let request = AdjustStock {
        store_id: saga.to_store_id,
        product_id: saga.product_id,
        delta: -saga.quantity,
        reason: format!("transfer from store {} undone", saga.from_store_id),
    };
    Call::fire(&request).map(Some)
}

fn commit_at_source(payload: &SagaPayload) -> Result<Option<Call>, WireError> {
    let reservation_id = saga(payload)?
        .reservation_id
        .clone()
        .ok_or_else(|| missing("reservation ID"))?;
    Call::fire(&CommitReservation { reservation_id }).map(Some)
}
