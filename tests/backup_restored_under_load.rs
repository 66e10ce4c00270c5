//! A backup taken while orders are being placed, restored into an empty data folder and an
//! empty nats-server as `just restore` does: every saga ends, stock and money add up, no
//! payment is captured twice, every order's notification is there once, and every order
//! acknowledged before the backup began is back. Everything is real: nats-server, the
//! services, their SQLite files, the backup tool's library.
#![allow(clippy::unwrap_used)]

#[path = "chaos/invariants.rs"]
mod invariants;
#[path = "support/shop.rs"]
mod shop;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use bikestore_backup::{restore, take};
use bikestore_contracts::orders::{GetOrder, OrderStatus};
use bikestore_contracts::sagas::{ListSagas, SagaStarted, SagaState, SagaStats};
use bikestore_contracts::{OrderId, ServiceName, StaffId};
use bikestore_harness::System;
use bikestore_runtime::call::CallOptions;
use bikestore_runtime::now_ms;
use bikestore_testkit::{NatsOptions, eventually};
use shop::Shop;

/// Sellers placing orders at once.
const SELLERS: usize = 8;
/// Orders acknowledged before the backup begins.
const ACKNOWLEDGED_BEFORE: usize = 40;
const WAIT: Duration = Duration::from_secs(60);
/// The order of the services' start, as `just up` runs them.
const START_ORDER: [ServiceName; 6] = [
    ServiceName::Identity,
    ServiceName::Inventory,
    ServiceName::Orders,
    ServiceName::Notifications,
    ServiceName::Orchestrator,
    ServiceName::Gateway,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_under_load_restores_every_acknowledged_order_and_every_saga_ends()
-> anyhow::Result<()> {
    backup_under_load_then_restore(NatsOptions::default).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_a_three_node_cluster_a_backup_restores_with_three_replicas_of_everything()
-> anyhow::Result<()> {
    backup_under_load_then_restore(NatsOptions::cluster).await
}

/// Places orders, takes a backup meanwhile, restores it onto a new server (or cluster) made
/// by `nats`, and checks what the restored system holds.
async fn backup_under_load_then_restore(nats: fn() -> NatsOptions) -> anyhow::Result<()> {
    let system = System::builder()
        .nats_options(nats())
        .all_services()
        .start()
        .await?;
    let shop = Shop::open(system.caller(), "Backup", 1_000_000).await?;
    let system = Arc::new(system);
    let stop = Arc::new(AtomicBool::new(false));
    let acknowledged = Arc::new(std::sync::Mutex::new(Vec::<(i64, OrderId)>::new()));
    let mut sellers = tokio::task::JoinSet::new();
    for seller in 0..SELLERS {
        let (system, shop, stop, acknowledged) = (
            Arc::clone(&system),
            shop.clone(),
            Arc::clone(&stop),
            Arc::clone(&acknowledged),
        );
        sellers.spawn(async move {
            let mut number = 0;
            while !stop.load(Ordering::Relaxed) {
                number += 1;
                // Every fifth card declines, so some sagas compensate; every seventh order is
                // not waited for, so some are in flight whenever the backup looks.
                let card = if number % 5 == 0 {
                    "4000 0000 0000 0002"
                } else {
                    "4242 4242 4242 4242"
                };
                let wait_ms = (number % 7 != 0).then_some(10_000);
                let key = format!("backup-{seller}-{number}");
                let placed = place(&system, &shop, &key, card, wait_ms).await?;
                if placed.state == SagaState::Completed {
                    let order_id = placed
                        .order_id
                        .context("a completed saga names its order")?;
                    acknowledged.lock().unwrap().push((now_ms(), order_id));
                }
            }
            anyhow::Ok(())
        });
    }
    eventually("orders to be acknowledged", WAIT, async || {
        Ok::<_, anyhow::Error>(
            (acknowledged.lock().unwrap().len() >= ACKNOWLEDGED_BEFORE).then_some(()),
        )
    })
    .await?;

    let backup = tempfile::tempdir()?;
    let began = now_ms();
    let manifest = take::take(
        system.client(),
        system.subjects(),
        system.data_dir(),
        backup.path(),
    )
    .await?;
    eprintln!("{}", manifest.summary());
    stop.store(true, Ordering::Relaxed);
    while let Some(seller) = sellers.join_next().await {
        seller??;
    }
    let before: Vec<OrderId> = acknowledged
        .lock()
        .unwrap()
        .iter()
        .filter(|(at, _)| *at < began)
        .map(|(_, order)| *order)
        .collect();
    anyhow::ensure!(before.len() >= ACKNOWLEDGED_BEFORE);
    Arc::try_unwrap(system)
        .map_err(|_| anyhow::anyhow!("a seller still holds the system"))?
        .stop()
        .await?;

    // The machine is gone: an empty data folder, an empty nats-server.
    let data = tempfile::tempdir()?;
    let verified =
        bikestore_backup::verify::verify(backup.path(), &bikestore_contracts::Subjects::default())?;
    restore::restore_files(backup.path(), &verified, data.path())?;
    let mut system = System::builder()
        .nats_options(nats())
        .data_dir(data.path())
        .start()
        .await?;
    let replicas = system.nats().node_count();
    restore::restore_into_nats(
        system.client(),
        system.subjects(),
        backup.path(),
        &verified,
        1,
    )
    .await?;
    let jetstream = async_nats::jetstream::new(system.client().clone());
    let unfinished = unfinished_sagas_not_marked_behind(&jetstream, system.subjects()).await?;
    anyhow::ensure!(
        unfinished.is_empty(),
        "restored unfinished sagas not marked may_be_behind: {unfinished:?}"
    );
    for service in START_ORDER {
        system.start_service(service).await?;
    }
    let restored_at = std::time::Instant::now();
    for stream in bikestore_backup::plan::streams(system.subjects()) {
        let mut found = jetstream.get_stream(&stream).await?;
        let copies = found.info().await?.config.num_replicas;
        anyhow::ensure!(
            copies == replicas,
            "stream {stream} has {copies} replicas, not {replicas}"
        );
    }

    let ended = eventually("every saga to end", WAIT, async || {
        let stats = system.caller().call(&SagaStats::default()).await?;
        let counts: BTreeMap<String, u64> = stats
            .counts
            .iter()
            .map(|count| (format!("{:?}", count.state), count.count))
            .collect();
        let unfinished = stats
            .counts
            .iter()
            .filter(|count| !count.state.is_terminal())
            .map(|count| count.count)
            .sum::<u64>();
        Ok::<_, anyhow::Error>((unfinished == 0).then_some(counts))
    })
    .await;
    let counts = match ended {
        Ok(counts) => counts,
        Err(error) => {
            let running = ListSagas {
                state: Some(SagaState::Running),
                ..ListSagas::default()
            };
            for saga in system.caller().call(&running).await?.sagas {
                eprintln!("unfinished: {saga:?}");
            }
            return Err(error);
        }
    };
    eprintln!(
        "sagas after the restore, all ended {:?} after the services started: {counts:?}",
        restored_at.elapsed()
    );
    for state in ["Stuck", "Resolved"] {
        anyhow::ensure!(
            counts.get(state).copied().unwrap_or(0) == 0,
            "{state} sagas: {counts:?}"
        );
    }

    for order_id in &before {
        let order = system
            .caller()
            .call(&GetOrder {
                order_id: *order_id,
            })
            .await?;
        anyhow::ensure!(
            order.status == OrderStatus::Processing,
            "order {order_id}, acknowledged before the backup, is {:?}",
            order.status
        );
    }
    let data_path = data.path().to_owned();
    let (levels, open, captured_twice) = tokio::task::spawn_blocking(move || {
        anyhow::Ok((
            invariants::reserved_equals_held(&data_path)?,
            invariants::open_authorizations_on_ended_orders(&data_path)?,
            orders_captured_twice(&data_path)?,
        ))
    })
    .await??;
    levels.map_err(|wrong| {
        anyhow::anyhow!("reserved differs from the held reservations: {wrong:?}")
    })?;
    anyhow::ensure!(
        open.is_empty(),
        "open authorizations on ended orders: {open:?}"
    );
    anyhow::ensure!(
        captured_twice.is_empty(),
        "orders paid twice: {captured_twice:?}"
    );
    let (paid, kept) = {
        let data_path = data.path().to_owned();
        let customer = shop.customer_id.0;
        tokio::task::spawn_blocking(move || {
            anyhow::Ok((
                confirmed_total(&data_path)?,
                invariants::money_kept(&data_path, customer)?.1,
            ))
        })
        .await??
    };
    anyhow::ensure!(
        paid == kept,
        "confirmed orders total {paid}, payments keep {kept}"
    );

    // Each confirmed order's notification once: none lost (the consumer starts again from the
    // stream's beginning), none twice (events newer than the orders copy were removed).
    eventually(
        "each confirmed order's notification, once",
        WAIT,
        async || {
            let data_path = data.path().to_owned();
            let (confirmed, notified, repeated) = tokio::task::spawn_blocking(move || {
                anyhow::Ok((
                    confirmed_orders(&data_path)?,
                    confirmation_notifications(&data_path)?,
                    repeated_notifications(&data_path)?,
                ))
            })
            .await??;
            anyhow::ensure!(
                repeated.is_empty(),
                "notifications made twice: {repeated:?}"
            );
            Ok::<_, anyhow::Error>((confirmed == notified).then_some(()))
        },
    )
    .await?;
    eprintln!(
        "each confirmation notified once {:?} after the services started",
        restored_at.elapsed()
    );
    system.stop().await
}

/// Places an order for one product under idempotency key `key`.
async fn place(
    system: &System,
    shop: &Shop,
    key: &str,
    card: &str,
    wait_ms: Option<u64>,
) -> anyhow::Result<SagaStarted> {
    let place = shop.order(StaffId(1), 1, card, wait_ms);
    let options = CallOptions {
        timeout: Some(Duration::from_secs(20)),
        ..CallOptions::idempotent(key.to_owned())
    };
    Ok(system.caller().call_with(&place, &options).await?)
}

fn open(data: &Path, service: &str) -> anyhow::Result<rusqlite::Connection> {
    let path = data.join(service).join(format!("{service}.db"));
    let connection =
        rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    connection.busy_timeout(Duration::from_secs(5))?;
    Ok(connection)
}

fn single_column(data: &Path, service: &str, sql: &str) -> anyhow::Result<Vec<String>> {
    let connection = open(data, service)?;
    let mut statement = connection.prepare(sql)?;
    let rows = statement
        .query_map([], |row| row.get::<_, String>(0))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Orders with more than one payment that captured money.
fn orders_captured_twice(data: &Path) -> anyhow::Result<Vec<String>> {
    single_column(
        data,
        "orders",
        "SELECT CAST(order_id AS TEXT) FROM payments WHERE captured > 0 GROUP BY order_id HAVING COUNT(*) > 1",
    )
}

/// The total of every confirmed order, in cents.
fn confirmed_total(data: &Path) -> anyhow::Result<i64> {
    let connection = open(data, "orders")?;
    Ok(connection.query_row(
        "SELECT COALESCE(SUM(total), 0) FROM orders WHERE status = 'processing'",
        [],
        |row| row.get(0),
    )?)
}

fn confirmed_orders(data: &Path) -> anyhow::Result<usize> {
    Ok(single_column(
        data,
        "orders",
        "SELECT CAST(order_id AS TEXT) FROM orders WHERE status = 'processing'",
    )?
    .len())
}

fn confirmation_notifications(data: &Path) -> anyhow::Result<usize> {
    Ok(single_column(
        data,
        "notifications",
        "SELECT text FROM notifications WHERE kind = 'order_confirmed' AND audience = 'customer'",
    )?
    .len())
}

/// Notification texts about orders that were made more than once.
fn repeated_notifications(data: &Path) -> anyhow::Result<Vec<String>> {
    single_column(
        data,
        "notifications",
        "SELECT text FROM notifications WHERE kind LIKE 'order_%' GROUP BY kind, audience, text HAVING COUNT(*) > 1",
    )
}

/// The restored sagas that have not ended and yet are not marked `may_be_behind`: their
/// participants' copies may be ahead of them, so each must be.
async fn unfinished_sagas_not_marked_behind(
    jetstream: &async_nats::jetstream::Context,
    subjects: &bikestore_contracts::Subjects,
) -> anyhow::Result<Vec<String>> {
    use futures::TryStreamExt;
    let bucket = jetstream.get_key_value(subjects.sagas_bucket()).await?;
    let keys: Vec<String> = bucket.keys().await?.try_collect().await?;
    let mut unmarked = Vec::new();
    for key in keys {
        let Some(value) = bucket.get(&key).await? else {
            continue;
        };
        let record: bikestore_contracts::sagas::SagaRecord = serde_json::from_slice(&value)?;
        if !record.state.is_terminal() && !record.may_be_behind {
            unmarked.push(key);
        }
    }
    Ok(unmarked)
}
