//! `--saga-records N`: operators' saga queries at scale. Loads N saga records straight into a
//! fresh bucket (pipelined JetStream publishes, acknowledgements collected), then starts the
//! orchestrator, times its saga index catching up with them, and times `saga_stats` and
//! `list_sagas` as the console's dashboard and sagas screen ask them.
//!
//! The records mix what a chain's bucket holds: mostly completed, some failed and resolved, a
//! few thousand running and compensating, a few hundred stuck; place order mostly, some
//! cancellations and transfers; over ten stores; created over the last 60 days, so retention
//! would have half of them to remove. Unended records carry a lease held far ahead, so the
//! orchestrator (whose recovery reads candidates from the index) never drives them; retention
//! sweeps every recovery interval, set to an hour here, so it does not run while queries are
//! timed.

use std::time::{Duration, Instant};

use async_nats::jetstream::{self, kv};
use bikestore_contracts::orders::OrderLine;
use bikestore_contracts::sagas::{
    CancelOrderSaga, HistoryEntry, Lease, ListSagas, Outcome, Phase, PlaceOrderSaga, SagaId,
    SagaPayload, SagaRecord, SagaState, SagaStats, TransferStockSaga,
};
use bikestore_contracts::{
    Cents, CustomerId, OrderId, ProductId, ReservationId, ServiceName, StaffId, StoreId,
};
use bikestore_harness::System;
use bikestore_orchestrator::engine::record::at_first_step;
use bikestore_orchestrator::engine::store::SagaStore;
use bikestore_runtime::call::Caller;
use bikestore_runtime::now_ms;
use bikestore_testkit::{JetStreamSync, NatsOptions};
use futures::StreamExt;

use crate::cli::{Profile, Settings};
use crate::random::{SplitMix, fraction};

/// Publishes awaiting their acknowledgement at once while loading.
const IN_FLIGHT: usize = 4_096;
/// Stores the records spread over.
const STORES: u64 = 10;
/// How far back records were created.
const SPREAD_MS: i64 = 60 * 24 * 60 * 60 * 1_000;
/// How long the index may take to catch up before the run fails.
const CATCH_UP_LIMIT: Duration = Duration::from_secs(30 * 60);

/// Loads, times the catch-up and the queries, and prints the table.
pub async fn run(settings: &Settings, records: u64) -> anyhow::Result<()> {
    anyhow::ensure!(
        settings.nats_url.is_none(),
        "--saga-records runs on a private nats-server"
    );
    let sync = match settings.profile {
        Profile::Default => JetStreamSync::Interval,
        Profile::Durable => JetStreamSync::Always,
    };
    let mut builder = System::builder().nats_options(NatsOptions {
        sync,
        nodes: settings.nats_nodes,
        ..NatsOptions::default()
    });
    if let Some(path) = &settings.data_dir {
        builder = builder.data_dir(path);
    }
    let mut system = builder
        .configure(|configs| configs.orchestrator.recovery_interval = Duration::from_secs(3600))
        .services(&[])
        .start()
        .await?;
    let replicas = system.common(ServiceName::Orchestrator).js_replicas;
    let jetstream = jetstream::new(system.client().clone());
    let store = SagaStore::open(&jetstream, system.subjects(), replicas).await?;
    let loading = Instant::now();
    let mix = load(&jetstream, store.bucket(), records).await?;
    let load_seconds = loading.elapsed().as_secs_f64();
    eprintln!(
        "loaded {records} saga records in {load_seconds:.1} s ({:.0}/s)",
        records as f64 / load_seconds
    );

    let starting = Instant::now();
    system.start_service(ServiceName::Orchestrator).await?;
    let caller = system.caller().clone();
    caught_up(&caller, records).await?;
    let catch_up_seconds = starting.elapsed().as_secs_f64();
    eprintln!("the saga index caught up in {catch_up_seconds:.1} s");

    check(&caller, &mix).await?;
    let requests = if settings.quick { 50 } else { 200 };
    let mut rows = Vec::new();
    for (name, query) in queries() {
        rows.push((name, time(&caller, &query, requests).await?));
    }
    println!(
        "\n## Saga queries over {records} records\n\n{}\n\
         Loaded in {load_seconds:.1} s; the index caught up (orchestrator start to the first \
         answer counting every record) in {catch_up_seconds:.1} s.\n\n\
         | query ({requests} requests each) | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|",
        mix.describe()
    );
    for (name, latencies) in &rows {
        println!(
            "| {name} | {:.2} | {:.2} | {:.2} |",
            quantile(latencies, 0.5),
            quantile(latencies, 0.99),
            quantile(latencies, 1.0)
        );
    }
    system.stop().await
}

