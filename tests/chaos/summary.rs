//! What a chaos run did, printed at its end: sagas by state, kills and network faults by kind,
//! invariants checked, and the longest stall (the longest time a saga went without progress).

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use bikestore_contracts::sagas::SagaRecord;
use bikestore_testkit::FaultCounts;

/// A chaos run's tallies.
#[derive(Debug, Default)]
pub struct Summary {
    pub chaos_for: Duration,
    pub through_gateway: usize,
    pub straight: usize,
    pub sagas_by_state: BTreeMap<String, usize>,
    pub kills: BTreeMap<String, u64>,
    pub faults: FaultCounts,
    pub invariants: BTreeMap<&'static str, u64>,
    /// The longest stall, in milliseconds, and the saga it happened to.
    pub longest_stall: Option<(i64, String)>,
}

impl Summary {
    pub fn checked(&mut self, invariant: &'static str, times: u64) {
        *self.invariants.entry(invariant).or_default() += times;
    }

    /// Tallies the ended sagas and their stalls.
    pub fn sagas(&mut self, records: &[SagaRecord]) {
        for record in records {
            *self
                .sagas_by_state
                .entry(format!("{:?}", record.state))
                .or_default() += 1;
            let stall = longest_stall_ms(record);
            if self
                .longest_stall
                .as_ref()
                .is_none_or(|(longest, _)| stall > *longest)
            {
                self.longest_stall = Some((stall, record.saga_id.to_string()));
            }
        }
    }
}

/// The longest time between two consecutive moments a saga's record shows progress: its
/// creation, each step attempt's start and end, its last change.
pub fn longest_stall_ms(record: &SagaRecord) -> i64 {
    let mut moments = Vec::with_capacity(record.history.len() * 2 + 2);
    // With history dropped, the time from creation to the first kept entry was not a stall.
    if record.history_dropped == 0 {
        moments.push(record.created_at_ms);
    }
    for entry in &record.history {
        moments.push(entry.started_at_ms);
        moments.push(entry.finished_at_ms);
    }
    moments.push(record.updated_at_ms);
    moments.sort_unstable();
    moments
        .windows(2)
        .map(|pair| pair[1] - pair[0])
        .max()
        .unwrap_or(0)
}

impl fmt::Display for Summary {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total: usize = self.sagas_by_state.values().sum();
        writeln!(formatter, "chaos summary")?;
        writeln!(
            formatter,
            "  chaos for {:.0?}; {total} sagas ({} through the gateway as consoles, {} straight to the orchestrator)",
            self.chaos_for, self.through_gateway, self.straight
        )?;
        writeln!(formatter, "  sagas by state: {:?}", self.sagas_by_state)?;
        let kills: u64 = self.kills.values().sum();
        writeln!(formatter, "  kills: {kills} {:?}", self.kills)?;
        let faults = self.faults;
        writeln!(
            formatter,
            "  network faults: {} (delays {}, stalls {}, cuts {})",
            faults.total(),
            faults.delays,
            faults.stalls,
            faults.cuts
        )?;
        writeln!(formatter, "  invariants checked:")?;
        for (invariant, times) in &self.invariants {
            writeln!(formatter, "    {times:>5} x {invariant}")?;
        }
        match &self.longest_stall {
            Some((stall, saga)) => writeln!(
                formatter,
                "  longest stall: {:.1} s (saga {saga})",
                *stall as f64 / 1000.0
            ),
            None => writeln!(formatter, "  longest stall: no saga"),
        }
    }
}
