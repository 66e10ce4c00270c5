//! The floor: what NATS, JetStream and SQLite allow on this machine, measured on the same
//! nats-server in the same run and profile as the saga, its stream and bucket with as many
//! replicas as the system's.
//!
//! Primitives: one request/reply round trip (to an echo responder), one JetStream publish
//! with its acknowledgement, one KV create, one KV compare-and-set, one SQLite commit (WAL, the
//! profile's `synchronous`), and one request to a responder that makes one SQLite commit. The
//! floor saga: per saga 1 KV create, then per step one request to that committing responder and
//! one KV compare-and-set; the same number of steps as place order.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use async_nats::jetstream::{self, kv, stream};
use bikestore_contracts::Subjects;
use futures::StreamExt;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::cli::{Profile, Until};
use crate::driver::{self, Measurement};

/// Bytes of a floor KV value: about a place-order saga record's size.
const VALUE_BYTES: usize = 1536;
/// Bytes of a floor request: about a saga step's request.
const REQUEST_BYTES: usize = 128;
/// Jobs waiting for the floor's SQLite writer.
const QUEUE: usize = 4096;
/// The floor's one write: a row like a small command's.
const INSERT: &str = "INSERT INTO floor (payload) VALUES (?1)";

/// The name of the bare request/reply row, which the gateway's summary reads too.
pub const REQUEST_REPLY: &str = "NATS request/reply";

/// One measured primitive.
pub struct Row {
    pub name: String,
    pub concurrency: usize,
    pub measurement: Measurement,
}

/// The floor's responders, stream and bucket.
pub struct Floor {
    client: async_nats::Client,
    jetstream: jetstream::Context,
    subjects: Subjects,
    bucket: kv::Store,
    echo_subject: String,
    commit_subject: String,
    data_dir: PathBuf,
    profile: Profile,
    responders: Vec<JoinHandle<()>>,
    run_id: String,
}

impl Floor {
    /// Starts the responders and (re)creates the floor's stream and bucket, each with
    /// `replicas` copies: as many as the system under test keeps of its own, or a replicated
    /// saga would be measured against an unreplicated floor.
    pub async fn start(
        client: async_nats::Client,
        subjects: Subjects,
        data_dir: &Path,
        profile: Profile,
        replicas: usize,
    ) -> anyhow::Result<Floor> {
        let jetstream = jetstream::new(client.clone());
        // Left over from an earlier run on an attached server: start clean.
        let _ = jetstream.delete_stream(subjects.bench_stream()).await;
        let _ = jetstream.delete_key_value(subjects.bench_bucket()).await;
        jetstream
            .create_stream(stream::Config {
                name: subjects.bench_stream(),
                subjects: vec![subjects.bench_published()],
                storage: stream::StorageType::File,
                num_replicas: replicas,
                ..Default::default()
            })
            .await
            .context("create the floor stream")?;
        // The same settings as the saga bucket.
        let bucket = jetstream
            .create_key_value(kv::Config {
                bucket: subjects.bench_bucket(),
                history: 1,
                max_value_size: 256 * 1024,
                storage: stream::StorageType::File,
                num_replicas: replicas,
                ..Default::default()
            })
            .await
            .context("create the floor bucket")?;
        let data_dir = data_dir.join("bench-floor");
        std::fs::create_dir_all(&data_dir)?;
        let echo_subject = subjects.bench("echo");
        let commit_subject = subjects.bench("commit");
        let responders = vec![
            spawn_echo_responder(client.clone(), echo_subject.clone()).await?,
            spawn_commit_responder(
                client.clone(),
                commit_subject.clone(),
                &data_dir.join("floor.db"),
                profile,
            )
            .await?,
        ];
        client.flush().await?;
        Ok(Floor {
            client,
            jetstream,
            subjects,
            bucket,
            echo_subject,
            commit_subject,
            data_dir,
            profile,
            responders,
            run_id: ulid::Ulid::new().to_string(),
        })
    }

    /// Stops the responders and deletes the stream and bucket.
    pub async fn stop(self) {
        for responder in &self.responders {
            responder.abort();
        }
        let _ = self
            .jetstream
            .delete_stream(self.subjects.bench_stream())
            .await;
        let _ = self
            .jetstream
            .delete_key_value(self.subjects.bench_bucket())
            .await;
    }

