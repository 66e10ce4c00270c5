//! Pure changes to a saga record: what happens to it when a step succeeds, fails or is
//! retried. No IO, so the rules are unit-tested on their own; the one side effect is
//! [`push_history`] counting each step attempt in the metrics.

use bikestore_contracts::WireError;
use bikestore_contracts::sagas::{
    HistoryEntry, Outcome, Phase, PlaceOrderSaga, SagaId, SagaPayload, SagaRecord, SagaState,
};

/// The newest history entries a record keeps; older ones are counted, not kept.
pub const HISTORY_LIMIT: usize = 64;

/// Appends an entry, dropping the oldest past [`HISTORY_LIMIT`].
pub fn push_history(record: &mut SagaRecord, entry: HistoryEntry) {
    crate::metrics::step_recorded(&record.definition, &entry);
    record.history.push(entry);
    if record.history.len() > HISTORY_LIMIT {
        let excess = record.history.len() - HISTORY_LIMIT;
        record.history.drain(..excess);
        record.history_dropped = record.history_dropped.saturating_add(excess as u32);
    }
}

/// The step index a record is working on in its current phase: forward, the current step;
/// backward, the step below the cursor.
pub fn current_index(record: &SagaRecord) -> Option<usize> {
    match record.state {
        SagaState::Running => Some(record.step as usize),
        SagaState::Compensating => (record.step as usize).checked_sub(1),
        _ => None,
    }
}

/// A step attempt's history entry.
pub fn entry(
    step: &str,
    phase: Phase,
    attempt: u32,
    outcome: Outcome,
    error: Option<WireError>,
    started_at_ms: i64,
    finished_at_ms: i64,
) -> HistoryEntry {
    HistoryEntry {
        step: step.to_owned(),
        phase,
        attempt,
        outcome,
        error,
        started_at_ms,
        finished_at_ms,
    }
}

/// Moves forward past a step that succeeded (or was skipped); completes the saga after the
/// last step.
pub fn forward_done(record: &mut SagaRecord, step_count: usize) {
    record.step += 1;
    record.completed_steps = record.step;
    record.attempt = 0;
    record.retry_at_ms = None;
    if record.step as usize >= step_count {
        record.state = SagaState::Completed;
    }
}

/// Turns a forward failure into compensation of the steps done, newest first; with nothing
/// done, the saga has failed at once.
pub fn start_compensating(record: &mut SagaRecord, error: WireError) {
    record.error = Some(error);
    record.attempt = 0;
    record.retry_at_ms = None;
    record.step = record.completed_steps;
    record.state = if record.step == 0 {
        SagaState::Failed
    } else {
        SagaState::Compensating
    };
}

/// Turns a forward step whose outcome is unknown (its last attempt timed out or went
/// unanswered: it may have taken effect) into compensation that includes it, after asking its
/// action again if `ask_again` ([`SagaRecord::uncertain_step`]).
pub fn start_compensating_uncertain(record: &mut SagaRecord, error: WireError, ask_again: bool) {
    let uncertain = record.completed_steps;
    start_compensating(record, error);
    record.step = uncertain + 1;
    record.uncertain_step = ask_again.then_some(uncertain);
    record.state = SagaState::Compensating;
}

/// The uncertain step's action answered (done before, or done now): it is undone next like
/// any step done.
pub fn uncertainty_resolved(record: &mut SagaRecord) {
    record.uncertain_step = None;
    record.attempt = 0;
    record.retry_at_ms = None;
}

/// The uncertain step, one without a compensation, answered when asked again: it took effect
/// and cannot be undone, so the saga goes on forward from the step after it.
pub fn uncertain_step_went_through(record: &mut SagaRecord, step_count: usize) {
    let index = record.step.saturating_sub(1);
    uncertainty_resolved(record);
    record.error = None;
    record.state = SagaState::Running;
    record.step = index;
    forward_done(record, step_count);
}

/// Moves backward past a step that was compensated (or had nothing to undo); the saga has
/// failed, cleanly, once the first step is undone.
pub fn backward_done(record: &mut SagaRecord) {
    record.step = record.step.saturating_sub(1);
    record.attempt = 0;
    record.retry_at_ms = None;
    if record.step == 0 {
        record.state = SagaState::Failed;
    }
}

/// Schedules another attempt of the current step.
pub fn schedule_retry(record: &mut SagaRecord, retry_at_ms: i64) {
    record.attempt += 1;
    record.retry_at_ms = Some(retry_at_ms);
}

/// A compensation that cannot succeed: the saga waits for an operator.
pub fn get_stuck(record: &mut SagaRecord, error: WireError) {
    record.error = Some(error);
    record.retry_at_ms = None;
    record.state = SagaState::Stuck;
}

