//! One run of a saga's current step: the request to its participant, and what the outcome
//! does to the record (go on, retry, compensate, settle an unknown outcome, get stuck), told
//! back as a [`StepEnd`] that decides whether the record is written before the next step.

use std::time::Duration;

use bikestore_codec::ContentType;
use bikestore_contracts::sagas::{Outcome, Phase, SagaRecord, SagaState};
use bikestore_contracts::{ErrorCode, WireError};
use bikestore_runtime::call::CallOptions;
use bikestore_runtime::now_ms;
use tracing::{error, info, warn};

use super::definition::{Call, Definition, Step, UnknownOutcome};
use super::{Engine, OUTCOME_DETAIL, OUTCOME_UNKNOWN, record};

/// How many times as many attempts a compensation (or the repeat of a step of unknown outcome)
/// gets as an action before the saga is stuck: giving up on undoing leaves work for an
/// operator, giving up on doing only fails the saga.
const COMPENSATION_PERSISTENCE: u32 = 4;

/// How one run of a step left the saga, which decides whether the record is written before the
/// next step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StepEnd {
    /// The step (or its compensation) went through and the saga goes on the way it was going.
    /// The participant recorded its reply under the step's idempotency key, so the record
    /// need not be written before the next step: a driver that takes over from the last
    /// written record (this one died, or lost a compare-and-set) asks again, gets the
    /// recorded replies and arrives at the same record. What changes the saga's course (a
    /// failure, an unknown outcome, a retry, an end) is written before anything more is sent,
    /// since asking again might not answer the same.
    WentThrough,
    /// The saga's course changed, or it ended: the record is written first.
    Changed,
    /// The step waits for its retry, this long: the record is written, letting go of the
    /// lease.
    RetryAfter(Duration),
}

/// Whether a failed step's error tells nothing of whether the step was done before: no
/// answer, or an internal error, which participants do not record (a refusal they record is
/// answered the same to every repeat).
fn says_nothing(failure: &WireError) -> bool {
    failure.code.is_transient() || failure.code == ErrorCode::Internal
}

