//! Benchmark: reserve + commit through the inventory service, against the raw cost of its
//! primitives measured in the same run on the same nats-server.
//!
//! Run with `just bench-inventory` (or `cargo bench -p bikestore-inventory --bench
//! reserve_commit -- --help`). It starts a private nats-server and the inventory service in this
//! process (through the harness), and for each concurrency drives reserve + commit pairs for a
//! fixed time. The floor is one NATS request/reply to a responder that makes one SQLite commit
//! (WAL, the same synchronous setting), also driven at the same concurrency, plus each primitive
//! alone.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use bikestore_contracts::inventory::{
    CommitReservation, CreateBrand, CreateCategory, CreateProduct, CreateStore, ProductFields,
    ReceiveStock, ReservationLine, ReserveStock,
};
use bikestore_contracts::{Cents, ReservationId, ServiceName};
use bikestore_harness::System;
use clap::Parser;
use futures::StreamExt;
use hdrhistogram::Histogram;

/// Reserve + commit throughput against its primitive floor.
#[derive(Debug, Parser)]
struct Args {
    /// Seconds each measurement runs.
    #[arg(long, default_value_t = 3)]
    seconds: u64,
    /// Concurrencies to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,64")]
    concurrency: Vec<usize>,
    /// Cargo passes `--bench`; it is accepted and ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

struct Measurement {
    operations: u64,
    elapsed: Duration,
    latency: Histogram<u64>,
}

impl Measurement {
    fn rate(&self) -> f64 {
        self.operations as f64 / self.elapsed.as_secs_f64()
    }

    fn quantile_ms(&self, quantile: f64) -> f64 {
        self.latency.value_at_quantile(quantile) as f64 / 1000.0
    }
}

/// Runs `operation` from `concurrency` workers for `duration`, timing each call.
async fn drive<F, Fut>(
    concurrency: usize,
    duration: Duration,
    operation: F,
) -> anyhow::Result<Measurement>
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let operation = Arc::new(operation);
    let counter = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (operation, counter) = (Arc::clone(&operation), Arc::clone(&counter));
        workers.spawn(async move {
            let mut latency = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
            while Instant::now() < deadline {
                let index = counter.fetch_add(1, Ordering::Relaxed);
                let begun = Instant::now();
                operation(index).await?;
                latency.saturating_record(begun.elapsed().as_micros() as u64);
            }
            anyhow::Ok(latency)
        });
    }
    let mut latency = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
    while let Some(worker) = workers.join_next().await {
        latency.add(worker??)?;
    }
    Ok(Measurement {
        operations: latency.len(),
        elapsed: started.elapsed(),
        latency,
    })
}

/// A responder that makes one SQLite commit per request: the floor of a command.
fn spawn_commit_responder(
    client: async_nats::Client,
    subject: String,
    path: std::path::PathBuf,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let connection = open_floor_database(&path)?;
    let (jobs, mut receiver) =
        tokio::sync::mpsc::channel::<(Vec<u8>, tokio::sync::oneshot::Sender<()>)>(1024);
    std::thread::spawn(move || {
        while let Some((payload, done)) = receiver.blocking_recv() {
            connection
                .execute("INSERT INTO floor (payload) VALUES (?1)", [payload])
                .unwrap();
            let _ = done.send(());
        }
    });
    Ok(tokio::spawn(async move {
        let mut requests = client.subscribe(subject).await.unwrap();
        while let Some(request) = requests.next().await {
            let (client, jobs) = (client.clone(), jobs.clone());
            tokio::spawn(async move {
                let (done, committed) = tokio::sync::oneshot::channel();
                jobs.send((request.payload.to_vec(), done)).await.unwrap();
                committed.await.unwrap();
                if let Some(reply) = request.reply {
                    client.publish(reply, "ok".into()).await.unwrap();
                }
            });
        }
    }))
}

fn open_floor_database(path: &std::path::Path) -> anyhow::Result<rusqlite::Connection> {
    let connection = rusqlite::Connection::open(path)?;
    let _: String = connection.query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))?;
    connection.pragma_update(None, "synchronous", "NORMAL")?;
    connection
        .execute_batch("CREATE TABLE IF NOT EXISTS floor (id INTEGER PRIMARY KEY, payload BLOB)")?;
    Ok(connection)
}