/// The record as its intake created it: at its first step of the same run, nothing done, no
/// error, no driver, and the place-order payload without what its steps filled in (order,
/// total, reservation, payment, capture, failure).
///
/// A backup keeps a saga created while the databases were being copied in this form, never
/// a later one: its participants' copies may predate any of its steps, and a record older than
/// its participants only re-runs steps whose replies their inboxes keep, whereas a newer one
/// would count on steps nobody remembers (ARCHITECTURE.md, "Backup and restore").
pub fn as_created(record: &SagaRecord) -> SagaRecord {
    let payload = match &record.payload {
        SagaPayload::PlaceOrder(saga) => SagaPayload::PlaceOrder(PlaceOrderSaga {
            order_id: None,
            total: None,
            reservation_id: None,
            payment_id: None,
            captured: false,
            failure_reason: None,
            ..saga.clone()
        }),
        // Everything a cancel-order or transfer-stock record holds is settled at intake.
        other => other.clone(),
    };
    SagaRecord {
        run: record.run,
        keys_by_time: record.keys_by_time,
        // Its participants may have done any of its steps: each is asked again, and one that
        // gives no answer must not be given up.
        may_be_behind: true,
        traceparent: record.traceparent.clone(),
        ..at_first_step(
            record.saga_id.clone(),
            &record.definition,
            record.version,
            payload,
            record.created_at_ms,
        )
    }
}

/// A new record of `definition` at `version`, at its first step of its first run, nothing
/// done, created at `now_ms`.
pub fn at_first_step(
    saga_id: SagaId,
    definition: &str,
    version: u32,
    payload: SagaPayload,
    now_ms: i64,
) -> SagaRecord {
    SagaRecord {
        saga_id,
        definition: definition.to_owned(),
        version,
        state: SagaState::Running,
        step: 0,
        attempt: 0,
        run: 0,
        completed_steps: 0,
        payload,
        error: None,
        history: Vec::new(),
        history_dropped: 0,
        retry_at_ms: None,
        resolution: None,
        lease: None,
        uncertain_step: None,
        may_be_behind: false,
        created_at_ms: now_ms,
        keys_by_time: true,
        updated_at_ms: now_ms,
        traceparent: None,
    }
}

