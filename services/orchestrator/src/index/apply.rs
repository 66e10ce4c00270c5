//! The index's tables, and applying a batch of bucket changes to them in one transaction.
//!
//! One row per saga holds what the queries filter and sort on; `saga_counts` (per store and
//! state) and `saga_durations` (ended sagas per store and duration bucket) are kept in the
//! same transaction as the rows, so statistics read a few dozen counters and never count rows.
//! `index_position` holds the bucket revision applied last and which stream it came from, also
//! in that transaction, so the index resumes exactly where it stopped.

use std::collections::HashMap;

use bikestore_contracts::StoreId;
use bikestore_contracts::sagas::SagaState;
use bytes::Bytes;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Deserialize;
use tracing::warn;

/// The index's schema, applied once.
pub const SCHEMA: &str = "
CREATE TABLE sagas (
    saga_id TEXT PRIMARY KEY,
    definition TEXT NOT NULL,
    state TEXT NOT NULL,
    store_id INTEGER,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    revision INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sagas_by_state ON sagas (state, created_at_ms);
CREATE INDEX sagas_by_store ON sagas (store_id, state, created_at_ms);
CREATE TABLE saga_counts (
    store_key INTEGER NOT NULL,
    state TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (store_key, state)
) WITHOUT ROWID;
CREATE TABLE saga_durations (
    store_key INTEGER NOT NULL,
    bucket INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (store_key, bucket)
) WITHOUT ROWID;
CREATE TABLE index_position (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    revision INTEGER NOT NULL,
    stream_created TEXT NOT NULL
);
INSERT INTO index_position (id, revision, stream_created) VALUES (1, 0, '');
";

/// The second schema version: when the lease of the driver holding a saga ends, so that a saga
/// whose driver died is found by the index (`SagaIndex::abandoned`). A row indexed before it
/// has none until its saga's next change.
pub const LEASES: &str = "ALTER TABLE sagas ADD COLUMN lease_until_ms INTEGER;";

/// The index's schema migrations, in order.
pub const MIGRATIONS: &[&str] = &[SCHEMA, LEASES];

/// The counters' key for a saga whose store is not known yet (a cancel-order record written
/// before sagas named their store); store IDs are positive.
pub const NO_STORE: i64 = -1;

/// Every state, in the order statistics list them.
pub const STATES: [SagaState; 6] = SagaState::ALL;

/// How a state is stored: its wire name.
pub fn state_name(state: SagaState) -> &'static str {
    state.as_str()
}

/// The width of a duration bucket: each is 2% wider than the one before, so a percentile read
/// from the buckets is within about 1% of the true duration.
const BUCKET_GROWTH: f64 = 1.02;

/// The duration bucket of `duration_ms`: 0 for none (or a negative duration, a clock's skew),
/// else `b` such that `1.02^(b-1) <= duration_ms < 1.02^b`.
pub fn duration_bucket(duration_ms: i64) -> i64 {
    if duration_ms <= 0 {
        return 0;
    }
    ((duration_ms as f64).ln() / BUCKET_GROWTH.ln()).floor() as i64 + 1
}

/// The duration a bucket stands for: the middle of its range, rounded to a millisecond.
pub fn bucket_duration(bucket: i64) -> i64 {
    if bucket <= 0 {
        return 0;
    }
    let lower = BUCKET_GROWTH.powf((bucket - 1) as f64);
    (lower * (1.0 + BUCKET_GROWTH) / 2.0).round() as i64
}

/// One change read from the bucket.
#[derive(Debug, Clone)]
pub struct Change {
    /// The key: the saga's ID.
    pub key: String,
    /// The bucket revision (stream sequence) of the change.
    pub revision: u64,
    /// The new record's JSON, or `None` when the key was deleted or purged.
    pub value: Option<Bytes>,
}

/// Where the index stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The bucket revision applied last (0: none).
    pub revision: u64,
    /// The creation time of the stream it was read from, so a bucket made anew is noticed.
    pub stream_created: String,
}

/// Reads the position.
pub fn position(connection: &Connection) -> rusqlite::Result<Position> {
    connection.query_row(
        "SELECT revision, stream_created FROM index_position WHERE id = 1",
        [],
        |row| {
            Ok(Position {
                revision: row.get::<_, i64>(0)? as u64,
                stream_created: row.get(1)?,
            })
        },
    )
}