    /// Measures every primitive at each concurrency (SQLite alone at 1 only), each for
    /// `duration`.
    pub async fn primitives(
        &self,
        concurrencies: &[usize],
        duration: Duration,
    ) -> anyhow::Result<Vec<Row>> {
        let until = Until::Elapsed(duration);
        let mut rows = Vec::new();
        rows.push(Row {
            name: format!(
                "SQLite commit (WAL, synchronous={})",
                self.profile.synchronous()
            ),
            concurrency: 1,
            measurement: self.sqlite_alone(duration).await?,
        });
        for &concurrency in concurrencies {
            let measurement = self
                .requests(REQUEST_REPLY, &self.echo_subject, concurrency, until)
                .await?;
            rows.push(row(REQUEST_REPLY, concurrency, measurement));

            let (jetstream, subject) = (self.jetstream.clone(), self.subjects.bench_published());
            let (measurement, _) = driver::drive(
                "JetStream publish + ack",
                concurrency,
                until,
                move |_, _| {
                    let (jetstream, subject) = (jetstream.clone(), subject.clone());
                    async move {
                        jetstream
                            .publish(subject, vec![0u8; REQUEST_BYTES].into())
                            .await?
                            .await?;
                        Ok(())
                    }
                },
            )
            .await?;
            rows.push(row("JetStream publish + ack", concurrency, measurement));

            let (bucket, prefix) = (
                self.bucket.clone(),
                format!("create-{}-{concurrency}", self.run_id),
            );
            let (measurement, _) =
                driver::drive("KV create", concurrency, until, move |_, index| {
                    let (bucket, key) = (bucket.clone(), format!("{prefix}-{index}"));
                    async move {
                        bucket.create(key, value()).await?;
                        Ok(())
                    }
                })
                .await?;
            rows.push(row("KV create", concurrency, measurement));

            let mut revisions = Vec::with_capacity(concurrency);
            for worker in 0..concurrency {
                let key = format!("cas-{}-{concurrency}-{worker}", self.run_id);
                revisions.push(AtomicU64::new(self.bucket.create(key, value()).await?));
            }
            let (bucket, revisions, prefix) = (
                self.bucket.clone(),
                Arc::new(revisions),
                format!("cas-{}-{concurrency}", self.run_id),
            );
            let (measurement, _) = driver::drive(
                "KV compare-and-set",
                concurrency,
                until,
                move |worker, _| {
                    let (bucket, revisions) = (bucket.clone(), Arc::clone(&revisions));
                    let key = format!("{prefix}-{worker}");
                    async move {
                        let revision = revisions[worker].load(Ordering::Relaxed);
                        let revision = compare_and_set(&bucket, &key, revision).await?;
                        revisions[worker].store(revision, Ordering::Relaxed);
                        Ok(())
                    }
                },
            )
            .await?;
            rows.push(row("KV compare-and-set", concurrency, measurement));

            let name = "request/reply + 1 SQLite commit";
            let measurement = self
                .requests(name, &self.commit_subject, concurrency, until)
                .await?;
            rows.push(row(name, concurrency, measurement));
        }
        Ok(rows)
    }

    /// Times requests of [`REQUEST_BYTES`] to one of the floor's responders.
    async fn requests(
        &self,
        name: &str,
        subject: &str,
        concurrency: usize,
        until: Until,
    ) -> anyhow::Result<Measurement> {
        let (client, subject) = (self.client.clone(), subject.to_owned());
        let (measurement, _) = driver::drive(name, concurrency, until, move |_, _| {
            let (client, subject) = (client.clone(), subject.clone());
            async move {
                client
                    .request(subject, vec![0u8; REQUEST_BYTES].into())
                    .await?;
                Ok(())
            }
        })
        .await?;
        Ok(measurement)
    }

    /// Runs floor sagas of `steps` steps: 1 KV create, then per step a request to the
    /// committing responder and a KV compare-and-set.
    pub async fn saga(
        &self,
        label: &str,
        steps: usize,
        concurrency: usize,
        until: Until,
    ) -> anyhow::Result<Measurement> {
        let (client, bucket, subject) = (
            self.client.clone(),
            self.bucket.clone(),
            self.commit_subject.clone(),
        );
        let prefix = format!("saga-{}-{}", ulid::Ulid::new(), label.replace(' ', "-"));
        let (measurement, _) = driver::drive(label, concurrency, until, move |_, index| {
            let (client, bucket, subject) = (client.clone(), bucket.clone(), subject.clone());
            let key = format!("{prefix}-{index}");
            async move {
                let mut revision = bucket.create(key.as_str(), value()).await?;
                for _ in 0..steps {
                    client
                        .request(subject.clone(), vec![0u8; REQUEST_BYTES].into())
                        .await?;
                    revision = compare_and_set(&bucket, &key, revision).await?;
                }
                Ok(())
            }
        })
        .await?;
        Ok(measurement)
    }