/// What the loaded records hold, per state.
#[derive(Debug, Default)]
struct Mix {
    counts: [u64; 6],
}

impl Mix {
    fn describe(&self) -> String {
        let names = [
            "running",
            "compensating",
            "completed",
            "failed",
            "stuck",
            "resolved",
        ];
        let parts: Vec<String> = names
            .iter()
            .zip(self.counts)
            .map(|(name, count)| format!("{count} {name}"))
            .collect();
        format!("Records: {}.", parts.join(", "))
    }
}

/// The state of the `number`th record: 0.3% running, 0.1% compensating, 0.03% stuck, 3%
/// failed, 0.5% resolved, the rest completed.
fn state_of(draw: f64) -> (usize, SagaState) {
    match draw {
        d if d < 0.003 => (0, SagaState::Running),
        d if d < 0.004 => (1, SagaState::Compensating),
        d if d < 0.0043 => (4, SagaState::Stuck),
        d if d < 0.0343 => (3, SagaState::Failed),
        d if d < 0.0393 => (5, SagaState::Resolved),
        _ => (2, SagaState::Completed),
    }
}

/// The `number`th record, drawn from `random`.
fn record(number: u64, random: &mut SplitMix, now: i64) -> (usize, SagaRecord) {
    let saga_id = SagaId(format!("bench-{number:010}"));
    let store_id = StoreId(random.below(STORES) as i64 + 1);
    let kind = random.below(100);
    let (definition, payload) = match kind {
        0..85 => (
            "place_order",
            SagaPayload::PlaceOrder(PlaceOrderSaga {
                customer_id: CustomerId(random.below(1_445) as i64 + 1),
                store_id,
                staff_id: StaffId(2),
                lines: vec![OrderLine {
                    product_id: ProductId(random.below(321) as i64 + 1),
                    quantity: 1,
                    list_price: Cents(52_999),
                    discount_percent: 5,
                    product_name: Some("Trek Fuel EX 8 29 - 2016".into()),
                }],
                card_token: format!("tok_{number:024}"),
                order_id: Some(OrderId(number as i64 + 1)),
                total: Some(Cents(50_349)),
                reservation_id: Some(ReservationId(format!("r-{number:026}"))),
                payment_id: None,
                captured: true,
                failure_reason: None,
                reserve_as: Some(ReservationId(format!("r-{number:026}"))),
            }),
        ),
        85..95 => (
            "cancel_order",
            SagaPayload::CancelOrder(CancelOrderSaga {
                order_id: OrderId(number as i64 + 1),
                reason: "the customer changed their mind".into(),
                store_id: Some(store_id),
                reservation_id: None,
            }),
        ),
        _ => (
            "transfer_stock",
            SagaPayload::TransferStock(TransferStockSaga {
                from_store_id: store_id,
                to_store_id: StoreId(store_id.0 % STORES as i64 + 1),
                product_id: ProductId(random.below(321) as i64 + 1),
                quantity: 2,
                reservation_id: None,
            }),
        ),
    };
    let created_at_ms = now - (fraction(random.next_u64()) * SPREAD_MS as f64) as i64;
    // Durations from 50 ms to about 50 s, most near a quarter of a second.
    let duration_ms = (50.0 * 1_000_f64.powf(fraction(random.next_u64()).powi(3))) as i64;
    let mut saga = at_first_step(saga_id, definition, 1, payload, created_at_ms);
    let (slot, state) = state_of(fraction(random.next_u64()));
    saga.state = state;
    saga.updated_at_ms = (created_at_ms + duration_ms).min(now);
    saga.step = 4;
    saga.completed_steps = 4;
    saga.history = [
        "create_order",
        "reserve_stock",
        "authorize_payment",
        "capture_payment",
    ]
    .into_iter()
    .map(|step| HistoryEntry {
        step: step.into(),
        phase: Phase::Action,
        attempt: 1,
        outcome: Outcome::Succeeded,
        error: None,
        started_at_ms: created_at_ms,
        finished_at_ms: created_at_ms + duration_ms / 4,
    })
    .collect();
    if !state.is_terminal() {
        // Held by a driver far ahead: the orchestrator leaves it alone.
        saga.lease = Some(Lease {
            holder: "bench-loader".into(),
            until_ms: now + 24 * 60 * 60 * 1_000,
        });
    }
    (slot, saga)
}

