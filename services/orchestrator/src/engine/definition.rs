//! What a saga definition is: declared data. An ordered list of steps, each with an action
//! request, an optional compensation request, a timeout and a retry policy. The engine drives
//! any definition; no saga has a hand-written state machine.

use std::time::Duration;

use bikestore_codec::ContentType;
use bikestore_contracts::backoff::Backoff;
use bikestore_contracts::sagas::SagaPayload;
use bikestore_contracts::{ErrorCode, Request, ServiceName, WireError};

/// How a step retries an infrastructure failure (timeout, unavailable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The delay before the second attempt; it doubles after each, with jitter.
    pub initial_backoff: Duration,
    /// The longest delay.
    pub max_backoff: Duration,
}

impl RetryPolicy {
    /// The delay before attempt `attempt + 1`: exponential with up to 50% random jitter
    /// ([`Backoff`]), so replicas retrying a shared dependency do not move in lock step.
    pub fn backoff(&self, attempt: u32) -> Duration {
        Backoff::new(self.initial_backoff, self.max_backoff).delay(attempt)
    }
}

/// One request a step sends, type-erased so one engine can run every definition: the encoded
/// body, where it goes, and how its reply changes the saga's payload.
pub struct Call {
    /// The participant.
    pub service: ServiceName,
    /// Its operation.
    pub operation: &'static str,
    /// The postcard body.
    pub body: Vec<u8>,
    /// The schema version of the body.
    pub schema_version: u16,
    apply: ApplyReply,
}

/// Decodes a step's reply and records what the saga needs from it.
type ApplyReply = Box<dyn FnOnce(&[u8], &mut SagaPayload) -> Result<(), WireError> + Send>;

impl std::fmt::Debug for Call {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Call")
            .field("service", &self.service)
            .field("operation", &self.operation)
            .finish_non_exhaustive()
    }
}

impl Call {
    /// A call of `request` whose reply is handed to `apply` with the payload.
    pub fn new<R, F>(request: &R, apply: F) -> Result<Call, WireError>
    where
        R: Request,
        F: FnOnce(R::Reply, &mut SagaPayload) + Send + 'static,
    {
        let body = bikestore_codec::encode(ContentType::Postcard, request)
            .map_err(|error| WireError::new(ErrorCode::Internal, error.to_string()))?;
        Ok(Call {
            service: R::SERVICE,
            operation: R::OPERATION,
            body,
            schema_version: R::SCHEMA_VERSION,
            apply: Box::new(move |reply_body, payload| {
                let reply = bikestore_codec::decode::<R::Reply>(
                    ContentType::Postcard,
                    None,
                    reply_body,
                    usize::MAX,
                )
                .map_err(|error| {
                    WireError::new(
                        ErrorCode::Internal,
                        format!("{} replied with an unreadable body: {error}", R::OPERATION),
                    )
                })?;
                apply(reply, payload);
                Ok(())
            }),
        })
    }

    /// A call whose reply needs no bookkeeping.
    pub fn fire<R: Request>(request: &R) -> Result<Call, WireError> {
        Call::new(request, |_reply, _payload| {})
    }

    /// Applies the reply body to the payload.
    pub fn apply(self, reply_body: &[u8], payload: &mut SagaPayload) -> Result<(), WireError> {
        (self.apply)(reply_body, payload)
    }
}

/// Builds a step's action from the payload; `Ok(None)` means there is nothing to do.
pub type ActionBuilder = fn(&SagaPayload) -> Result<Option<Call>, WireError>;

/// Builds a step's compensation from the payload and the error that made the saga fail.
pub type CompensationBuilder =
    fn(&SagaPayload, Option<&WireError>) -> Result<Option<Call>, WireError>;

/// How a step given up with an unknown outcome (it may have taken effect) is undone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownOutcome {
    /// Send the action again under its idempotency key first: the participant answers a
    /// repeat from its inbox (or does it now), so the compensation learns what to undo (an
    /// order's number, a payment's); a refusal means it never happened.
    AskAgain,
    /// The compensation undoes it from what the saga knew before the step (voiding every
    /// payment of the order, say), answering "nothing to undo" as success. For steps whose
    /// repeat could hang as the first attempt did (a card provider that does not answer).
    UndoBlind,
}

/// One step of a saga.
pub struct Step {
    /// Its name, in history and logs, and part of its idempotency key.
    pub name: &'static str,
    /// The request that does the step.
    pub action: ActionBuilder,
    /// The request that undoes it, if it can be undone.
    pub compensation: Option<CompensationBuilder>,
    /// How long one attempt may take.
    pub timeout: Duration,
    /// How infrastructure failures are retried.
    pub retry: RetryPolicy,
    /// How it is undone when its outcome is unknown; steps without a compensation need
    /// nothing.
    pub unknown_outcome: UnknownOutcome,
}

/// A saga definition: a name, a version, and its steps in order.
pub struct Definition {
    /// The saga's name, e.g. `place_order`.
    pub name: &'static str,
    /// Its version; a record started under one version finishes under it.
    pub version: u32,
    /// The steps.
    pub steps: Vec<Step>,
    /// Records the error that made the saga fail in the payload (for example, the reason a
    /// customer is told), before compensation starts.
    pub on_failure: fn(&mut SagaPayload, &WireError),
    /// Clears what the steps learned, before an operator re-runs a failed saga.
    pub reset: fn(&mut SagaPayload),
}

/// Timeouts and retry policies, from configuration, so tests can run them in milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct StepSettings {
    /// How long one attempt may take.
    pub timeout: Duration,
    /// How failures are retried.
    pub retry: RetryPolicy,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_jitter_and_is_capped() {
        let policy = RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(1_000),
        };
        for attempt in [0, 1, 2, 3, 4, 5, 6, 9, 16, 17, 40, u32::MAX] {
            let full = Duration::from_millis(100u64 << attempt.saturating_sub(1).min(4))
                .min(Duration::from_millis(1_000));
            let delay = policy.backoff(attempt);
            assert!(
                delay <= full && delay >= full / 2,
                "attempt {attempt}: {delay:?}"
            );
        }
    }
}
