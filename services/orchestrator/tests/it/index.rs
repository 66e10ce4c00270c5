//! The saga index: it follows the bucket (creates, changes, deletes), answers lists and
//! statistics as a scan of every record would, sees a change made just before a query,
//! resumes where it stopped after a restart, rebuilds when the bucket is not the one it
//! indexed, and retention removes only ended sagas kept long enough.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, kv};
use bikestore_contracts::sagas::{
    Lease, ListSagas, SagaId, SagaRecord, SagaState, SagaStats, StateCount,
};
use bikestore_contracts::{OrderId, ProductId, ServiceName, StoreId, Subjects};
use bikestore_orchestrator::engine::store::SagaStore;
use bikestore_orchestrator::index::SagaIndex;
use bikestore_orchestrator::index::query::Filter;
use bikestore_orchestrator::index::{feed, retention};
use bikestore_runtime::shutdown::ShutdownTrigger;
use bikestore_runtime::{Shutdown, now_ms};
use bikestore_testkit::{NatsServer, eventually};

use crate::support::{Stack, cancel_order_record, transfer_record};

const DAY_MS: i64 = 24 * 60 * 60 * 1_000;

const STATES: [SagaState; 6] = SagaState::ALL;

/// A saga of `store` (none: a cancel-order record that does not know its store yet) in
/// `state`, created `age_ms` ago and last changed `idle_ms` ago. Unended ones carry a lease
/// far ahead, so no orchestrator drives them while the test looks.
fn saga(
    number: usize,
    state: SagaState,
    store: Option<i64>,
    age_ms: i64,
    idle_ms: i64,
) -> SagaRecord {
    let saga_id = SagaId(format!("saga-{number:04}"));
    let mut record = match store {
        Some(store) => transfer_record(&saga_id, StoreId(store), StoreId(99), ProductId(1)),
        None => cancel_order_record(&saga_id.0, 1, OrderId(number as i64)),
    };
    let now = now_ms();
    record.state = state;
    record.created_at_ms = now - age_ms;
    record.updated_at_ms = now - idle_ms;
    if !state.is_terminal() {
        record.lease = Some(Lease {
            holder: "the test".into(),
            until_ms: now + DAY_MS,
        });
    }
    record
}

/// A few hundred sagas of every state, four stores and none, of many ages and durations.
fn mixed_sagas(count: usize) -> Vec<SagaRecord> {
    (0..count)
        .map(|number| {
            let state = STATES[number % STATES.len()];
            let store = match number % 5 {
                4 => None,
                store => Some(store as i64 + 1),
            };
            let age_ms = (number as i64 * 7_919) % (40 * DAY_MS / 1_000) * 1_000 + 60_000;
            let duration_ms = (number as i64 * 104_729) % 300_000 + 1;
            saga(number, state, store, age_ms, age_ms - duration_ms)
        })
        .collect()
}

async fn put_all(bucket: &kv::Store, sagas: &[SagaRecord]) -> anyhow::Result<u64> {
    let mut revision = 0;
    for saga in sagas {
        revision = bucket
            .put(&saga.saga_id.0, serde_json::to_vec(saga)?.into())
            .await?;
    }
    Ok(revision)
}

/// What a scan of `sagas` counts, per state.
fn scanned_counts(sagas: &[&SagaRecord]) -> Vec<StateCount> {
    STATES
        .into_iter()
        .map(|state| StateCount {
            state,
            count: sagas.iter().filter(|saga| saga.state == state).count() as u64,
        })
        .collect()
}

/// What a scan of `sagas` finds at `fraction` of the sorted durations of the ended ones.
fn scanned_percentile(sagas: &[&SagaRecord], fraction: f64) -> i64 {
    let mut durations: Vec<i64> = sagas
        .iter()
        .filter(|saga| saga.state.is_terminal())
        .map(|saga| saga.updated_at_ms - saga.created_at_ms)
        .collect();
    durations.sort_unstable();
    let index = ((durations.len() as f64 - 1.0) * fraction).round() as usize;
    durations.get(index).copied().unwrap_or(0)
}