/// Puts `records` records into `bucket`, many publishes in flight, showing progress.
async fn load(
    jetstream: &jetstream::Context,
    bucket: &kv::Store,
    records: u64,
) -> anyhow::Result<Mix> {
    let now = now_ms();
    let mut random = SplitMix::new(21);
    let mut mix = Mix::default();
    let started = Instant::now();
    let mut shown = Instant::now();
    let mut acks = futures::stream::FuturesUnordered::new();
    let mut acknowledged = 0;
    for number in 0..records {
        let (slot, saga) = record(number, &mut random, now);
        mix.counts[slot] += 1;
        let subject = format!("{}{}", bucket.prefix, saga.saga_id.0);
        let ack = jetstream
            .publish(subject, serde_json::to_vec(&saga)?.into())
            .await?;
        acks.push(ack.into_future());
        while acks.len() >= IN_FLIGHT {
            if let Some(ack) = acks.next().await {
                ack?;
                acknowledged += 1;
            }
        }
        if shown.elapsed() >= Duration::from_secs(3) {
            shown = Instant::now();
            eprintln!(
                "loading: {acknowledged} of {records} acknowledged, {:.0}/s",
                acknowledged as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    while let Some(ack) = acks.next().await {
        ack?;
    }
    Ok(mix)
}

/// Fails unless the counts and the list of stuck sagas match what was loaded.
async fn check(caller: &Caller, mix: &Mix) -> anyhow::Result<()> {
    let report = caller.call(&SagaStats::default()).await?;
    let counted: Vec<u64> = report.counts.iter().map(|count| count.count).collect();
    anyhow::ensure!(
        counted == mix.counts,
        "saga_stats counted {counted:?}, the load made {:?}",
        mix.counts
    );
    let stuck = caller
        .call(&ListSagas {
            state: Some(SagaState::Stuck),
            limit: Some(1_000),
            ..ListSagas::default()
        })
        .await?;
    anyhow::ensure!(
        stuck.sagas.len() as u64 == mix.counts[4].min(1_000)
            && stuck
                .sagas
                .iter()
                .all(|saga| saga.state == SagaState::Stuck),
        "list_sagas listed {} stuck sagas, the load made {}",
        stuck.sagas.len(),
        mix.counts[4]
    );
    Ok(())
}

/// Waits until `saga_stats` counts every record, showing how far the index got.
async fn caught_up(caller: &Caller, records: u64) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut shown = Instant::now();
    loop {
        let answer = caller.call(&SagaStats::default()).await;
        let last = match answer {
            Ok(report) => {
                let total: u64 = report.counts.iter().map(|count| count.count).sum();
                if total == records {
                    return Ok(());
                }
                format!("{total} of {records} counted")
            }
            Err(error) => error.message,
        };
        anyhow::ensure!(
            started.elapsed() < CATCH_UP_LIMIT,
            "the saga index did not catch up: {last}"
        );
        if shown.elapsed() >= Duration::from_secs(3) {
            shown = Instant::now();
            eprintln!("catching up: {last}");
        }
        // The orchestrator answers unavailable after its own 2 s wait; ask again soon.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// One of the timed queries.
enum Query {
    Stats(SagaStats),
    List(ListSagas),
}

/// The queries the console's dashboard and sagas screen ask.
fn queries() -> Vec<(&'static str, Query)> {
    let list = |state: SagaState, limit: Option<u32>| {
        Query::List(ListSagas {
            state: Some(state),
            limit,
            ..ListSagas::default()
        })
    };
    vec![
        (
            "saga_stats, every store",
            Query::Stats(SagaStats::default()),
        ),
        (
            "saga_stats, one store",
            Query::Stats(SagaStats {
                store_id: Some(StoreId(3)),
            }),
        ),
        ("list_sagas stuck", list(SagaState::Stuck, None)),
        (
            "list_sagas failed, limit 20",
            list(SagaState::Failed, Some(20)),
        ),
        ("list_sagas running", list(SagaState::Running, None)),
    ]
}

/// The latency of each of `requests` calls of `query`, one after another, in milliseconds.
async fn time(caller: &Caller, query: &Query, requests: usize) -> anyhow::Result<Vec<f64>> {
    let mut latencies = Vec::with_capacity(requests);
    for _ in 0..requests {
        let started = Instant::now();
        match query {
            Query::Stats(request) => {
                caller.call(request).await?;
            }
            Query::List(request) => {
                caller.call(request).await?;
            }
        }
        latencies.push(started.elapsed().as_secs_f64() * 1_000.0);
    }
    latencies.sort_by(f64::total_cmp);
    Ok(latencies)
}

/// The value at `fraction` of the sorted `values`.
fn quantile(values: &[f64], fraction: f64) -> f64 {
    let index = ((values.len().max(1) - 1) as f64 * fraction).round() as usize;
    values.get(index).copied().unwrap_or(0.0)
}