/// The idempotency key of one step of `saga` (`step_key`: the step's name and phase): the same
/// for every attempt and every driver of this run, and new for each run an operator starts.
///
/// A saga's keys begin with its creation time (milliseconds, in 12 hexadecimal digits, so that
/// their text sorts as the times do) when [`SagaRecord::keys_by_time`]: the participants'
/// inboxes are keyed by them, and a digest first (the saga ID) put every step's row on a page
/// of its own, each one more page for a commit to write. A record from before keeps the keys
/// its participants recorded.
pub fn idempotency_key(saga: &SagaRecord, step_key: &str) -> String {
    if saga.keys_by_time {
        format!(
            "{:012x}:{}:{}:{step_key}",
            saga.created_at_ms, saga.saga_id, saga.run
        )
    } else {
        format!("{}:{}:{step_key}", saga.saga_id, saga.run)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use bikestore_contracts::sagas::CancelOrderSaga;
    use bikestore_contracts::{ErrorCode, OrderId};

    use super::*;

    /// A running cancel-order record at its first step.
    pub(crate) fn record() -> SagaRecord {
        let payload = SagaPayload::CancelOrder(CancelOrderSaga {
            order_id: OrderId(1),
            reason: "r".into(),
            store_id: None,
            reservation_id: None,
        });
        at_first_step(SagaId("s".into()), "test", 1, payload, 0)
    }

    #[test]
    fn forward_then_failure_compensates_the_done_steps_in_reverse() {
        let mut saga = record();
        forward_done(&mut saga, 3);
        forward_done(&mut saga, 3);
        start_compensating(
            &mut saga,
            WireError::new(ErrorCode::PaymentDeclined, "declined"),
        );
        assert_eq!(
            (saga.state, current_index(&saga)),
            (SagaState::Compensating, Some(1))
        );
        backward_done(&mut saga);
        assert_eq!(current_index(&saga), Some(0));
        backward_done(&mut saga);
        assert_eq!(saga.state, SagaState::Failed);
    }

    #[test]
    fn a_step_of_unknown_outcome_is_compensated_too_after_its_action_is_asked_again() {
        let mut saga = record();
        forward_done(&mut saga, 3);
        start_compensating_uncertain(&mut saga, WireError::new(ErrorCode::Timeout, "late"), true);
        assert_eq!(
            (saga.state, current_index(&saga), saga.uncertain_step),
            (SagaState::Compensating, Some(1), Some(1))
        );
        uncertainty_resolved(&mut saga);
        assert_eq!((current_index(&saga), saga.uncertain_step), (Some(1), None));
        backward_done(&mut saga);
        backward_done(&mut saga);
        assert_eq!(saga.state, SagaState::Failed);

        // Even the first step: its effect may exist, so the saga compensates it.
        let mut first = record();
        start_compensating_uncertain(
            &mut first,
            WireError::new(ErrorCode::Timeout, "late"),
            false,
        );
        assert_eq!(
            (first.state, current_index(&first), first.uncertain_step),
            (SagaState::Compensating, Some(0), None)
        );
    }

    #[test]
    fn a_step_of_unknown_outcome_without_compensation_goes_on_once_it_answers() {
        // The second of three steps timed out; asked again, it answered.
        let mut saga = record();
        forward_done(&mut saga, 3);
        start_compensating_uncertain(&mut saga, WireError::new(ErrorCode::Timeout, "late"), true);
        uncertain_step_went_through(&mut saga, 3);
        assert_eq!(
            (saga.state, current_index(&saga), saga.completed_steps),
            (SagaState::Running, Some(2), 2)
        );
        assert_eq!((saga.uncertain_step, saga.error.is_none()), (None, true));

        // The last step answering completes the saga.
        forward_done(&mut saga, 3);
        start_compensating_uncertain(&mut saga, WireError::new(ErrorCode::Timeout, "late"), true);
        uncertain_step_went_through(&mut saga, 3);
        assert_eq!(saga.state, SagaState::Completed);
    }

    #[test]
    fn a_failure_of_the_first_step_fails_at_once() {
        let mut saga = record();
        start_compensating(&mut saga, WireError::new(ErrorCode::Invalid, "bad"));
        assert_eq!(saga.state, SagaState::Failed);
    }

    #[test]
    fn the_last_step_completes_the_saga() {
        let mut saga = record();
        forward_done(&mut saga, 1);
        assert_eq!(saga.state, SagaState::Completed);
    }

    #[test]
    fn history_keeps_the_newest_entries() {
        let mut saga = record();
        for attempt in 0..(HISTORY_LIMIT as u32 + 10) {
            push_history(
                &mut saga,
                entry("s", Phase::Action, attempt, Outcome::Retrying, None, 0, 0),
            );
        }
        assert_eq!(saga.history.len(), HISTORY_LIMIT);
        assert_eq!(saga.history_dropped, 10);
        assert_eq!(saga.history[0].attempt, 10);
    }

    #[test]
    fn as_created_forgets_every_step_and_keeps_the_intakes_choices() {
        let mut saga = record();
        forward_done(&mut saga, 3);
        start_compensating(&mut saga, WireError::new(ErrorCode::Timeout, "late"));
        saga.lease = Some(bikestore_contracts::sagas::Lease {
            holder: "driver".into(),
            until_ms: 5,
        });
        saga.created_at_ms = 7;
        saga.updated_at_ms = 9;
        saga.run = 2;
        let created = as_created(&saga);
        assert_eq!(created.state, SagaState::Running);
        assert_eq!(
            (created.step, created.completed_steps, created.attempt),
            (0, 0, 0)
        );
        assert_eq!(created.run, 2, "the run names the steps' idempotency keys");
        assert!(created.error.is_none() && created.lease.is_none());
        assert_eq!(created.updated_at_ms, 7);
        assert_eq!(created.payload, saga.payload);
        for keys_by_time in [false, true] {
            saga.keys_by_time = keys_by_time;
            assert_eq!(
                idempotency_key(&as_created(&saga), "create_order:action"),
                idempotency_key(&saga, "create_order:action"),
                "a saga restored from a backup keeps its steps' keys"
            );
        }
    }

    #[test]
    fn a_new_sagas_step_keys_begin_with_its_creation_time_and_sort_by_it() {
        let mut earlier = record();
        earlier.created_at_ms = 0xfff;
        earlier.saga_id = SagaId("f0".into());
        let mut later = earlier.clone();
        later.created_at_ms = 0x1000;
        later.saga_id = SagaId("0f".into());
        later.run = 1;
        assert!(earlier.keys_by_time, "a new record keys its steps by time");
        assert_eq!(
            idempotency_key(&earlier, "release_stock:compensation"),
            "000000000fff:f0:0:release_stock:compensation"
        );
        assert_eq!(
            idempotency_key(&later, "release_stock:compensation"),
            "000000001000:0f:1:release_stock:compensation"
        );
        assert!(
            idempotency_key(&earlier, "a:action") < idempotency_key(&later, "a:action"),
            "keys sort as their sagas were created, whatever the saga IDs"
        );
    }

    #[test]
    fn a_record_written_before_keeps_the_keys_its_participants_recorded() {
        let mut json = serde_json::to_value(record()).expect("encode");
        let fields = json.as_object_mut().expect("an object");
        assert_eq!(
            fields.remove("keys_by_time"),
            Some(serde_json::Value::Bool(true))
        );
        let before: SagaRecord = serde_json::from_value(json).expect("decode");
        assert!(!before.keys_by_time);
        assert_eq!(
            idempotency_key(&before, "create_order:action"),
            "s:0:create_order:action"
        );
    }
}
