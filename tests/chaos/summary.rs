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
    pub cancelled: usize,
    /// How many times the console's session ended and it logged in again.
    pub console_logins_again: u64,
    pub sagas_by_state: BTreeMap<String, usize>,
    pub kills: BTreeMap<String, u64>,
    pub faults: FaultCounts,
    pub invariants: BTreeMap<&'static str, u64>,
    /// The longest stall, in milliseconds, the saga it happened to and between what.
    pub longest_stall: Option<(i64, String)>,
    /// The longest time, in milliseconds, no saga ended, and between which sagas' ends.
    pub longest_without_an_end: Option<(i64, String)>,
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
            let (stall, between) = longest_stall(record);
            if self
                .longest_stall
                .as_ref()
                .is_none_or(|(longest, _)| stall > *longest)
            {
                self.longest_stall = Some((stall, format!("saga {}: {between}", record.saga_id)));
            }
        }
        let mut ends: Vec<(i64, &SagaRecord)> = records
            .iter()
            .filter(|record| record.state.is_terminal())
            .map(|record| (record.updated_at_ms, record))
            .collect();
        ends.sort_by_key(|(at, _)| *at);
        self.longest_without_an_end = ends
            .windows(2)
            .map(|pair| {
                let between = format!("saga {} and saga {}", pair[0].1.saga_id, pair[1].1.saga_id);
                (pair[1].0 - pair[0].0, between)
            })
            .max_by_key(|(quiet, _)| *quiet);
    }
}

/// The longest time between two consecutive moments a saga's record shows progress (its
/// creation, each step attempt's start and end, its last change), and what came after it.
pub fn longest_stall(record: &SagaRecord) -> (i64, String) {
    let mut moments = Vec::with_capacity(record.history.len() * 2 + 2);
    // With history dropped, the time from creation to the first kept entry was not a stall.
    if record.history_dropped == 0 {
        moments.push((record.created_at_ms, "created".to_owned()));
    }
    for entry in &record.history {
        let step = format!("{} {:?} attempt {}", entry.step, entry.phase, entry.attempt);
        moments.push((entry.started_at_ms, format!("{step} started")));
        moments.push((
            entry.finished_at_ms,
            format!("{step} ended {:?}", entry.outcome),
        ));
    }
    moments.push((record.updated_at_ms, format!("{:?}", record.state)));
    moments.sort_by_key(|(at, _)| *at);
    moments
        .windows(2)
        .map(|pair| {
            (
                pair[1].0 - pair[0].0,
                format!("{} -> {}", pair[0].1, pair[1].1),
            )
        })
        .max_by_key(|(stall, _)| *stall)
        .unwrap_or((0, String::new()))
}

impl fmt::Display for Summary {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total: usize = self.sagas_by_state.values().sum();
        writeln!(formatter, "chaos summary")?;
        writeln!(
            formatter,
            "  chaos for {:.0?}; {total} sagas: orders placed {} through the gateway as consoles and {} straight to the orchestrator, {} cancelled",
            self.chaos_for, self.through_gateway, self.straight, self.cancelled
        )?;
        writeln!(formatter, "  sagas by state: {:?}", self.sagas_by_state)?;
        writeln!(
            formatter,
            "  the console's session ended and it logged in again: {} times",
            self.console_logins_again
        )?;
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
                "  longest stall: {:.1} s ({saga})",
                *stall as f64 / 1000.0
            ),
            None => writeln!(formatter, "  longest stall: no saga"),
        }?;
        match &self.longest_without_an_end {
            Some((quiet, between)) => writeln!(
                formatter,
                "  longest time without a saga ending: {:.1} s ({between})",
                *quiet as f64 / 1000.0
            ),
            None => writeln!(
                formatter,
                "  longest time without a saga ending: fewer than two ended"
            ),
        }
    }
}
