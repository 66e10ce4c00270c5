//! What the index answers: lists of saga IDs newest first, counts per state, duration
//! percentiles, and the sagas retention and recovery look at. Every answer reads an index or
//! the counters, never all the rows.
//!
//! Percentiles come from log-scale buckets 2% wide ([`super::duration_bucket`]), so each is
//! within about 1% of the exact one; the counters of every store are summed when no store is
//! asked.

use std::collections::BTreeMap;

use bikestore_contracts::StoreId;
use bikestore_contracts::sagas::{SagaId, SagaState, StateCount};
use rusqlite::params;

use super::SagaIndex;
use super::apply::{STATES, bucket_duration, state_name};
use crate::error::OrchestratorError;

/// Which sagas a list holds.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only in this state.
    pub state: Option<SagaState>,
    /// Only of this store.
    pub store_id: Option<StoreId>,
    /// Only of this definition.
    pub definition: Option<String>,
    /// Only those created at or before this time, in milliseconds since the Unix epoch.
    pub created_by_ms: Option<i64>,
    /// At most this many.
    pub limit: u32,
}

/// Counts and durations of ended sagas, of one store or all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stats {
    /// Counts per state, every state listed.
    pub counts: Vec<StateCount>,
    /// Duration percentiles of ended sagas, in milliseconds: p50, p90, p99, max.
    pub duration_ms: [i64; 4],
}

/// An ended saga retention may remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    /// The saga.
    pub saga_id: SagaId,
    /// Its revision as indexed: it is removed only if still there.
    pub revision: u64,
    /// Its state's place in [`STATES`] and its creation time: with its ID, where the next
    /// page starts.
    pub after: (usize, i64),
}

impl SagaIndex {
    /// The IDs of the sagas `filter` asks for, newest first (by creation, then ID).
    pub async fn list(&self, filter: Filter) -> Result<Vec<SagaId>, OrchestratorError> {
        self.read(move |connection| {
            let states: Vec<SagaState> = match filter.state {
                Some(state) => vec![state],
                None => STATES.to_vec(),
            };
            // Each state is read along its own index, newest first; the newest of all win.
            let mut found: Vec<(i64, String)> = Vec::new();
            let mut statement = connection.prepare_cached(
                "SELECT created_at_ms, saga_id FROM sagas
                 WHERE state = ?1
                   AND (?2 IS NULL OR store_id = ?2)
                   AND (?3 IS NULL OR definition = ?3)
                   AND (?4 IS NULL OR created_at_ms <= ?4)
                 ORDER BY created_at_ms DESC, saga_id DESC
                 LIMIT ?5",
            )?;
            for state in states {
                let rows = statement.query_map(
                    params![
                        state_name(state),
                        filter.store_id.map(|store_id| store_id.0),
                        filter.definition,
                        filter.created_by_ms,
                        filter.limit,
                    ],
                    |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)),
                )?;
                for row in rows {
                    found.push(row?);
                }
            }
            found.sort_by(|a, b| b.cmp(a));
            found.truncate(filter.limit as usize);
            Ok(found
                .into_iter()
                .map(|(_, saga_id)| SagaId(saga_id))
                .collect())
        })
        .await
    }

    /// Counts per state and duration percentiles of ended sagas, of `store_id` or of all.
    pub async fn stats(&self, store_id: Option<StoreId>) -> Result<Stats, OrchestratorError> {
        let store_key = store_id.map(|store_id| store_id.0);
        self.read(move |connection| {
            let counts = counts(connection, store_key)?;
            let mut statement = connection.prepare_cached(
                "SELECT bucket, SUM(count) FROM saga_durations
                 WHERE ?1 IS NULL OR store_key = ?1
                 GROUP BY bucket HAVING SUM(count) > 0 ORDER BY bucket",
            )?;
            let buckets = statement
                .query_map(params![store_key], |row| {
                    Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Stats {
                counts,
                duration_ms: [0.5, 0.9, 0.99, 1.0].map(|fraction| percentile(&buckets, fraction)),
            })
        })
        .await
    }

    /// Counts per state of every store.
    pub async fn counts(&self) -> Result<Vec<StateCount>, OrchestratorError> {
        self.read(|connection| counts(connection, None)).await
    }

    /// Ended sagas last changed before `cutoff_ms`, in pages of `limit` after `after` (`None`:
    /// from the first), oldest first within each state.
    pub async fn ended_before(
        &self,
        cutoff_ms: i64,
        after: Option<(usize, i64, SagaId)>,
        limit: usize,
    ) -> Result<Vec<Ended>, OrchestratorError> {
        self.read(move |connection| {
            let mut statement = connection.prepare_cached(
                "SELECT saga_id, revision, created_at_ms FROM sagas
                 WHERE state = ?1 AND created_at_ms < ?2 AND updated_at_ms < ?2
                   AND (created_at_ms, saga_id) > (?3, ?4)
                 ORDER BY created_at_ms, saga_id
                 LIMIT ?5",
            )?;
            let (first_state, after_created, after_id) = match after {
                Some((state, created, saga_id)) => (state, created, saga_id.0),
                None => (0, i64::MIN, String::new()),
            };
            let mut found = Vec::new();
            for (position, state) in STATES.iter().enumerate().skip(first_state) {
                if !state.is_terminal() {
                    continue;
                }
                let (created, saga_id) = if position == first_state {
                    (after_created, after_id.clone())
                } else {
                    (i64::MIN, String::new())
                };
                let left = limit.saturating_sub(found.len());
                let rows = statement.query_map(
                    params![state_name(*state), cutoff_ms, created, saga_id, left as i64],
                    |row| {
                        Ok(Ended {
                            saga_id: SagaId(row.get(0)?),
                            revision: row.get::<_, i64>(1)? as u64,
                            after: (position, row.get(2)?),
                        })
                    },
                )?;
                for row in rows {
                    found.push(row?);
                }
                if found.len() >= limit {
                    break;
                }
            }
            Ok(found)
        })
        .await
    }

    /// Running or compensating sagas unchanged since `before_ms`: the ones recovery may have
    /// to queue again.
    pub async fn unfinished_since(&self, before_ms: i64) -> Result<Vec<SagaId>, OrchestratorError> {
        self.unfinished_where("updated_at_ms <= ?1", before_ms)
            .await
    }

    /// The unfinished sagas whose driver's lease ended at or before `lease_ended_by_ms`: their
    /// driver died (or stalled), and nobody else will move them until someone queues them.
    pub async fn abandoned(
        &self,
        lease_ended_by_ms: i64,
    ) -> Result<Vec<SagaId>, OrchestratorError> {
        self.unfinished_where("lease_until_ms <= ?1", lease_ended_by_ms)
            .await
    }

    /// Running or compensating sagas that also meet `condition`, a time column compared with
    /// `?1`, bound to `time_ms`.
    async fn unfinished_where(
        &self,
        condition: &'static str,
        time_ms: i64,
    ) -> Result<Vec<SagaId>, OrchestratorError> {
        self.read(move |connection| {
            let mut statement = connection.prepare_cached(&format!(
                "SELECT saga_id FROM sagas
                 WHERE state IN ('running', 'compensating') AND {condition}"
            ))?;
            statement
                .query_map(params![time_ms], |row| Ok(SagaId(row.get(0)?)))?
                .collect()
        })
        .await
    }

    /// How many sagas are stuck, per definition.
    pub async fn stuck(&self) -> Result<BTreeMap<String, u64>, OrchestratorError> {
        self.read(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT definition, COUNT(*) FROM sagas WHERE state = 'stuck' GROUP BY definition",
            )?;
            statement
                .query_map([], |row| Ok((row.get(0)?, row.get::<_, i64>(1)? as u64)))?
                .collect()
        })
        .await
    }
}