#[tokio::test]
async fn lists_and_statistics_match_a_scan_and_see_a_change_made_just_before() -> anyhow::Result<()>
{
    let stack = Stack::with(&[ServiceName::Orchestrator]).await?;
    let bucket = jetstream::new(stack.client.clone())
        .get_key_value(Subjects::default().sagas_bucket())
        .await?;
    let sagas = mixed_sagas(300);
    put_all(&bucket, &sagas).await?;

    for store in [None, Some(1), Some(4)] {
        let of_store: Vec<&SagaRecord> = sagas
            .iter()
            .filter(|saga| {
                store.is_none_or(|store| saga.payload.store_id() == Some(StoreId(store)))
            })
            .collect();
        let report = stack
            .caller
            .call(&SagaStats {
                store_id: store.map(StoreId),
            })
            .await?;
        assert_eq!(report.counts, scanned_counts(&of_store), "store {store:?}");
        for (found, fraction) in report.duration_ms.into_iter().zip([0.5, 0.9, 0.99, 1.0]) {
            let exact = scanned_percentile(&of_store, fraction);
            assert!(
                (found - exact).abs() * 50 <= exact,
                "store {store:?}: p{fraction} is {found} ms, a scan says {exact} ms"
            );
        }
    }

    for (state, store, older_than_ms, limit) in [
        (Some(SagaState::Stuck), None, None, 1_000),
        (Some(SagaState::Failed), None, None, 20),
        (Some(SagaState::Running), Some(2), None, 1_000),
        (None, Some(3), Some(20 * DAY_MS), 15),
        (None, None, None, 1_000),
    ] {
        let now = now_ms();
        let mut expected: Vec<&SagaRecord> = sagas
            .iter()
            .filter(|saga| state.is_none_or(|state| saga.state == state))
            .filter(|saga| {
                store.is_none_or(|store| saga.payload.store_id() == Some(StoreId(store)))
            })
            .filter(|saga| older_than_ms.is_none_or(|age| now - saga.created_at_ms >= age))
            .collect();
        expected.sort_by_key(|saga| std::cmp::Reverse((saga.created_at_ms, saga.saga_id.clone())));
        expected.truncate(limit as usize);
        let listed = stack
            .caller
            .call(&ListSagas {
                state,
                store_id: store.map(StoreId),
                older_than_ms,
                limit: Some(limit),
                ..ListSagas::default()
            })
            .await?;
        let listed: Vec<&SagaId> = listed.sagas.iter().map(|saga| &saga.saga_id).collect();
        let expected: Vec<&SagaId> = expected.iter().map(|saga| &saga.saga_id).collect();
        assert_eq!(
            listed, expected,
            "{state:?} of {store:?}, older than {older_than_ms:?}"
        );
    }

    // A saga that gets stuck is listed as stuck by the very next query; one deleted is gone.
    let mut moved = sagas[2].clone();
    moved.state = SagaState::Stuck;
    bucket
        .put(&moved.saga_id.0, serde_json::to_vec(&moved)?.into())
        .await?;
    let stuck = stack
        .caller
        .call(&ListSagas {
            state: Some(SagaState::Stuck),
            limit: Some(1_000),
            ..ListSagas::default()
        })
        .await?;
    assert!(stuck.sagas.iter().any(|saga| saga.saga_id == moved.saga_id));
    bucket.delete(&sagas[4].saga_id.0).await?;
    let all = stack
        .caller
        .call(&ListSagas {
            limit: Some(1_000),
            ..ListSagas::default()
        })
        .await?;
    assert_eq!(all.sagas.len(), sagas.len() - 1);
    assert!(
        all.sagas
            .iter()
            .all(|saga| saga.saga_id != sagas[4].saga_id)
    );
    let report = stack.caller.call(&SagaStats::default()).await?;
    let total: u64 = report.counts.iter().map(|count| count.count).sum();
    assert_eq!(total, sagas.len() as u64 - 1);
    stack.stop().await
}

