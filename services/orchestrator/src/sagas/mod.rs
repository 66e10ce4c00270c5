//! The saga definitions: declared steps only, driven by the one engine.

pub mod cancel_order;
pub mod place_order;
pub mod transfer_stock;

use bikestore_contracts::WireError;
use bikestore_contracts::sagas::SagaPayload;

use crate::engine::Definition;
use crate::engine::definition::StepSettings;

/// Every definition this orchestrator runs, in every version it still knows.
pub fn all(settings: StepSettings) -> Vec<Definition> {
    vec![
        place_order::definition(settings),
        cancel_order::definition(settings),
        transfer_stock::definition(settings),
    ]
}

/// A payload of the wrong kind for a definition: a bug, reported as a failed step.
pub fn wrong_kind(expected: &str) -> WireError {
    WireError::new(
        bikestore_contracts::ErrorCode::Internal,
        format!("the saga's payload is not a {expected} payload"),
    )
}

/// A definition's `on_failure` for sagas that keep no failure reason.
pub fn ignore_failure(_payload: &mut SagaPayload, _error: &WireError) {}

/// A definition's `reset` for sagas whose payload holds only their input.
pub fn keep_payload(_payload: &mut SagaPayload) {}
