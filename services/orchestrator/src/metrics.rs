//! The orchestrator's Prometheus series, recorded only when the runtime's recorder is installed
//! (`--metrics-addr`; see `bikestore_runtime::metrics`). Each carries `service="orchestrator"`
//! and, where it concerns one saga, its `definition` (and `step`): bounded sets, never saga IDs.
//!
//! - `bikestore_sagas_started_total`: records created (by an intake or [`Engine::start`]);
//! - `bikestore_sagas_completed_total`, `bikestore_sagas_failed_total`: records written with
//!   that end state (a record reaches it once: nothing drives an ended saga);
//! - `bikestore_sagas_compensated_total`: failed sagas that undid at least one step;
//! - `bikestore_sagas_stuck`: sagas stuck now, as the last recovery scan counted them;
//! - `bikestore_saga_step_duration_seconds{definition,step,phase}` and
//!   `bikestore_saga_step_retries_total{definition,step}`: every attempt of a step (a step
//!   skipped, with nothing to send, is none);
//! - `bikestore_saga_work_item_age_seconds`: how long a work item waited in the queue before a
//!   worker first took it;
//! - `bikestore_saga_lost_cas_total`: writes of a record another writer changed first.
//!
//! [`Engine::start`]: crate::engine::Engine::start

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_nats::jetstream;
use bikestore_contracts::sagas::{HistoryEntry, Outcome, Phase, SagaRecord, SagaState};
use bikestore_runtime::metrics::enabled;
use metrics::{counter, gauge, histogram};

const SERVICE: &str = "orchestrator";

/// A saga record was created.
pub fn saga_started(record: &SagaRecord) {
    if !enabled() {
        return;
    }
    counter!("bikestore_sagas_started_total", "service" => SERVICE, "definition" => record.definition.clone())
        .increment(1);
}

/// A saga record was written: counts the end it reached, if it did.
pub fn saga_written(record: &SagaRecord) {
    if !enabled() {
        return;
    }
    let definition = record.definition.clone();
    match record.state {
        SagaState::Completed => {
            counter!("bikestore_sagas_completed_total", "service" => SERVICE, "definition" => definition)
                .increment(1);
        }
        SagaState::Failed => {
            let undid = record.history.iter().any(|entry| {
                entry.phase == Phase::Compensation && entry.outcome == Outcome::Succeeded
            });
            if undid {
                counter!("bikestore_sagas_compensated_total", "service" => SERVICE, "definition" => definition.clone())
                    .increment(1);
            }
            counter!("bikestore_sagas_failed_total", "service" => SERVICE, "definition" => definition)
                .increment(1);
        }
        SagaState::Running | SagaState::Compensating | SagaState::Stuck | SagaState::Resolved => {}
    }
}

/// One attempt of a step of a saga of `definition` ended as `entry` says; a skipped step
/// (nothing to send) is not an attempt.
pub fn step_recorded(definition: &str, entry: &HistoryEntry) {
    if !enabled() || entry.outcome == Outcome::Skipped {
        return;
    }
    let phase = match entry.phase {
        Phase::Action => "action",
        Phase::Compensation => "compensation",
    };
    let seconds = (entry.finished_at_ms - entry.started_at_ms).max(0) as f64 / 1000.0;
    histogram!("bikestore_saga_step_duration_seconds", "service" => SERVICE, "definition" => definition.to_owned(), "step" => entry.step.clone(), "phase" => phase)
        .record(seconds);
    if entry.outcome == Outcome::Retrying {
        counter!("bikestore_saga_step_retries_total", "service" => SERVICE, "definition" => definition.to_owned(), "step" => entry.step.clone())
            .increment(1);
    }
}

/// A write of a saga record lost its compare-and-set.
pub fn lost_cas() {
    if !enabled() {
        return;
    }
    counter!("bikestore_saga_lost_cas_total", "service" => SERVICE).increment(1);
}

/// A worker took `message` from the work queue: on its first delivery, how long it waited.
pub fn work_item_picked(message: &jetstream::Message) {
    if !enabled() {
        return;
    }
    let Ok(info) = message.info() else { return };
    if info.delivered != 1 {
        return;
    }
    let published_ms = (info.published.unix_timestamp_nanos() / 1_000_000) as i64;
    let age_ms = (bikestore_runtime::now_ms() - published_ms).max(0);
    histogram!("bikestore_saga_work_item_age_seconds", "service" => SERVICE)
        .record(age_ms as f64 / 1000.0);
}

/// The definitions a stuck count was reported for, so one with none stuck any more reads 0.
static STUCK_REPORTED: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The recovery scan counted `stuck` sagas per definition.
pub fn stuck_now(stuck: &BTreeMap<String, u64>) {
    if !enabled() {
        return;
    }
    let mut reported = STUCK_REPORTED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    for definition in reported.iter() {
        if !stuck.contains_key(definition) {
            gauge!("bikestore_sagas_stuck", "service" => SERVICE, "definition" => definition.clone())
                .set(0.0);
        }
    }
    for (definition, count) in stuck {
        gauge!("bikestore_sagas_stuck", "service" => SERVICE, "definition" => definition.clone())
            .set(*count as f64);
        if !reported.contains(definition) {
            reported.push(definition.clone());
        }
    }
}