    /// One connection committing one row at a time, off the async runtime.
    async fn sqlite_alone(&self, duration: Duration) -> anyhow::Result<Measurement> {
        let path = self.data_dir.join("alone.db");
        let profile = self.profile;
        tokio::task::spawn_blocking(move || {
            let connection = open_floor_database(&path, profile)?;
            let mut latency = driver::histogram()?;
            let started = Instant::now();
            while started.elapsed() < duration {
                let begun = Instant::now();
                connection
                    .prepare_cached(INSERT)?
                    .execute([vec![0u8; REQUEST_BYTES]])?;
                latency.saturating_record(begun.elapsed().as_micros() as u64);
            }
            anyhow::Ok(Measurement {
                operations: latency.len(),
                elapsed: started.elapsed(),
                latency,
            })
        })
        .await?
    }
}

/// One compare-and-set of `key` from `revision`, as the saga store makes it: a cluster may answer
/// a lost race (10164) although nobody else writes the key, so the key is read again and the
/// write tried once more, as the saga store does (nats-server issue 7281).
async fn compare_and_set(bucket: &kv::Store, key: &str, revision: u64) -> anyhow::Result<u64> {
    let mut revision = revision;
    loop {
        match bucket.update(key, value(), revision).await {
            Ok(written) => return Ok(written),
            Err(error) if bikestore_runtime::outage::is_lost_race(&error) => {
                let entry = bucket.entry(key).await?;
                revision = entry.map_or(revision, |entry| entry.revision);
            }
            Err(error) => return Err(error.into()),
        }
    }
}

fn row(name: &str, concurrency: usize, measurement: Measurement) -> Row {
    Row {
        name: name.to_owned(),
        concurrency,
        measurement,
    }
}

fn value() -> bytes::Bytes {
    vec![b'x'; VALUE_BYTES].into()
}

/// Answers every request with its own payload.
async fn spawn_echo_responder(
    client: async_nats::Client,
    subject: String,
) -> anyhow::Result<JoinHandle<()>> {
    let mut requests = client.subscribe(subject).await?;
    Ok(tokio::spawn(async move {
        while let Some(request) = requests.next().await {
            if let Some(reply) = request.reply {
                let _ = client.publish(reply, request.payload).await;
            }
        }
    }))
}

/// Answers every request after one SQLite commit of its payload, made by one writer thread
/// (one transaction per request, as a command without group commit would).
async fn spawn_commit_responder(
    client: async_nats::Client,
    subject: String,
    path: &Path,
    profile: Profile,
) -> anyhow::Result<JoinHandle<()>> {
    let connection = open_floor_database(path, profile)?;
    let (jobs, mut receiver) = mpsc::channel::<(bytes::Bytes, oneshot::Sender<bool>)>(QUEUE);
    std::thread::Builder::new()
        .name("floor-sqlite".into())
        .spawn(move || {
            while let Some((payload, done)) = receiver.blocking_recv() {
                let committed = connection
                    .prepare_cached(INSERT)
                    .and_then(|mut statement| statement.execute([payload.as_ref()]))
                    .is_ok();
                let _ = done.send(committed);
            }
        })?;
    let mut requests = client.subscribe(subject).await?;
    Ok(tokio::spawn(async move {
        while let Some(request) = requests.next().await {
            let (client, jobs) = (client.clone(), jobs.clone());
            tokio::spawn(async move {
                let (done, committed) = oneshot::channel();
                if jobs.send((request.payload, done)).await.is_err() {
                    return;
                }
                // A failed commit gets no reply, so the caller sees it as a timeout.
                if committed.await == Ok(true)
                    && let Some(reply) = request.reply
                {
                    let _ = client.publish(reply, "ok".into()).await;
                }
            });
        }
    }))
}

fn open_floor_database(path: &Path, profile: Profile) -> anyhow::Result<rusqlite::Connection> {
    let connection = rusqlite::Connection::open(path)?;
    let _: String = connection.query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))?;
    connection.pragma_update(None, "synchronous", profile.synchronous())?;
    connection
        .execute_batch("CREATE TABLE IF NOT EXISTS floor (id INTEGER PRIMARY KEY, payload BLOB)")?;
    Ok(connection)
}