impl Engine {
    /// Runs the current step's action or compensation once and records the outcome in the
    /// record; answers how it left the saga ([`StepEnd`]), which says whether the record is
    /// written before the next step.
    ///
    /// A step given up with an unknown outcome (its last attempt timed out or went
    /// unanswered) may have taken effect, so it is compensated too: first its action is sent
    /// again under its own idempotency key, which the participant answers from its inbox if it
    /// was done (or does now), so its compensation has what it needs; a refusal of that repeat
    /// means it never happened and there is nothing to undo.
    pub(super) async fn run_step(&self, definition: &Definition, saga: &mut SagaRecord) -> StepEnd {
        let Some(index) = record::current_index(saga) else {
            return StepEnd::Changed;
        };
        let Some(step) = definition.steps.get(index) else {
            // A forward cursor past the end means every step is done.
            record::forward_done(saga, definition.steps.len());
            return StepEnd::Changed;
        };
        let phase = if saga.state == SagaState::Compensating {
            Phase::Compensation
        } else {
            Phase::Action
        };
        let reconciling = phase == Phase::Compensation && saga.uncertain_step == Some(index as u32);
        let attempt = saga.attempt + 1;
        let started_at_ms = now_ms();
        let (sent_phase, call) = match phase {
            Phase::Action => (Phase::Action, (step.action)(&saga.payload)),
            Phase::Compensation if reconciling => (Phase::Action, (step.action)(&saga.payload)),
            Phase::Compensation => (
                Phase::Compensation,
                match step.compensation {
                    Some(compensation) => compensation(&saga.payload, saga.error.as_ref()),
                    None => Ok(None),
                },
            ),
        };
        let (result, replayed) = match call {
            Ok(Some(call)) => match self.execute(saga, step, sent_phase, call).await {
                Ok(replayed) => (Ok(Outcome::Succeeded), replayed),
                Err(error) => (Err(error), None),
            },
            Ok(None) => (Ok(Outcome::Skipped), None),
            Err(error) => (Err(error), None),
        };
        // A step done now (not replayed), or refused as the participant records refusals, is
        // where the driver before stopped: it sends no step before the one ahead has
        // answered. No answer, an internal error or a participant too old to say which
        // replies it replays tells nothing.
        let caught_up = match &result {
            Ok(_) => replayed == Some(false),
            Err(failure) => !says_nothing(failure),
        };
        if caught_up {
            saga.may_be_behind = false;
        }
        let finished_at_ms = now_ms();
        let history = |outcome, error| {
            record::entry(
                step.name,
                sent_phase,
                attempt,
                outcome,
                error,
                started_at_ms,
                finished_at_ms,
            )
        };
        let max_attempts = match phase {
            Phase::Action => step.retry.max_attempts,
            Phase::Compensation => step
                .retry
                .max_attempts
                .saturating_mul(COMPENSATION_PERSISTENCE),
        };
        match (phase, result) {
            (Phase::Action, Ok(outcome)) => {
                record::push_history(saga, history(outcome, None));
                record::forward_done(saga, definition.steps.len());
                StepEnd::WentThrough
            }
            (Phase::Compensation, Ok(outcome)) if reconciling && step.compensation.is_none() => {
                info!(saga_id = %saga.saga_id, step = step.name, "the step of unknown outcome answered and cannot be undone; going on");
                record::push_history(saga, history(outcome, None));
                record::uncertain_step_went_through(saga, definition.steps.len());
                StepEnd::Changed
            }
            (Phase::Compensation, Ok(outcome)) if reconciling => {
                info!(saga_id = %saga.saga_id, step = step.name, "the step of unknown outcome answered; undoing it");
                record::push_history(saga, history(outcome, None));
                record::uncertainty_resolved(saga);
                StepEnd::Changed
            }
            (Phase::Compensation, Ok(outcome)) => {
                record::push_history(saga, history(outcome, None));
                info!(saga_id = %saga.saga_id, step = step.name, "step compensated");
                record::backward_done(saga);
                StepEnd::WentThrough
            }
            (_, Err(failure)) if failure.code.is_transient() && attempt < max_attempts => {
                let delay = step.retry.backoff(attempt);
                warn!(
                    saga_id = %saga.saga_id, step = step.name, ?phase, attempt, code = %failure.code,
                    error = %failure.message, retry_in_ms = delay.as_millis() as u64, "saga step failed; will retry"
                );
                record::push_history(saga, history(Outcome::Retrying, Some(failure)));
                record::schedule_retry(saga, finished_at_ms + delay.as_millis() as i64);
                StepEnd::RetryAfter(delay)
            }
            (Phase::Action, Err(failure)) if saga.may_be_behind && says_nothing(&failure) => {
                // Giving up would undo the steps before this one, and the driver before may
                // have done steps after it that the record does not show.
                let delay = step.retry.backoff(attempt);
                if attempt < max_attempts {
                    warn!(
                        saga_id = %saga.saga_id, step = step.name, attempt, code = %failure.code,
                        error = %failure.message, retry_in_ms = delay.as_millis() as u64,
                        "saga step failed, and the driver before this one may have gone further than the record shows; will retry"
                    );
                } else {
                    error!(
                        saga_id = %saga.saga_id, step = step.name, attempt, code = %failure.code,
                        error = %failure.message, retry_in_ms = delay.as_millis() as u64,
                        "saga step still fails past its attempts, and the driver before this one may have gone further than the record shows, so it is not given up: it is asked again until its participant answers (bring the participant back within its inbox retention)"
                    );
                }
                record::push_history(saga, history(Outcome::Retrying, Some(failure)));
                record::schedule_retry(saga, finished_at_ms + delay.as_millis() as i64);
                StepEnd::RetryAfter(delay)
            }
            (Phase::Action, Err(failure)) if failure.code.is_transient() => {
                let failure = failure.with_detail(OUTCOME_DETAIL, OUTCOME_UNKNOWN);
                warn!(
                    saga_id = %saga.saga_id, step = step.name, attempt, code = %failure.code,
                    error = %failure.message,
                    "saga step gave no answer; it may have taken effect, so its outcome is settled before anything is undone"
                );
                record::push_history(saga, history(Outcome::Failed, Some(failure.clone())));
                // A step that cannot be undone and may have taken effect must not have the
                // steps before it undone: it is asked again, and goes on if it answers.
                let undoable = step.compensation.is_some();
                if undoable {
                    (definition.on_failure)(&mut saga.payload, &failure);
                }
                let ask_again = step.unknown_outcome == UnknownOutcome::AskAgain || !undoable;
                record::start_compensating_uncertain(saga, failure, ask_again);
                StepEnd::Changed
            }
            (Phase::Action, Err(failure)) => {
                warn!(
                    saga_id = %saga.saga_id, step = step.name, attempt, code = %failure.code,
                    error = %failure.message, "saga step failed; compensating the steps done"
                );
                record::push_history(saga, history(Outcome::Failed, Some(failure.clone())));
                (definition.on_failure)(&mut saga.payload, &failure);
                record::start_compensating(saga, failure);
                StepEnd::Changed
            }
            (Phase::Compensation, Err(failure)) if reconciling && !failure.code.is_transient() => {
                info!(
                    saga_id = %saga.saga_id, step = step.name, code = %failure.code,
                    "the step of unknown outcome was refused when asked again: it never took effect"
                );
                if step.compensation.is_none() {
                    // Its failure is the saga's now (it was not when the step went unanswered):
                    // the reason the steps before it are undone.
                    (definition.on_failure)(&mut saga.payload, &failure);
                    saga.error = Some(failure.clone());
                }
                record::push_history(saga, history(Outcome::Failed, Some(failure)));
                record::uncertainty_resolved(saga);
                record::backward_done(saga);
                StepEnd::Changed
            }
            (Phase::Compensation, Err(failure)) => {
                error!(
                    saga_id = %saga.saga_id, step = step.name, attempt, code = %failure.code,
                    error = %failure.message, "saga compensation failed; the saga is stuck until an operator retries or resolves it"
                );
                record::push_history(saga, history(Outcome::Failed, Some(failure.clone())));
                record::get_stuck(saga, failure);
                StepEnd::Changed
            }
        }
    }

    /// Sends a step's request and applies the reply to the payload; answers whether the
    /// participant replayed a reply recorded before (`None`: it does not say).
    async fn execute(
        &self,
        saga: &mut SagaRecord,
        step: &Step,
        phase: Phase,
        call: Call,
    ) -> Result<Option<bool>, WireError> {
        let phase_name = match phase {
            Phase::Action => "action",
            Phase::Compensation => "compensation",
        };
        let step_key = format!("{}:{}", step.name, phase_name);
        let options = CallOptions {
            idempotency_key: Some(record::idempotency_key(saga, &step_key)),
            saga: Some((saga.saga_id.0.clone(), step_key)),
            traceparent: None,
            content_type: ContentType::Postcard,
            timeout: Some(step.timeout),
        };
        let reply = self
            .caller
            .call_raw(
                call.service,
                call.operation,
                call.body.clone(),
                call.schema_version,
                &options,
            )
            .await?;
        call.apply(&reply.body, &mut saga.payload)?;
        Ok(reply.replayed)
    }
}