/// Empties the index, to be filled again from the start of the stream created at
/// `stream_created`.
pub fn reset(connection: &Connection, stream_created: &str) -> rusqlite::Result<()> {
    connection
        .execute_batch("DELETE FROM sagas; DELETE FROM saga_counts; DELETE FROM saga_durations;")?;
    connection.execute(
        "UPDATE index_position SET revision = 0, stream_created = ?1 WHERE id = 1",
        params![stream_created],
    )?;
    Ok(())
}

/// The indexed fields of one saga.
struct Row {
    state: String,
    store_id: Option<i64>,
    created_at_ms: i64,
    updated_at_ms: i64,
    revision: u64,
    lease_until_ms: Option<i64>,
}

impl Row {
    /// Whether `old` files this saga under the same keys (state, store, creation), so only its
    /// time and revision need writing.
    fn keys_as(&self, old: &Row) -> bool {
        self.state == old.state
            && self.store_id == old.store_id
            && self.created_at_ms == old.created_at_ms
    }

    /// Whether a change filed under the same keys as `old` is worth writing. A driver renews
    /// its lease with every record it writes, and a step's time and lease are read only by
    /// recovery (idle for a minute) and the takeover check (lease run out): while the same
    /// lease is held, a renewal by less than half a lease is left out, so a saga that ends
    /// within half a lease costs the index an insert and its final write, not a write per
    /// step (which was most of the index's writes). The indexed lease end is then at most half
    /// a lease early, and the takeover check reads the record before acting on it. A lease
    /// taken, released or changed hands is always written.
    fn worth_writing_over(&self, old: &Row) -> bool {
        match (old.lease_until_ms, self.lease_until_ms) {
            (Some(old_until), Some(new_until)) => {
                let half_lease = (old_until - old.updated_at_ms) / 2;
                new_until - old_until >= half_lease
            }
            _ => true,
        }
    }
}

/// Counter changes gathered over a batch, written once at its end.
#[derive(Default)]
struct Deltas {
    counts: HashMap<(i64, String), i64>,
    durations: HashMap<(i64, i64), i64>,
}

impl Deltas {
    fn add(&mut self, row: &Row, sign: i64) {
        let store_key = row.store_id.unwrap_or(NO_STORE);
        *self
            .counts
            .entry((store_key, row.state.clone()))
            .or_default() += sign;
        if ended(&row.state) {
            let bucket = duration_bucket(row.updated_at_ms - row.created_at_ms);
            *self.durations.entry((store_key, bucket)).or_default() += sign;
        }
    }

    fn write(self, connection: &Connection) -> rusqlite::Result<()> {
        let mut counts = connection.prepare_cached(
            "INSERT INTO saga_counts (store_key, state, count) VALUES (?1, ?2, ?3)
             ON CONFLICT (store_key, state) DO UPDATE SET count = count + excluded.count",
        )?;
        for ((store_key, state), delta) in self.counts {
            if delta != 0 {
                counts.execute(params![store_key, state, delta])?;
            }
        }
        let mut durations = connection.prepare_cached(
            "INSERT INTO saga_durations (store_key, bucket, count) VALUES (?1, ?2, ?3)
             ON CONFLICT (store_key, bucket) DO UPDATE SET count = count + excluded.count",
        )?;
        for ((store_key, bucket), delta) in self.durations {
            if delta != 0 {
                durations.execute(params![store_key, bucket, delta])?;
            }
        }
        Ok(())
    }
}

/// Whether a stored state is an ended one ([`SagaState::is_terminal`]).
fn ended(state: &str) -> bool {
    matches!(state, "completed" | "failed" | "resolved")
}

