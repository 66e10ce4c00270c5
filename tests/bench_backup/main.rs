//! Benchmark: how long a backup of the whole system takes, and how long a restore takes until
//! every saga has ended (the recovery time), after a day of orders.
//!
//! Run with `just bench-backup` (`-- --help` lists the flags). It starts a system seeded at
//! `--scale` with every service in this process, places a day of orders (`cli` defines a day),
//! takes a backup with `bikestore_backup::take::take` while a few sellers keep placing orders,
//! stops the system, and restores the backup as an operator would onto a new machine: verify,
//! files into an empty data folder, a fresh nats-server, streams and saga records, then every
//! service, until every saga has ended and notifications has caught up. It prints a markdown
//! table and saves it, with a JSON copy, under `target/bench-results/`.
//!
//! Layout: `cli` (flags), `load` (the day's orders and the sellers), `recovery` (the timed
//! restore), `report` (table and JSON).

mod cli;
mod load;
mod recovery;
mod report;

use std::time::Instant;

use bikestore_backup::take;
use bikestore_harness::System;
use bikestore_testkit::NatsOptions;
use clap::Parser;

use crate::cli::{Args, Settings};
use crate::load::{Sellers, Shop};
use crate::report::Report;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::from_args(Args::parse())?;
    let started_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    eprintln!(
        "backup_restore benchmark: scale {}, {} orders at concurrency {}, {} nats-server node(s)",
        settings.scale, settings.orders, settings.concurrency, settings.nats_nodes
    );
    let system = System::builder()
        .nats_options(NatsOptions {
            nodes: settings.nats_nodes,
            ..NatsOptions::default()
        })
        .seeded_at(settings.scale)
        .all_services()
        .start()
        .await?;
    let shop = Shop::open(system.caller()).await?;

    eprintln!("placing the day's orders ...");
    let began = Instant::now();
    let day = shop.place_many(settings.orders, settings.concurrency).await;
    let day_time = began.elapsed();
    eprintln!(
        "  placed {} orders in {:.1} s: {day:?}",
        settings.orders,
        day_time.as_secs_f64()
    );

    eprintln!(
        "taking the backup while {} sellers place orders ...",
        settings.sellers
    );
    let backup_dir = tempfile::Builder::new()
        .prefix("bikestore-backup-")
        .tempdir()?;
    let sellers = Sellers::start(&shop, settings.sellers);
    let backup_began = Instant::now();
    let manifest = take::take(
        system.client(),
        system.subjects(),
        system.data_dir(),
        backup_dir.path(),
    )
    .await?;
    let backup_time = backup_began.elapsed();
    let backup_ended = Instant::now();
    let during_backup: Vec<_> = sellers
        .stop()
        .await?
        .into_iter()
        .filter(|(at, _)| (backup_began..=backup_ended).contains(at))
        .map(|(_, order_id)| order_id)
        .collect();
    eprintln!(
        "  backup taken in {:.1} s: {}",
        backup_time.as_secs_f64(),
        manifest.summary()
    );
    system.stop().await?;

    eprintln!("restoring onto a fresh data folder and nats-server ...");
    let (restore, kept) =
        recovery::restore_and_start(backup_dir.path(), settings.nats_nodes, &during_backup).await?;

    let report = Report {
        settings: &settings,
        started_at,
        day,
        day_time,
        manifest: &manifest,
        backup_time,
        restore,
        kept,
    };
    println!("{}", report.to_markdown());
    let (markdown_path, json_path) = report::save(&report, &settings.results_dir)?;
    eprintln!(
        "saved {} and {}",
        markdown_path.display(),
        json_path.display()
    );
    if settings.quick {
        anyhow::ensure!(day.completed > 0, "no order completed: {day:?}");
        eprintln!("quick run passed: the backup restored and every saga ended");
    }
    Ok(())
}
