//! The saga store rides out JetStream outages in the middle of a burst of compare-and-set
//! writes: writers increment a counter in saga records with `SagaStore::update` while a single
//! nats-server is killed and started again, or while the leader of the sagas bucket's stream
//! in a 3-node cluster is killed; afterwards every increment is in its record exactly once.
//! Records with several writers check that the lost races of a burst and the outage together
//! lose nothing and apply nothing twice. On a single server, records with one writer each
//! check the store's own answers too: nobody else writes them and every read is current, so a
//! `Lost` could only be a write that landed reported as lost (which the writer would then make
//! twice). A cluster's reads may come from a replica a write behind, so there a lone writer may
//! lose a race to its own last write, and only the increments are checked.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context as _;
use async_nats::jetstream;
use bikestore_contracts::Subjects;
use bikestore_contracts::sagas::{HistoryEntry, Outcome, Phase, SagaId};
use bikestore_orchestrator::engine::store::{SagaStore, Written};
use bikestore_testkit::{NatsOptions, NatsServer};
use tokio::sync::watch;

use crate::support::cancel_order_record;

/// Records written by one writer each, and by several.
const SOLE_RECORDS: usize = 4;
const SHARED_RECORDS: usize = 2;
const WRITERS_PER_SHARED_RECORD: usize = 4;
/// Increments each writer makes, one after another.
const INCREMENTS: usize = 40;
/// Increments in all.
const TOTAL: usize = (SOLE_RECORDS + SHARED_RECORDS * WRITERS_PER_SHARED_RECORD) * INCREMENTS;

/// How a burst went: for each record, the lost races its writers were answered.
struct Burst {
    saga_ids: Vec<SagaId>,
    writers: Vec<usize>,
    lost: Vec<Arc<AtomicUsize>>,
}

#[tokio::test]
async fn a_burst_of_compare_and_set_writes_rides_out_a_killed_server() -> anyhow::Result<()> {
    let mut nats = NatsServer::start().await?;
    let jetstream = jetstream::new(nats.client().await?);
    let store = SagaStore::open(&jetstream, &Subjects::default(), 1).await?;

    let burst = burst_through(&store, async || {
        nats.kill();
        nats.restart().await
    })
    .await?;
    check(&store, &burst, LoneWriters::NeverLose).await
}

#[tokio::test]
async fn a_burst_of_compare_and_set_writes_rides_out_the_death_of_the_buckets_leader()
-> anyhow::Result<()> {
    let mut cluster = NatsServer::start_with(NatsOptions::cluster()).await?;
    let jetstream = jetstream::new(cluster.client().await?);
    let subjects = Subjects::default();
    // The bucket as the orchestrator makes it on a cluster, replicated on every node.
    let store = SagaStore::open(&jetstream, &subjects, 3).await?;
    let bucket = jetstream.get_key_value(subjects.sagas_bucket()).await?;
    let leader = cluster.wait_until_current(&bucket.stream_name).await?;

    let burst = burst_through(&store, async || {
        cluster.kill_node(leader);
        Ok(())
    })
    .await?;
    // The writes after the kill went through, so the bucket has a leader again: another node.
    let new_leader = cluster.stream_leader(&bucket.stream_name).await?;
    assert!(
        new_leader.is_some_and(|new_leader| new_leader != leader),
        "another node leads the bucket: {new_leader:?}, not {leader}"
    );
    check(&store, &burst, LoneWriters::MayLose).await
}

/// Runs a burst and, a third of the way through (every writer busy), the `outage`; returns
/// once every writer has made all its increments.
async fn burst_through(
    store: &SagaStore,
    outage: impl AsyncFnOnce() -> anyhow::Result<()>,
) -> anyhow::Result<Burst> {
    let (made, mut made_so_far) = watch::channel(0usize);
    let burst = start_burst(store, made).await?;
    made_so_far
        .wait_for(|count| *count >= TOTAL / 3)
        .await
        .context("the writers stopped")?;
    let made_before = *made_so_far.borrow();
    outage().await?;
    let burst = burst.await??;
    assert!(
        made_before < TOTAL,
        "the outage came in the middle of the burst"
    );
    assert_eq!(*made_so_far.borrow(), TOTAL, "every increment was made");
    Ok(burst)
}

/// Whether a record's lone writer may be answered `Lost`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LoneWriters {
    /// Every read is current (a single server): a `Lost` would be a wrong answer.
    NeverLose,
    /// A read may come from a replica behind the leader.
    MayLose,
}

