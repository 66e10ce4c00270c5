//! Benchmark: the place-order saga against its primitive floor, in one run on one nats-server.
//!
//! Run with `just bench` (`cargo bench -p bikestore-tests --bench place_order -- --help` lists
//! the flags). It starts a private nats-server (or attaches to one with `--nats-url`), seeds the
//! demo data into the inventory and orders databases, starts inventory, orders, notifications
//! and the orchestrator in this process, and then measures, in the chosen durability profile:
//!
//! 1. the floor's primitives (request/reply, JetStream publish + ack, KV create, KV
//!    compare-and-set, SQLite commit, request + SQLite commit) at concurrency 1 and at the
//!    run's concurrency;
//! 2. the floor saga: 1 KV create + N × (request to a responder making one SQLite commit + KV
//!    compare-and-set), N being place order's step count;
//! 3. place-order sagas through the orchestrator's intake, each waiting for its outcome, so a
//!    call's latency runs from intake to terminal state.
//!
//! With `--through-gateway` it also starts identity (with the demo staff) and the gateway, logs
//! the demo sales members and admin in through the client library, places every order signed
//! through the gateway, and times one cheap query both straight and through the gateway, to
//! report what the gateway adds.
//!
//! It prints a markdown table with the ratios to the floor saga, the outcomes and a per-step
//! breakdown read from the saga records, saves it with a JSON copy under
//! `target/bench-results/`, and with `--compare` prints the change against an earlier JSON.
//! `--observe` runs the services observed as their binaries are (JSON logs with trace IDs,
//! metrics served), to show what observing costs. `--quick` is the CI smoke run: it fails unless every saga ended as it should.
//!
//! `--saga-records N` measures something else: operators' saga queries over N records loaded
//! straight into the bucket (see `saga_records`).
//!
//! Layout: `cli` (flags), `stack` (server, seed, services, stock), `front` (identity, gateway,
//! console connection, logged-in staff), `driver` (workers, timing, progress line), `floor`
//! (primitives and the floor saga), `gateway_latency` (the query both ways), `orders` (the
//! place-order load), `steps` (the breakdown from the records), `report` (table, JSON,
//! comparison), `saga_records` (the saga query mode), `random`.

mod cli;
mod connect;
mod cpu;
mod driver;
mod floor;
mod front;
mod gateway_latency;
mod orders;
mod random;
mod report;
mod saga_records;
mod stack;
mod steps;

use std::collections::HashSet;
use std::path::PathBuf;

use clap::Parser;

use crate::cli::{Args, Settings, Until};
use crate::cpu::CpuClock;
use crate::floor::Floor;
use crate::orders::{OrderMaker, Outcomes, Route};
use crate::report::Report;
use crate::stack::Stack;

/// The allocator the services' binaries use, so the services measure as they run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::from_args(Args::parse())?;
    if let Some(records) = settings.saga_records {
        return saga_records::run(&settings, records).await;
    }
    let started_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    eprintln!(
        "place_order benchmark: profile {}, {} nats-server node(s), concurrency {}, scale {}{}",
        settings.profile.name(),
        settings.nats_nodes,
        settings.concurrency,
        settings.scale,
        if settings.through_gateway {
            ", through the gateway"
        } else {
            ""
        }
    );
    // Held for the run: the log writer and the span exporter stop with it.
    let logs = tempfile::tempdir()?;
    let _telemetry = match settings.observe {
        true => Some(bikestore_runtime::telemetry::init(
            "bench",
            logs.path(),
            false,
        )?),
        false => None,
    };
    let stack = Stack::start(&settings).await?;
    let floor = Floor::start(
        stack.client.clone(),
        stack.subjects.clone(),
        stack.data_dir(),
        settings.profile,
        stack.js_replicas(),
    )
    .await?;
    let outcome = measure(&settings, &stack, &floor, started_at).await;
    floor.stop().await;
    stack.stop().await?;
    outcome
}

