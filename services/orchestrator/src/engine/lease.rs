//! One driver at a time: a saga's record names the engine allowed to advance it, and until
//! when ([`Lease`]). A driver takes the lease with a compare-and-set before it sends a step's
//! request and renews it with each record it writes, and first if the lease might run out
//! before the step's reply, so two replicas, an intake and a work item, or a work item and the
//! recovery scan never send a saga's requests at the same time.
//! A driver is one pass over one saga, not a replica: two work items of one saga on one
//! replica exclude each other too. A driver that dies stops renewing: its lease runs out within [`LeasePolicy::duration`] and
//! the saga's work item, waiting for exactly that, lets another driver take over.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bikestore_contracts::sagas::{Lease, SagaRecord};

/// How much of a lease must be left beyond a step's timeout before its request is sent: the
/// clocks of two orchestrator machines may differ by this much, and the outcome still has to
/// be written before the lease ends.
pub const MARGIN: Duration = Duration::from_secs(1);

/// How long leases last, and the engine they come from.
#[derive(Debug)]
pub struct LeasePolicy {
    /// This engine's name: a ULID chosen at start, so a restarted replica never mistakes its
    /// predecessor's leases for its own.
    engine: String,
    /// Drivers this engine has started, to name the next.
    drivers: AtomicU64,
    /// How long a lease lasts unless renewed; a dead driver's sagas wait this long at most.
    pub duration: Duration,
}

impl LeasePolicy {
    /// Leases of `duration` for a newly started engine.
    pub fn new(duration: Duration) -> LeasePolicy {
        LeasePolicy {
            engine: ulid::Ulid::new().to_string(),
            drivers: AtomicU64::new(0),
            duration,
        }
    }

    /// A new driver: one pass of one saga (an intake's, or a work item's). Each has its own
    /// name, so two work items of one saga on one replica exclude each other too.
    pub fn driver(&self) -> Driver {
        let number = self.drivers.fetch_add(1, Ordering::Relaxed);
        Driver {
            holder: format!("{}.{number}", self.engine),
            duration: self.duration,
        }
    }
}

/// One driver of one saga, and how long its leases last.
#[derive(Debug, Clone)]
pub struct Driver {
    /// Its name in the record's lease.
    pub holder: String,
    duration: Duration,
}

impl Driver {
    /// A lease for this driver from `now_ms`.
    pub fn fresh(&self, now_ms: i64) -> Lease {
        Lease {
            holder: self.holder.clone(),
            until_ms: now_ms.saturating_add(millis(self.duration)),
        }
    }

    /// How long another driver still holds `record`, if one does.
    pub fn held_by_another(&self, record: &SagaRecord, now_ms: i64) -> Option<Duration> {
        let lease = record.lease.as_ref()?;
        let left_ms = lease.until_ms - now_ms;
        (lease.holder != self.holder && left_ms > 0).then(|| Duration::from_millis(left_ms as u64))
    }

    /// Whether this driver holds `record` long enough to send a request that may take
    /// `step_timeout` and write its outcome.
    pub fn holds_for(&self, record: &SagaRecord, now_ms: i64, step_timeout: Duration) -> bool {
        record.lease.as_ref().is_some_and(|lease| {
            lease.holder == self.holder
                && lease.until_ms - now_ms >= millis(step_timeout) + millis(MARGIN)
        })
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leased(lease: Option<Lease>) -> SagaRecord {
        SagaRecord {
            lease,
            ..crate::engine::record::tests::record()
        }
    }

    #[test]
    fn another_drivers_live_lease_makes_this_one_wait_until_it_ends() {
        let policy = LeasePolicy::new(Duration::from_secs(10));
        let mine = policy.driver();
        let theirs = policy.driver();
        let record = leased(Some(theirs.fresh(1_000)));
        assert_eq!(
            mine.held_by_another(&record, 5_000),
            Some(Duration::from_secs(6))
        );
        assert_eq!(mine.held_by_another(&record, 11_000), None, "run out");
        assert_eq!(theirs.held_by_another(&record, 5_000), None, "its own");
        assert_eq!(mine.held_by_another(&leased(None), 5_000), None);
    }

    #[test]
    fn a_lease_too_short_for_the_next_step_is_renewed_first() {
        let policy = LeasePolicy::new(Duration::from_secs(10));
        let mine = policy.driver();
        let record = leased(Some(mine.fresh(0)));
        let step = Duration::from_secs(5);
        assert!(mine.holds_for(&record, 4_000, step));
        assert!(
            !mine.holds_for(&record, 4_001, step),
            "less than step + margin left"
        );
        let other_replica = LeasePolicy::new(Duration::from_secs(10)).driver();
        assert!(!other_replica.holds_for(&record, 0, step));
    }
}