/// A bucket on its own server, and a folder for index files.
struct Bucket {
    server: NatsServer,
    jetstream: jetstream::Context,
    store: SagaStore,
    folder: tempfile::TempDir,
}

impl Bucket {
    async fn start() -> anyhow::Result<Bucket> {
        let server = NatsServer::start().await?;
        let client = async_nats::connect(server.url()).await?;
        let jetstream = jetstream::new(client);
        let store = SagaStore::open(&jetstream, &Subjects::default(), 1).await?;
        Ok(Bucket {
            server,
            jetstream,
            store,
            folder: tempfile::tempdir()?,
        })
    }

    fn kv(&self) -> &kv::Store {
        self.store.bucket()
    }

    /// Opens the index of `store` in the test's folder.
    async fn open(&self, store: &SagaStore) -> anyhow::Result<Arc<SagaIndex>> {
        Ok(Arc::new(
            SagaIndex::open(self.folder.path(), store.bucket().clone()).await?,
        ))
    }

    /// Opens the index and feeds it until the returned feeder stops.
    async fn index(&self) -> anyhow::Result<(Arc<SagaIndex>, Feeder)> {
        let index = self.open(&self.store).await?;
        let feeder = Feeder::start(&index);
        Ok((index, feeder))
    }
}

/// The index's feed, running until stopped.
struct Feeder {
    trigger: ShutdownTrigger,
    task: tokio::task::JoinHandle<()>,
}

impl Feeder {
    fn start(index: &Arc<SagaIndex>) -> Feeder {
        let (trigger, shutdown) = Shutdown::new();
        let task = tokio::spawn(feed::run(Arc::clone(index), shutdown));
        Feeder { trigger, task }
    }

    async fn stop(self) -> anyhow::Result<()> {
        self.trigger.trigger();
        Ok(self.task.await?)
    }
}

async fn total(index: &SagaIndex) -> anyhow::Result<u64> {
    index.caught_up().await?;
    Ok(index.counts().await?.iter().map(|count| count.count).sum())
}

#[tokio::test]
async fn the_index_resumes_where_it_stopped_and_rebuilds_for_another_bucket() -> anyhow::Result<()>
{
    let bucket = Bucket::start().await?;
    let sagas = mixed_sagas(120);
    let first_revision = put_all(bucket.kv(), &sagas[..100]).await?;
    let (index, feeder) = bucket.index().await?;
    assert_eq!(total(&index).await?, 100);
    assert_eq!(index.applied(), first_revision);
    feeder.stop().await?;
    drop(index);

    // Stopped, the bucket moves on: twenty new sagas, one changed, one deleted.
    put_all(bucket.kv(), &sagas[100..]).await?;
    let mut failed = sagas[0].clone();
    failed.state = SagaState::Failed;
    bucket
        .kv()
        .put(&failed.saga_id.0, serde_json::to_vec(&failed)?.into())
        .await?;
    bucket.kv().delete(&sagas[1].saga_id.0).await?;

    let index = bucket.open(&bucket.store).await?;
    assert_eq!(
        index.position().await?.revision,
        first_revision,
        "resumes from the revision it had applied"
    );
    let feeder = Feeder::start(&index);
    assert_eq!(total(&index).await?, 119);
    let failed_ids = index
        .list(Filter {
            state: Some(SagaState::Failed),
            limit: 1_000,
            ..Filter::default()
        })
        .await?;
    assert!(failed_ids.contains(&failed.saga_id));
    assert!(index.applied() > first_revision);
    feeder.stop().await?;
    drop(index);

    // The bucket deleted and made anew, with fewer records: the index starts over.
    bucket
        .jetstream
        .delete_key_value(Subjects::default().sagas_bucket())
        .await?;
    let store = SagaStore::open(&bucket.jetstream, &Subjects::default(), 1).await?;
    put_all(store.bucket(), &sagas[..5]).await?;
    let index = bucket.open(&store).await?;
    let feeder = Feeder::start(&index);
    assert_eq!(total(&index).await?, 5);
    let counts: BTreeMap<_, _> = index
        .counts()
        .await?
        .into_iter()
        .map(|count| (format!("{:?}", count.state), count.count))
        .collect();
    assert_eq!(counts.get("Running"), Some(&1));
    feeder.stop().await
}

