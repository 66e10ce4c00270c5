//! Drives one operation from many workers for a time or a count, timing each call into an
//! HDR histogram, with a one-line progress display on stderr.

use std::future::Future;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::cli::Until;

/// The largest latency recorded, in microseconds; longer calls are clamped to it.
const MAX_LATENCY_MICROS: u64 = 600_000_000;
/// How often the progress line is redrawn.
const PROGRESS_EVERY: Duration = Duration::from_millis(200);

/// What a measured phase did.
pub struct Measurement {
    /// Calls finished.
    pub operations: u64,
    /// From the first call's start to the last one's end.
    pub elapsed: Duration,
    /// Latency of each call, in microseconds.
    pub latency: Histogram<u64>,
}

impl Measurement {
    /// Calls per second.
    pub fn rate(&self) -> f64 {
        self.operations as f64 / self.elapsed.as_secs_f64().max(f64::MIN_POSITIVE)
    }

    /// A latency quantile in milliseconds.
    pub fn quantile_ms(&self, quantile: f64) -> f64 {
        self.latency.value_at_quantile(quantile) as f64 / 1000.0
    }

    /// The slowest call in milliseconds.
    pub fn max_ms(&self) -> f64 {
        self.latency.max() as f64 / 1000.0
    }
}

/// A new latency histogram in microseconds, three significant digits.
pub fn histogram() -> anyhow::Result<Histogram<u64>> {
    Ok(Histogram::new_with_bounds(1, MAX_LATENCY_MICROS, 3)?)
}

/// Runs `operation(worker, index)` from `concurrency` workers until `until`, and returns the
/// measurement with every call's output. An `Err` from any call ends the run with that error.
pub async fn drive<F, Fut, T>(
    label: &str,
    concurrency: usize,
    until: Until,
    operation: F,
) -> anyhow::Result<(Measurement, Vec<T>)>
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let operation = Arc::new(operation);
    let claimed = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = match until {
        Until::Elapsed(duration) => Some(started + duration),
        Until::Count(_) => None,
    };
    let limit = match until {
        Until::Count(count) => count,
        Until::Elapsed(_) => u64::MAX,
    };
    let finished = Arc::new(AtomicBool::new(false));
    let progress = tokio::spawn(show_progress(
        label.to_owned(),
        until,
        started,
        Arc::clone(&done),
        Arc::clone(&finished),
    ));
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..concurrency {
        let (operation, claimed, done) = (
            Arc::clone(&operation),
            Arc::clone(&claimed),
            Arc::clone(&done),
        );
        workers.spawn(async move {
            let mut latency = histogram()?;
            let mut outputs = Vec::new();
            loop {
                if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                    break;
                }
                let index = claimed.fetch_add(1, Ordering::Relaxed);
                if index >= limit {
                    break;
                }
                let begun = Instant::now();
                let output = operation(worker, index).await?;
                latency.saturating_record(begun.elapsed().as_micros() as u64);
                outputs.push(output);
                done.fetch_add(1, Ordering::Relaxed);
            }
            anyhow::Ok((latency, outputs))
        });
    }
    let mut latency = histogram()?;
    let mut outputs = Vec::new();
    let mut failure = None;
    while let Some(worker) = workers.join_next().await {
        match worker
            .map_err(anyhow::Error::from)
            .and_then(|result| result)
        {
            Ok((worker_latency, worker_outputs)) => {
                latency.add(worker_latency)?;
                outputs.extend(worker_outputs);
            }
            Err(error) => {
                // One failed call ends the phase: stop the others rather than wait for them.
                workers.abort_all();
                failure.get_or_insert(error);
            }
        }
    }
    let elapsed = started.elapsed();
    finished.store(true, Ordering::Relaxed);
    let _ = progress.await;
    if let Some(error) = failure {
        return Err(error.context(format!("{label} failed")));
    }
    Ok((
        Measurement {
            operations: latency.len(),
            elapsed,
            latency,
        },
        outputs,
    ))
}

/// Redraws `label: N done, R/s, T s` on stderr while a phase runs, when stderr is a terminal;
/// otherwise stays silent and lets the summary speak.
async fn show_progress(
    label: String,
    until: Until,
    started: Instant,
    done: Arc<AtomicU64>,
    finished: Arc<AtomicBool>,
) {
    let terminal = std::io::stderr().is_terminal();
    while !finished.load(Ordering::Relaxed) {
        if terminal {
            let elapsed = started.elapsed().as_secs_f64();
            let count = done.load(Ordering::Relaxed);
            let target = match until {
                Until::Elapsed(duration) => format!("{elapsed:.1}/{:.1} s", duration.as_secs_f64()),
                Until::Count(total) => format!("{count}/{total}, {elapsed:.1} s"),
            };
            let line = format!(
                "  {label}: {target}, {count} done, {:.0}/s",
                count as f64 / elapsed.max(f64::MIN_POSITIVE)
            );
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "\r{line}\x1b[K");
            let _ = stderr.flush();
        }
        tokio::time::sleep(PROGRESS_EVERY).await;
    }
    if terminal {
        let mut stderr = std::io::stderr().lock();
        let _ = write!(stderr, "\r\x1b[K");
        let _ = stderr.flush();
    }
}