/// Checks that every record holds each of its writers' increments exactly once.
async fn check(store: &SagaStore, burst: &Burst, lone_writers: LoneWriters) -> anyhow::Result<()> {
    for (index, saga_id) in burst.saga_ids.iter().enumerate() {
        let (record, _) = store
            .load(saga_id)
            .await?
            .with_context(|| format!("{saga_id} exists"))?;
        let writers = burst.writers[index];
        let marks: Vec<&str> = record
            .history
            .iter()
            .map(|entry| entry.step.as_str())
            .collect();
        let distinct: BTreeSet<&str> = marks.iter().copied().collect();
        let expected: BTreeSet<String> = (0..writers)
            .flat_map(|writer| (0..INCREMENTS).map(move |number| mark(writer, number)))
            .collect();
        assert_eq!(
            distinct.len(),
            marks.len(),
            "{saga_id}: an increment applied twice"
        );
        assert_eq!(
            distinct,
            expected.iter().map(String::as_str).collect(),
            "{saga_id}: an increment lost"
        );
        assert_eq!(
            record.attempt as usize,
            writers * INCREMENTS,
            "{saga_id}'s counter"
        );
        if writers == 1 && lone_writers == LoneWriters::NeverLose {
            assert_eq!(
                burst.lost[index].load(Ordering::Relaxed),
                0,
                "{saga_id} has one writer, so no write of it can lose a race"
            );
        }
    }
    Ok(())
}

/// Creates the records and starts their writers; the handle ends when every writer has made
/// all its increments. `made` counts the increments made so far.
async fn start_burst(
    store: &SagaStore,
    made: watch::Sender<usize>,
) -> anyhow::Result<tokio::task::JoinHandle<anyhow::Result<Burst>>> {
    let made = Arc::new(made);
    let mut burst = Burst {
        saga_ids: Vec::new(),
        writers: Vec::new(),
        lost: Vec::new(),
    };
    let mut writers = tokio::task::JoinSet::new();
    let layout = std::iter::repeat_n(1, SOLE_RECORDS).chain(std::iter::repeat_n(
        WRITERS_PER_SHARED_RECORD,
        SHARED_RECORDS,
    ));
    for (index, writer_count) in layout.enumerate() {
        let saga_id = format!("burst-{index}");
        let record = cancel_order_record(&saga_id, 1, bikestore_contracts::OrderId(0));
        anyhow::ensure!(
            matches!(store.create(&record).await?, Written::Revision(_)),
            "{saga_id} is new"
        );
        let lost = Arc::new(AtomicUsize::new(0));
        for writer in 0..writer_count {
            let (store, saga_id, lost, made) = (
                store.clone(),
                record.saga_id.clone(),
                Arc::clone(&lost),
                Arc::clone(&made),
            );
            writers.spawn(async move {
                for number in 0..INCREMENTS {
                    let lost_races = increment(&store, &saga_id, &mark(writer, number)).await?;
                    lost.fetch_add(lost_races, Ordering::Relaxed);
                    made.send_modify(|count| *count += 1);
                }
                anyhow::Ok(())
            });
        }
        burst.saga_ids.push(record.saga_id);
        burst.writers.push(writer_count);
        burst.lost.push(lost);
    }
    Ok(tokio::spawn(async move {
        while let Some(writer) = writers.join_next().await {
            writer??;
        }
        Ok(burst)
    }))
}

/// The history entry that names one writer's increment.
fn mark(writer: usize, number: usize) -> String {
    format!("writer-{writer}-increment-{number}")
}

/// Adds one increment (the counter raised, its mark in the history) by compare-and-set, as the
/// engine writes a step's outcome: after a lost race the record is read again, and an increment
/// found in it already (written by a try whose answer was lost, then built on by another
/// writer) is not made again. Returns how many lost races it took.
async fn increment(store: &SagaStore, saga_id: &SagaId, mark: &str) -> anyhow::Result<usize> {
    let mut lost_races = 0;
    loop {
        let (mut record, revision) = store
            .load(saga_id)
            .await?
            .with_context(|| format!("{saga_id} exists"))?;
        if record.history.iter().any(|entry| entry.step == mark) {
            return Ok(lost_races);
        }
        let now = bikestore_runtime::now_ms();
        record.attempt += 1;
        record.updated_at_ms = now;
        record.history.push(HistoryEntry {
            step: mark.to_owned(),
            phase: Phase::Action,
            attempt: 1,
            outcome: Outcome::Succeeded,
            error: None,
            started_at_ms: now,
            finished_at_ms: now,
        });
        match store.update(&record, revision).await? {
            Written::Revision(_) => return Ok(lost_races),
            Written::Lost => lost_races += 1,
        }
    }
}
