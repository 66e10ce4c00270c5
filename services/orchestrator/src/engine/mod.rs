//! The saga engine: one loop that drives any [`Definition`] from the record in KV.
//!
//! A work item ("advance saga X") arrives from the work queue, or an intake that has just
//! created a record drives it at once ([`Engine::advance_from`], no work item, no re-read).
//! The engine runs the current step (a request to the participant with saga ID + run + step +
//! phase as its idempotency key) and keeps going, step after step, until the saga ends or must
//! wait for a retry. It writes the record with a compare-and-set when the saga's course
//! changes (a failure, an unknown outcome, a retry) and when it ends, not after each step that
//! went through: such a step's participant recorded its reply in its inbox, so a driver that
//! takes over from the last record written asks again and learns the same (see
//! `StepEnd::WentThrough`). A lost compare-and-set means another replica moved the saga: the
//! engine re-reads and carries on from there, and the participants' inboxes make any repeated
//! request harmless. Nothing about a saga lives only in memory that its participants do not
//! keep.

pub mod definition;
pub mod lease;
mod progress;
pub mod record;
mod step;
pub mod store;

use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream;
use bikestore_contracts::backoff::Backoff;
use bikestore_contracts::sagas::{SagaId, SagaRecord, SagaState};
use bikestore_contracts::{ErrorCode, Subjects, WireError};
use bikestore_runtime::call::Caller;
use bikestore_runtime::outage;
use bikestore_runtime::{header_name, now_ms};
use tracing::{Instrument, info, warn};

pub use definition::{Call, Definition, RetryPolicy, Step, UnknownOutcome};
pub use lease::{Driver, LeasePolicy};
use step::StepEnd;
use store::{SagaStore, Written};

use crate::error::OrchestratorError;

/// What became of one work item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Advance {
    /// Nothing more to do now: the saga ended, is stuck, or does not exist.
    Settled,
    /// Try again after this delay (a step is waiting for its retry).
    RetryAfter(Duration),
    /// The record names a definition or version this orchestrator does not know; another
    /// (newer) replica should take it.
    Unknown(Duration),
}

/// About how long a work item for an unknown definition waits before it is offered again
/// (jittered down to half). Short, because during a rolling upgrade the work queue hands the
/// item to any replica, and each bounce off an old one costs only a redelivery: a new saga on
/// a new replica's version should not stall for long behind an old replica that happened to
/// pull it. The jitter keeps the old replicas' items from coming back in lock step.
const UNKNOWN_VERSION_DELAY: Duration = Duration::from_secs(2);

/// The engine and everything it needs.
pub struct Engine {
    store: SagaStore,
    caller: Caller,
    jetstream: jetstream::Context,
    subjects: Subjects,
    definitions: Vec<Definition>,
    lease: LeasePolicy,
}

impl Engine {
    /// An engine over `definitions`.
    pub fn new(
        store: SagaStore,
        caller: Caller,
        jetstream: jetstream::Context,
        subjects: Subjects,
        definitions: Vec<Definition>,
        lease: LeasePolicy,
    ) -> Engine {
        Engine {
            store,
            caller,
            jetstream,
            subjects,
            definitions,
            lease,
        }
    }

    /// A new driver, to hold one saga's lease while it advances the saga.
    pub fn driver(&self) -> Driver {
        self.lease.driver()
    }

    /// The record store.
    pub fn store(&self) -> &SagaStore {
        &self.store
    }

    /// The definition a record runs under, if this orchestrator knows it.
    pub fn definition(&self, name: &str, version: u32) -> Option<&Definition> {
        self.definitions
            .iter()
            .find(|definition| definition.name == name && definition.version == version)
    }

    /// The newest version of a definition, for new sagas.
    pub fn latest(&self, name: &str) -> Option<&Definition> {
        self.definitions
            .iter()
            .filter(|definition| definition.name == name)
            .max_by_key(|definition| definition.version)
    }

    /// Stores a new saga and queues its first work item. If a saga with this ID exists, it is
    /// returned unchanged and nothing is queued.
    pub async fn start(&self, record: SagaRecord) -> Result<(SagaRecord, bool), OrchestratorError> {
        match self.store.create(&record).await? {
            Written::Revision(_) => {
                self.enqueue(&record.saga_id, "start").await?;
                info!(saga_id = %record.saga_id, definition = %record.definition, "saga started");
                Ok((record, true))
            }
            Written::Lost => {
                let (existing, _) = self
                    .store
                    .load(&record.saga_id)
                    .await?
                    .ok_or_else(|| OrchestratorError::SagaNotFound(record.saga_id.clone()))?;
                Ok((existing, false))
            }
        }
    }

    /// Queues a work item for a saga, riding out an outage; `reason` makes the de-duplication
    /// ID, so the same reason is queued once (and a repeat of a try that landed is dropped).
    pub async fn enqueue(&self, saga_id: &SagaId, reason: &str) -> Result<(), OrchestratorError> {
        let mut work_headers = HeaderMap::new();
        work_headers.insert(
            header_name::NATS_MSG_ID,
            format!("{saga_id}:{reason}").as_str(),
        );
        let subject = self.subjects.saga_work(&saga_id.0);
        outage::ride_out("queue saga work", || async {
            self.jetstream
                .publish_with_headers(subject.clone(), work_headers.clone(), Default::default())
                .await?
                .await
        })
        .await
        .map_err(|error| OrchestratorError::nats("queue saga work", error))?;
        Ok(())
    }