fn print_row(name: &str, concurrency: usize, measurement: &Measurement) {
    println!(
        "| {name} | {concurrency} | {:.0} | {:.2} | {:.2} | {:.2} |",
        measurement.rate(),
        measurement.quantile_ms(0.5),
        measurement.quantile_ms(0.99),
        measurement.latency.max() as f64 / 1000.0,
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let duration = Duration::from_secs(args.seconds);
    let system = System::builder()
        .services(&[ServiceName::Inventory])
        .start()
        .await?;
    let client = system.client().clone();
    let caller = system.caller().clone();
    let data = system.data_dir();

    let store_id = caller
        .call(&CreateStore {
            name: "Bench Store".into(),
            ..CreateStore::default()
        })
        .await?
        .store_id;
    let brand_id = caller
        .call(&CreateBrand {
            name: "Bench".into(),
        })
        .await?
        .brand_id;
    let category_id = caller
        .call(&CreateCategory {
            name: "Bench".into(),
        })
        .await?
        .category_id;
    let product_id = caller
        .call(&CreateProduct {
            product: ProductFields {
                name: "Bench Bike".into(),
                brand_id,
                category_id,
                model_year: 2020,
                list_price: Cents(1),
            },
        })
        .await?
        .product_id;
    for _ in 0..20 {
        caller
            .call(&ReceiveStock {
                store_id,
                product_id,
                quantity: 1_000_000,
            })
            .await?;
    }

    let echo_subject = client.new_inbox();
    let mut echo = client.subscribe(echo_subject.clone()).await?;
    let echo_client = client.clone();
    tokio::spawn(async move {
        while let Some(request) = echo.next().await {
            if let Some(reply) = request.reply {
                let _ = echo_client.publish(reply, request.payload).await;
            }
        }
    });
    let floor_subject = client.new_inbox();
    spawn_commit_responder(client.clone(), floor_subject.clone(), data.join("floor.db"))?;

    println!("| measurement | concurrency | ops/s | p50 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|---|");
    let sqlite_alone = {
        let connection = open_floor_database(&data.join("alone.db"))?;
        let started = Instant::now();
        let mut latency = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
        while started.elapsed() < duration.min(Duration::from_secs(1)) {
            let begun = Instant::now();
            connection.execute("INSERT INTO floor (payload) VALUES (x'00')", [])?;
            latency.saturating_record(begun.elapsed().as_micros() as u64);
        }
        Measurement {
            operations: latency.len(),
            elapsed: started.elapsed(),
            latency,
        }
    };
    print_row("SQLite commit alone (WAL, NORMAL)", 1, &sqlite_alone);
    let mut summary = Vec::new();
    for &concurrency in &args.concurrency {
        let round_trip = {
            let (client, subject) = (client.clone(), echo_subject.clone());
            drive(concurrency, duration, move |_| {
                let (client, subject) = (client.clone(), subject.clone());
                async move {
                    client.request(subject, "x".into()).await.context("echo")?;
                    Ok(())
                }
            })
            .await?
        };
        print_row("NATS request/reply", concurrency, &round_trip);
        let floor = {
            let (client, subject) = (client.clone(), floor_subject.clone());
            drive(concurrency, duration, move |_| {
                let (client, subject) = (client.clone(), subject.clone());
                async move {
                    client.request(subject, "x".into()).await.context("floor")?;
                    Ok(())
                }
            })
            .await?
        };
        print_row(
            "floor: request/reply + 1 SQLite commit",
            concurrency,
            &floor,
        );
        let pairs = {
            let caller = caller.clone();
            drive(concurrency, duration, move |index| {
                let caller = caller.clone();
                async move {
                    let reservation_id = ReservationId(format!("bench-{concurrency}-{index}"));
                    caller
                        .call(&ReserveStock {
                            reservation_id: reservation_id.clone(),
                            store_id,
                            lines: vec![ReservationLine {
                                product_id,
                                quantity: 1,
                            }],
                        })
                        .await?;
                    caller.call(&CommitReservation { reservation_id }).await?;
                    Ok(())
                }
            })
            .await?
        };
        print_row("reserve + commit (2 commands)", concurrency, &pairs);
        summary.push((concurrency, pairs.rate() / floor.rate()));
    }
    println!();
    for (concurrency, ratio) in summary {
        println!(
            "concurrency {concurrency}: reserve+commit pairs/s are {:.0}% of the floor's requests/s",
            ratio * 100.0
        );
    }
    system.stop().await
}