async fn measure(
    settings: &Settings,
    stack: &Stack,
    floor: &Floor,
    started_at: u64,
) -> anyhow::Result<()> {
    let concurrency = settings.concurrency;
    let steps_per_saga = place_order_steps();
    let clock = CpuClock::new(stack.nats_pids());
    let mut concurrencies = vec![1, concurrency];
    concurrencies.dedup();

    eprintln!("measuring the floor's primitives ...");
    let primitives = floor
        .primitives(&concurrencies, settings.primitive_duration)
        .await?;
    let gateway_latency = match &stack.staff {
        Some(staff) => {
            eprintln!("timing a query straight and through the gateway ...");
            gateway_latency::measure(
                &stack.caller,
                staff,
                &concurrencies,
                settings.primitive_duration,
            )
            .await?
        }
        None => Vec::new(),
    };
    let connect_cost = match &stack.staff {
        Some(_) => {
            eprintln!("timing console connects through the auth callout ...");
            let connects = if settings.quick { 20 } else { 200 };
            Some(connect::ConnectCost::measure(stack.system(), connects).await?)
        }
        None => None,
    };

    // Each saga phase starts with a short warm-up that is not measured.
    let warm_up = Until::Count((concurrency as u64 * 2).max(16));
    eprintln!("running the floor saga ...");
    floor
        .saga("floor saga warm-up", steps_per_saga, concurrency, warm_up)
        .await?;
    let before = clock.sample();
    let floor_saga = floor
        .saga("floor saga", steps_per_saga, concurrency, settings.until)
        .await?;
    let floor_cpu = clock.sample().since(&before);

    eprintln!("placing orders ...");
    let route = match &stack.staff {
        Some(staff) => Route::Signed(staff.clone()),
        None => Route::Direct(stack.caller.clone()),
    };
    let maker = OrderMaker::new(
        route,
        stack.customers,
        stack.shelves.clone(),
        settings.decline_share,
        settings.short_stock_share,
    )?;
    let warm_up_maker = maker.phase("warm-up");
    driver::drive(
        "place order warm-up",
        concurrency,
        warm_up,
        move |_, index| {
            let maker = warm_up_maker.clone();
            async move { anyhow::Ok(maker.place(index).await) }
        },
    )
    .await?;
    let measured_maker = maker.clone();
    let before = clock.sample();
    let (place_order, placed) = driver::drive(
        "place order",
        concurrency,
        settings.until,
        move |_, index| {
            let maker = measured_maker.clone();
            async move { anyhow::Ok(maker.place(index).await) }
        },
    )
    .await?;
    let place_order_cpu = clock.sample().since(&before);
    let outcomes = Outcomes::of(&placed);

    eprintln!("reading the saga records ...");
    let saga_ids: HashSet<_> = placed
        .iter()
        .filter_map(|placed| placed.saga_id.clone())
        .collect();
    let breakdown = steps::breakdown(&stack.client, &stack.subjects, &saga_ids).await?;

    let report = Report {
        settings,
        started_at,
        nats_version: stack.client.server_info().version,
        private_server: stack.private_server(),
        steps_per_saga,
        primitives,
        gateway_latency,
        connect_cost,
        floor_saga,
        place_order,
        floor_cpu,
        place_order_cpu,
        cpu_counts_nats: clock.counts_nats(),
        outcomes,
        breakdown,
    };
    println!("{}", report.to_markdown());
    let results_dir = settings
        .results_dir
        .clone()
        .unwrap_or_else(default_results_dir);
    let (json_path, markdown_path) = report::save(&report, &results_dir)?;
    eprintln!(
        "saved {} and {}",
        json_path.display(),
        markdown_path.display()
    );
    if let Some(previous) = &settings.compare {
        println!("{}", report::compare(previous, &report.to_json())?);
    }
    if settings.quick {
        check_smoke(&report)?;
        eprintln!("quick run passed: every saga reached the terminal state it should");
    }
    Ok(())
}

/// The smoke test's assertions: the run did something, and every saga ended as it should.
fn check_smoke(report: &Report<'_>) -> anyhow::Result<()> {
    let outcomes = &report.outcomes;
    let breakdown = &report.breakdown;
    anyhow::ensure!(report.place_order.operations > 0, "no saga was placed");
    anyhow::ensure!(
        outcomes.all_terminal() && outcomes.unexpected == 0,
        "not every saga ended as it should: {outcomes:?}"
    );
    anyhow::ensure!(
        breakdown.missing == 0 && breakdown.unfinished == 0,
        "saga records: {} missing, {} unfinished",
        breakdown.missing,
        breakdown.unfinished
    );
    Ok(())
}

/// Place order's step count, from its definition.
fn place_order_steps() -> usize {
    let config = bikestore_orchestrator::OrchestratorConfig::new(
        bikestore_runtime::CommonConfig::new(String::new(), PathBuf::new()),
    );
    bikestore_orchestrator::sagas::place_order::definition(config.step_settings())
        .steps
        .len()
}

/// `$CARGO_TARGET_DIR/bench-results`, or `<workspace>/target/bench-results`.
fn default_results_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"));
    cli::from_workspace(target).join("bench-results")
}