/// Counts per state of `store_key` (`None`: every store).
fn counts(
    connection: &rusqlite::Connection,
    store_key: Option<i64>,
) -> rusqlite::Result<Vec<StateCount>> {
    let mut statement = connection.prepare_cached(
        "SELECT state, SUM(count) FROM saga_counts
         WHERE ?1 IS NULL OR store_key = ?1 GROUP BY state",
    )?;
    let found: BTreeMap<String, i64> = statement
        .query_map(params![store_key], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(STATES
        .into_iter()
        .map(|state| StateCount {
            state,
            count: found.get(state_name(state)).copied().unwrap_or(0).max(0) as u64,
        })
        .collect())
}

/// The duration at `fraction` of the way through the sorted durations `buckets` hold (bucket,
/// count, in bucket order): the one at index `round((n - 1) * fraction)`, as a scan of every
/// duration would pick it.
fn percentile(buckets: &[(i64, i64)], fraction: f64) -> i64 {
    let total: i64 = buckets.iter().map(|(_, count)| count).sum();
    if total <= 0 {
        return 0;
    }
    let rank = ((total as f64 - 1.0) * fraction).round() as i64;
    let mut seen = 0;
    for (bucket, count) in buckets {
        seen += count;
        if seen > rank {
            return bucket_duration(*bucket);
        }
    }
    buckets
        .last()
        .map_or(0, |(bucket, _)| bucket_duration(*bucket))
}

#[cfg(test)]
mod tests {
    use super::super::duration_bucket;
    use super::*;

    #[test]
    fn a_percentile_is_the_bucket_of_the_duration_a_sorted_scan_picks() {
        let durations = [10_i64, 20, 30, 40, 1_000];
        let mut buckets: BTreeMap<i64, i64> = BTreeMap::new();
        for duration in durations {
            *buckets.entry(duration_bucket(duration)).or_default() += 1;
        }
        let buckets: Vec<_> = buckets.into_iter().collect();
        let near = |found: i64, exact: i64| (found - exact).abs() * 50 <= exact;
        assert!(near(percentile(&buckets, 0.5), 30), "p50");
        assert!(near(percentile(&buckets, 0.9), 1_000), "p90");
        assert!(near(percentile(&buckets, 1.0), 1_000), "max");
        assert_eq!(percentile(&[], 0.5), 0);
    }
}