#[tokio::test]
async fn the_index_follows_the_bucket_across_a_nats_restart() -> anyhow::Result<()> {
    let mut bucket = Bucket::start().await?;
    let sagas = mixed_sagas(40);
    put_all(bucket.kv(), &sagas[..20]).await?;
    let (index, feeder) = bucket.index().await?;
    assert_eq!(total(&index).await?, 20);

    bucket.server.restart().await?;
    eventually(
        "the other sagas written after the restart",
        Duration::from_secs(20),
        async || Ok(put_all(bucket.kv(), &sagas[20..]).await.ok()),
    )
    .await?;
    eventually(
        "the index to count every saga",
        Duration::from_secs(20),
        async || Ok(total(&index).await.ok().filter(|total| *total == 40)),
    )
    .await?;
    feeder.stop().await
}

#[tokio::test]
async fn retention_removes_old_ended_sagas_only() -> anyhow::Result<()> {
    let bucket = Bucket::start().await?;
    let mut sagas = Vec::new();
    for (number, state) in STATES.into_iter().enumerate() {
        // Old: created 60 days ago, last changed 40 days ago.
        sagas.push(saga(number, state, Some(1), 60 * DAY_MS, 40 * DAY_MS));
        // Young: created 60 days ago, last changed 10 days ago.
        sagas.push(saga(number + 10, state, Some(2), 60 * DAY_MS, 10 * DAY_MS));
    }
    put_all(bucket.kv(), &sagas).await?;
    let (index, feeder) = bucket.index().await?;
    let keep = Duration::from_millis(30 * DAY_MS as u64);

    let swept = retention::sweep(&index, keep).await?;
    assert_eq!(
        swept.removed, 3,
        "the old completed, failed and resolved sagas"
    );
    for saga in &sagas {
        let kept = bucket.store.load(&saga.saga_id).await?.is_some();
        let old = now_ms() - saga.updated_at_ms > 30 * DAY_MS;
        assert_eq!(
            kept,
            !(old && saga.state.is_terminal()),
            "{} {:?}",
            saga.saga_id,
            saga.state
        );
    }
    assert_eq!(total(&index).await?, sagas.len() as u64 - 3);
    let again = retention::sweep(&index, keep).await?;
    assert_eq!(again, retention::Swept::default(), "nothing left to remove");
    feeder.stop().await
}

#[tokio::test]
async fn two_replicas_sweeping_at_once_remove_each_old_saga_once() -> anyhow::Result<()> {
    let bucket = Bucket::start().await?;
    let sagas: Vec<SagaRecord> = (0..30)
        .map(|number| {
            let state = [SagaState::Completed, SagaState::Running][number % 2];
            saga(number, state, Some(1), 60 * DAY_MS, 40 * DAY_MS)
        })
        .collect();
    put_all(bucket.kv(), &sagas).await?;
    // Two replicas on one data folder: each locks its own index file.
    let (first, first_feeder) = bucket.index().await?;
    let (second, second_feeder) = bucket.index().await?;
    assert_ne!(first.path(), second.path());
    let keep = Duration::from_millis(30 * DAY_MS as u64);

    let (by_first, by_second) = tokio::try_join!(
        retention::sweep(&first, keep),
        retention::sweep(&second, keep)
    )?;
    assert_eq!(
        by_first.removed + by_second.removed,
        15,
        "{by_first:?} {by_second:?}"
    );
    assert_eq!(total(&first).await?, 15);
    assert_eq!(total(&second).await?, 15);
    first_feeder.stop().await?;
    second_feeder.stop().await
}