    /// Drives one saga as far as it can go now.
    pub async fn advance(&self, saga_id: &SagaId) -> Result<Advance, OrchestratorError> {
        let loaded = self.store.load(saga_id).await?;
        let (advance, _) = self.advance_from(saga_id, loaded, &self.driver()).await?;
        Ok(advance)
    }

    /// Drives one saga as far as it can go now, from a record just read or written at its
    /// revision (`None`: the saga does not exist), as `driver` (which may already hold the
    /// record's lease). Returns what became of it and the newest record seen, so a caller that
    /// waits for the outcome needs no further read.
    ///
    /// Dropping the future between two awaits is safe: the record is never half written, and
    /// whoever drives the saga next repeats the steps since the record was last written, each
    /// under the same idempotency key, and gets the replies their participants recorded.
    pub async fn advance_from(
        &self,
        saga_id: &SagaId,
        mut loaded: Option<(SagaRecord, u64)>,
        driver: &Driver,
    ) -> Result<(Advance, Option<SagaRecord>), OrchestratorError> {
        loop {
            let Some((mut saga, revision)) = loaded.take() else {
                return Ok((Advance::Settled, None));
            };
            if saga.state.is_terminal() || saga.state == SagaState::Stuck {
                return Ok((Advance::Settled, Some(saga)));
            }
            let Some(definition) = self.definition(&saga.definition, saga.version) else {
                warn!(
                    saga_id = %saga.saga_id,
                    definition = %saga.definition,
                    version = saga.version,
                    "saga uses a definition version this orchestrator does not know; leaving it to a replica that does"
                );
                let delay = Backoff::new(UNKNOWN_VERSION_DELAY, UNKNOWN_VERSION_DELAY).delay(1);
                return Ok((Advance::Unknown(delay), Some(saga)));
            };
            if let Some(retry_at_ms) = saga.retry_at_ms {
                let wait_ms = retry_at_ms - now_ms();
                if wait_ms > 0 {
                    let delay = Duration::from_millis(wait_ms as u64);
                    return Ok((Advance::RetryAfter(delay), Some(saga)));
                }
            }
            let now = now_ms();
            if let Some(left) = driver.held_by_another(&saga, now) {
                // Another driver is on it; this work item comes back when its lease would
                // have run out, and finds the saga moved on or its driver gone.
                return Ok((Advance::RetryAfter(left + lease::MARGIN), Some(saga)));
            }
            let step_timeout = record::current_index(&saga)
                .and_then(|index| definition.steps.get(index))
                .map_or(Duration::ZERO, |step| step.timeout);
            let mut revision = revision;
            if !driver.holds_for(&saga, now, step_timeout) {
                // Taking over from a driver that never let go (its lease ran out): it may
                // have done steps it did not write.
                if saga
                    .lease
                    .as_ref()
                    .is_some_and(|lease| lease.holder != driver.holder)
                {
                    saga.may_be_behind = true;
                }
                saga.lease = Some(driver.fresh(now));
                match self.store.update(&saga, revision).await? {
                    Written::Revision(leased) => revision = leased,
                    Written::Lost => {
                        loaded = self.store.load(saga_id).await?;
                        continue;
                    }
                }
            }
            let span = progress::step_span(&saga);
            let end = self.run_step(definition, &mut saga).instrument(span).await;
            let now = now_ms();
            saga.updated_at_ms = now;
            let settled = saga.state.is_terminal() || saga.state == SagaState::Stuck;
            if end == StepEnd::WentThrough && !settled {
                // Not written: see `StepEnd::WentThrough`. The lease in hand is the one in
                // the record, so the check above renews it (with everything learnt since)
                // before a request could outlast it.
                self.publish_progress(definition, &saga).await;
                loaded = Some((saga, revision));
                continue;
            }
            let delay = match end {
                StepEnd::RetryAfter(delay) => Some(delay),
                StepEnd::WentThrough | StepEnd::Changed => None,
            };
            // Going on at once keeps the lease (renewed by this very write, so a step costs no
            // extra write); waiting or ending lets go of it, so whoever takes the next work
            // item need not wait for it to run out.
            let going_on = delay.is_none() && !settled;
            saga.lease = going_on.then(|| driver.fresh(now));
            match self.store.update(&saga, revision).await? {
                Written::Revision(new_revision) => {
                    self.publish_progress(definition, &saga).await;
                    if let Some(delay) = delay {
                        return Ok((Advance::RetryAfter(delay), Some(saga)));
                    }
                    loaded = Some((saga, new_revision));
                }
                // Someone else wrote first (an operator, or a driver that took over after this
                // one's lease ran out): its view wins. Read it and go on from there; the
                // outcomes just learnt are not lost, since each step's participant answers its
                // repeat from its inbox.
                Written::Lost => loaded = self.store.load(saga_id).await?,
            }
        }
    }
}

/// The detail a step's error carries when its outcome is unknown.
pub const OUTCOME_DETAIL: &str = "outcome";
/// [`OUTCOME_DETAIL`]'s value: the step may have taken effect, so it is compensated too.
pub const OUTCOME_UNKNOWN: &str =
    "unknown: the step may have taken effect, so it is compensated too";

/// A wire error for a payload that lacks what a step needs: a bug in a definition.
pub fn missing(what: &str) -> WireError {
    WireError::new(
        ErrorCode::Internal,
        format!("the saga has no {what} yet; its definition runs steps out of order"),
    )
}