/// Applies `changes` (in revision order) and records the last one's revision as applied; a
/// change older than the row it would replace is skipped. A record that cannot be decoded is
/// logged and leaves no row (whatever was indexed for the key is stale).
pub fn apply(connection: &Connection, changes: &[Change]) -> rusqlite::Result<()> {
    let mut deltas = Deltas::default();
    let mut select = connection.prepare_cached(
        "SELECT state, store_id, created_at_ms, updated_at_ms, revision, lease_until_ms
         FROM sagas WHERE saga_id = ?1",
    )?;
    let mut upsert = connection.prepare_cached(
        "INSERT OR REPLACE INTO sagas
         (saga_id, definition, state, store_id, created_at_ms, updated_at_ms, revision,
          lease_until_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    // Most changes are a step of a running saga: only its time, revision and lease move, and
    // updating just those leaves both secondary indexes untouched.
    let mut touch = connection.prepare_cached(
        "UPDATE sagas SET updated_at_ms = ?2, revision = ?3, lease_until_ms = ?4
         WHERE saga_id = ?1",
    )?;
    let mut delete = connection.prepare_cached("DELETE FROM sagas WHERE saga_id = ?1")?;
    // A saga's steps write its record several times in quick succession, often within one
    // batch: only its last change in the batch is decoded and applied.
    let last_of_key: HashMap<&str, u64> = changes
        .iter()
        .map(|change| (change.key.as_str(), change.revision))
        .collect();
    let latest = changes
        .iter()
        .filter(|change| last_of_key.get(change.key.as_str()) == Some(&change.revision));
    for change in latest {
        let old = select
            .query_row(params![change.key], |row| {
                Ok(Row {
                    state: row.get(0)?,
                    store_id: row.get(1)?,
                    created_at_ms: row.get(2)?,
                    updated_at_ms: row.get(3)?,
                    revision: row.get::<_, i64>(4)? as u64,
                    lease_until_ms: row.get(5)?,
                })
            })
            .optional()?;
        if let Some(old) = &old {
            if old.revision >= change.revision {
                continue;
            }
            deltas.add(old, -1);
        }
        let record = change
            .value
            .as_ref()
            .and_then(|value| decode(change, value));
        match record {
            Some(record) => {
                let row = Row {
                    state: state_name(record.state).to_owned(),
                    store_id: record.payload.store_id(),
                    created_at_ms: record.created_at_ms,
                    updated_at_ms: record.updated_at_ms,
                    revision: change.revision,
                    lease_until_ms: record.lease.map(|lease| lease.until_ms),
                };
                deltas.add(&row, 1);
                if let Some(old) = old.as_ref().filter(|old| row.keys_as(old)) {
                    if !row.worth_writing_over(old) {
                        continue;
                    }
                    touch.execute(params![
                        change.key,
                        row.updated_at_ms,
                        row.revision as i64,
                        row.lease_until_ms,
                    ])?;
                    continue;
                }
                upsert.execute(params![
                    change.key,
                    record.definition,
                    row.state,
                    row.store_id,
                    row.created_at_ms,
                    row.updated_at_ms,
                    row.revision as i64,
                    row.lease_until_ms,
                ])?;
            }
            None if old.is_some() => {
                delete.execute(params![change.key])?;
            }
            None => {}
        }
    }
    deltas.write(connection)?;
    if let Some(last) = changes.last() {
        connection
            .prepare_cached("UPDATE index_position SET revision = MAX(revision, ?1) WHERE id = 1")?
            .execute(params![last.revision as i64])?;
    }
    Ok(())
}

/// What the index keeps of a saga record, read without the rest of it (its history, above
/// all, which is most of its bytes): the profile showed decoding whole records as a quarter
/// of the index's cost.
#[derive(Deserialize)]
struct Indexed {
    definition: String,
    state: SagaState,
    created_at_ms: i64,
    updated_at_ms: i64,
    payload: IndexedPayload,
    #[serde(default)]
    lease: Option<IndexedLease>,
}

/// When the lease of the saga's driver ends.
#[derive(Deserialize)]
struct IndexedLease {
    until_ms: i64,
}

/// The store a saga belongs to, as `SagaPayload::store_id` names it.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum IndexedPayload {
    PlaceOrder {
        store_id: StoreId,
    },
    CancelOrder {
        #[serde(default)]
        store_id: Option<StoreId>,
    },
    TransferStock {
        from_store_id: StoreId,
    },
}

impl IndexedPayload {
    fn store_id(&self) -> Option<i64> {
        match self {
            IndexedPayload::PlaceOrder { store_id } => Some(store_id.0),
            IndexedPayload::CancelOrder { store_id } => store_id.map(|store_id| store_id.0),
            IndexedPayload::TransferStock { from_store_id } => Some(from_store_id.0),
        }
    }
}

fn decode(change: &Change, value: &Bytes) -> Option<Indexed> {
    match serde_json::from_slice::<Indexed>(value) {
        Ok(record) => Some(record),
        Err(error) => {
            warn!(saga_id = %change.key, revision = change.revision, error = %error, "the saga index skips a record it cannot decode");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bikestore_contracts::StoreId;
    use bikestore_contracts::sagas::{SagaId, SagaPayload, TransferStockSaga};

    fn put(key: &str, revision: u64, state: SagaState) -> anyhow::Result<Change> {
        let payload = SagaPayload::TransferStock(TransferStockSaga {
            from_store_id: StoreId(7),
            to_store_id: StoreId(8),
            product_id: bikestore_contracts::ProductId(1),
            quantity: 1,
            reservation_id: None,
        });
        let mut record = crate::engine::record::at_first_step(
            SagaId(key.into()),
            "transfer_stock",
            1,
            payload,
            1_000,
        );
        record.state = state;
        record.updated_at_ms = 1_250;
        Ok(Change {
            key: key.into(),
            revision,
            value: Some(serde_json::to_vec(&record)?.into()),
        })
    }

    fn migrated() -> rusqlite::Result<Connection> {
        let connection = Connection::open_in_memory()?;
        for migration in MIGRATIONS {
            connection.execute_batch(migration)?;
        }
        Ok(connection)
    }

    fn count(connection: &Connection, state: &str) -> rusqlite::Result<i64> {
        connection.query_row(
            "SELECT COALESCE(SUM(count), 0) FROM saga_counts WHERE store_key = 7 AND state = ?1",
            params![state],
            |row| row.get(0),
        )
    }

    #[test]
    fn every_insert_checks_its_values_without_building_a_temporary_table() {
        use bikestore_storage::schema_check::migrated_tables_whose_inserts_build_temporary_tables;
        let found = migrated_tables_whose_inserts_build_temporary_tables(super::MIGRATIONS)
            .expect("migrated");
        assert!(
            found.is_empty(),
            "inserts into {found:?} build a temporary table"
        );
    }

    #[test]
    fn a_batch_applies_each_sagas_last_change_and_counts_follow() -> anyhow::Result<()> {
        let connection = migrated()?;
        let delete = |key: &str, revision| Change {
            key: key.into(),
            revision,
            value: None,
        };
        let unreadable = Change {
            key: "c".into(),
            revision: 6,
            value: Some(Bytes::from_static(b"not a record")),
        };
        let batch = [
            put("a", 1, SagaState::Running)?,
            put("b", 2, SagaState::Running)?,
            put("a", 3, SagaState::Completed)?,
            delete("b", 4),
            put("c", 5, SagaState::Stuck)?,
            unreadable,
        ];
        apply(&connection, &batch)?;
        assert_eq!(count(&connection, "completed")?, 1);
        assert_eq!(count(&connection, "running")?, 0);
        assert_eq!(
            count(&connection, "stuck")?,
            0,
            "c's last change cannot be read"
        );
        let rows: i64 = connection.query_row("SELECT COUNT(*) FROM sagas", [], |row| row.get(0))?;
        assert_eq!(rows, 1);
        assert_eq!(position(&connection)?.revision, 6);
        // An older change arriving again (a watch restarted early) changes nothing.
        apply(&connection, &[put("a", 3, SagaState::Failed)?])?;
        assert_eq!(count(&connection, "completed")?, 1);
        assert_eq!(count(&connection, "failed")?, 0);
        assert_eq!(position(&connection)?.revision, 6, "never goes back");
        let durations: i64 = connection.query_row(
            "SELECT SUM(count) FROM saga_durations WHERE bucket = ?1",
            params![duration_bucket(250)],
            |row| row.get(0),
        )?;
        assert_eq!(durations, 1);
        Ok(())
    }

    #[test]
    fn a_step_of_a_running_saga_moves_its_time_and_revision_and_keeps_its_counts()
    -> anyhow::Result<()> {
        let connection = migrated()?;
        apply(&connection, &[put("a", 1, SagaState::Running)?])?;
        let mut step = put("a", 2, SagaState::Running)?;
        let mut record: serde_json::Value =
            serde_json::from_slice(step.value.as_deref().unwrap_or_default())?;
        record["updated_at_ms"] = 9_000.into();
        record["lease"] = serde_json::json!({"holder": "driver.1", "until_ms": 19_000});
        step.value = Some(serde_json::to_vec(&record)?.into());
        apply(&connection, &[step])?;
        let (updated_at_ms, revision, lease_until_ms): (i64, i64, Option<i64>) = connection
            .query_row(
                "SELECT updated_at_ms, revision, lease_until_ms FROM sagas WHERE saga_id = 'a'",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )?;
        assert_eq!(
            (updated_at_ms, revision, lease_until_ms),
            (9_000, 2, Some(19_000))
        );
        assert_eq!(count(&connection, "running")?, 1);
        apply(&connection, &[put("a", 3, SagaState::Completed)?])?;
        assert_eq!(count(&connection, "running")?, 0);
        assert_eq!(count(&connection, "completed")?, 1);
        let state: String =
            connection.query_row("SELECT state FROM sagas WHERE saga_id = 'a'", [], |row| {
                row.get(0)
            })?;
        assert_eq!(state, "completed");
        let lease_until_ms: Option<i64> = connection.query_row(
            "SELECT lease_until_ms FROM sagas WHERE saga_id = 'a'",
            [],
            |row| row.get(0),
        )?;
        assert_eq!(lease_until_ms, None, "an ended saga's driver let go of it");
        Ok(())
    }

    #[test]
    fn a_renewal_by_less_than_half_a_lease_is_left_out_and_any_other_lease_change_is_written()
    -> anyhow::Result<()> {
        let connection = migrated()?;
        let step = |revision: u64, updated_at_ms: i64, lease: Option<(&str, i64)>| {
            let mut change = put("a", revision, SagaState::Running)?;
            let mut record: serde_json::Value =
                serde_json::from_slice(change.value.as_deref().unwrap_or_default())?;
            record["updated_at_ms"] = updated_at_ms.into();
            record["lease"] = match lease {
                Some((holder, until_ms)) => {
                    serde_json::json!({"holder": holder, "until_ms": until_ms})
                }
                None => serde_json::Value::Null,
            };
            change.value = Some(serde_json::to_vec(&record)?.into());
            anyhow::Ok(change)
        };
        let indexed = |connection: &Connection| -> rusqlite::Result<(i64, i64, Option<i64>)> {
            connection.query_row(
                "SELECT updated_at_ms, revision, lease_until_ms FROM sagas WHERE saga_id = 'a'",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
        };
        // Taken with a 10 s lease at 1 s.
        apply(&connection, &[step(1, 1_000, Some(("one.1", 11_000)))?])?;
        assert_eq!(indexed(&connection)?, (1_000, 1, Some(11_000)));
        // Renewed by 4 s: less than half the lease, left out.
        apply(&connection, &[step(2, 5_000, Some(("one.1", 15_000)))?])?;
        assert_eq!(indexed(&connection)?, (1_000, 1, Some(11_000)));
        // Renewed by 5 s from the indexed one: written.
        apply(&connection, &[step(3, 6_000, Some(("one.1", 16_000)))?])?;
        assert_eq!(indexed(&connection)?, (6_000, 3, Some(16_000)));
        // Let go of (waiting for a retry): written.
        apply(&connection, &[step(4, 6_500, None)?])?;
        assert_eq!(indexed(&connection)?, (6_500, 4, None));
        // A step without a lease before and after (an operator's write): written.
        apply(&connection, &[step(5, 7_000, None)?])?;
        assert_eq!(indexed(&connection)?, (7_000, 5, None));
        // Taken again: written.
        apply(&connection, &[step(6, 7_500, Some(("two.1", 17_500)))?])?;
        assert_eq!(indexed(&connection)?, (7_500, 6, Some(17_500)));
        // The saga ends, however soon: written, with its state.
        apply(&connection, &[put("a", 7, SagaState::Completed)?])?;
        let state: String =
            connection.query_row("SELECT state FROM sagas WHERE saga_id = 'a'", [], |row| {
                row.get(0)
            })?;
        assert_eq!(state, "completed");
        assert_eq!(count(&connection, "running")?, 0);
        Ok(())
    }

    #[test]
    fn a_bucket_holds_durations_within_two_percent_and_names_one_inside_it() {
        for duration in [1_i64, 2, 3, 7, 100, 999, 12_345, 86_400_000, 5_184_000_000] {
            let bucket = duration_bucket(duration);
            let named = bucket_duration(bucket);
            let error = (named - duration).abs() as f64 / duration as f64;
            assert!(error <= 0.02, "{duration} ms named {named} ms");
            assert!(duration_bucket(duration + 1) >= bucket);
        }
        assert_eq!(duration_bucket(0), 0);
        assert_eq!(duration_bucket(-5), 0);
        assert_eq!(bucket_duration(0), 0);
    }
}
