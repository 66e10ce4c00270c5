//! Where a saga's time goes, from the records themselves: after the run the benchmark reads
//! the `sagas` bucket (one ordered pass over its stream), keeps the sagas it placed, and
//! summarises each step's duration (`finished_at_ms - started_at_ms`, per step and phase) and
//! the engine's own time around the steps.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use anyhow::Context;
use async_nats::jetstream::{self, kv};
use bikestore_contracts::Subjects;
use bikestore_contracts::sagas::{Phase, SagaId, SagaRecord};
use futures::StreamExt;

/// How long reading the bucket may stall before the benchmark gives up on the breakdown.
const READ_STALL: Duration = Duration::from_secs(10);

/// One row of the breakdown, in milliseconds.
pub struct StepStats {
    pub name: String,
    pub count: usize,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// What the records say.
pub struct Breakdown {
    /// Steps in the order they first ran, then the engine's time around them.
    pub rows: Vec<StepStats>,
    /// Records found in a terminal state (completed, failed, resolved).
    pub terminal: usize,
    /// Records found stuck or still running.
    pub unfinished: usize,
    /// Placed sagas with no record.
    pub missing: usize,
    /// The mean size of a record, in bytes.
    pub record_bytes: f64,
}

/// Reads the records of `saga_ids` and summarises them.
pub async fn breakdown(
    client: &async_nats::Client,
    subjects: &Subjects,
    saga_ids: &HashSet<SagaId>,
) -> anyhow::Result<Breakdown> {
    let mut records = Vec::with_capacity(saga_ids.len());
    let mut bytes = 0usize;
    if !saga_ids.is_empty() {
        let bucket = jetstream::new(client.clone())
            .get_key_value(subjects.sagas_bucket())
            .await
            .context("open the sagas bucket")?;
        let mut entries = bucket.watch_with_history(">").await?;
        loop {
            let entry = tokio::time::timeout(READ_STALL, entries.next())
                .await
                .context("reading the sagas bucket stalled")?;
            let Some(entry) = entry else { break };
            let entry = entry?;
            if entry.operation == kv::Operation::Put
                && saga_ids.contains(&SagaId(entry.key.clone()))
            {
                bytes += entry.value.len();
                records.push(serde_json::from_slice::<SagaRecord>(&entry.value)?);
            }
            if entry.delta == 0 {
                break;
            }
        }
    }
    let mut order: Vec<String> = Vec::new();
    let mut durations: HashMap<String, Vec<i64>> = HashMap::new();
    let mut record = |name: String, milliseconds: i64| {
        if !durations.contains_key(&name) {
            order.push(name.clone());
        }
        durations.entry(name).or_default().push(milliseconds);
    };
    let mut terminal = 0;
    for saga in &records {
        if saga.state.is_terminal() {
            terminal += 1;
        }
        for entry in &saga.history {
            let name = match entry.phase {
                Phase::Action => entry.step.clone(),
                Phase::Compensation => format!("{} (compensation)", entry.step),
            };
            record(name, entry.finished_at_ms - entry.started_at_ms);
        }
        // The engine's own time: before the first step, and between steps (the record write
        // of one step and the setting up of the next).
        if let Some(first) = saga.history.first() {
            record(
                ENGINE_START.to_owned(),
                first.started_at_ms - saga.created_at_ms,
            );
            for pair in saga.history.windows(2) {
                record(
                    ENGINE_BETWEEN.to_owned(),
                    pair[1].started_at_ms - pair[0].finished_at_ms,
                );
            }
        }
    }
    // Steps first, in the order they ran; the engine's rows last.
    order.sort_by_key(|name| name.starts_with("engine:"));
    let rows = order
        .into_iter()
        .filter_map(|name| {
            let mut values = durations.remove(&name)?;
            values.sort_unstable();
            Some(StepStats {
                count: values.len(),
                mean_ms: values.iter().sum::<i64>() as f64 / values.len() as f64,
                p50_ms: percentile(&values, 0.5),
                p99_ms: percentile(&values, 0.99),
                name,
            })
        })
        .collect();
    Ok(Breakdown {
        rows,
        terminal,
        unfinished: records.len() - terminal,
        missing: saga_ids.len() - records.len(),
        record_bytes: bytes as f64 / records.len().max(1) as f64,
    })
}

const ENGINE_START: &str = "engine: record created → first step starts";
const ENGINE_BETWEEN: &str = "engine: step ends → next step starts";

fn percentile(sorted: &[i64], quantile: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * quantile).round() as usize;
    sorted[index.min(sorted.len() - 1)] as f64
}
