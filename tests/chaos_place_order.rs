//! Chaos over the whole system: place-order sagas for a bounded time, half of them placed as
//! consoles place them (the client library, logged in, through the gateway) and half straight to
//! the orchestrator, some with declining cards and some asking for more than is in stock, while
//! about every half second a process dies with SIGKILL and starts again (every service, two
//! orchestrators, now and then nats-server itself) and each service's connection to
//! nats-server runs through a fault proxy that delays, stalls and cuts it on a seeded schedule.
//! The console logs in again when its session ends, as a person would; the summary counts it.
//!
//! Afterwards every saga ends within a bound and the invariants hold: stock is conserved and
//! reserved equals the held reservations (also checked again and again during the chaos),
//! captured money equals the confirmed orders' totals, no rejected or cancelled order keeps an
//! open authorization, every order has its ended saga, and each customer notification was sent
//! once. The run prints a summary (sagas by state, kills and faults by kind, invariants checked,
//! the longest stall).
//!
//! A last, small test shows the invariants read from the databases find what they look for.
//!
//! A second chaos runs on a 3-node cluster: the same load and invariants while a random node is
//! killed every 5 to 10 s and started again, never two at once, and no 15 s may pass without a
//! saga ending.
//!
//! `BIKESTORE_CHAOS_DATA_DIR` keeps the services' databases and logs in that folder, to look into
//! a failed run. `BIKESTORE_CHAOS_SECONDS` sets how long the chaos lasts (default 30, and 45 on the cluster, so
//! each test stays within two minutes); `just chaos [minutes]` and
//! `just chaos --nats-nodes 3 [minutes]` run them longer.
#![allow(clippy::unwrap_used)]

#[path = "chaos/fleet.rs"]
mod fleet;
#[path = "chaos/invariants.rs"]
mod invariants;
#[path = "support/shop.rs"]
mod shop;
#[path = "chaos/summary.rs"]
mod summary;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bikestore_contracts::inventory::Page;
use bikestore_contracts::inventory::{GetProduct, ReservationLine, ReserveStock};
use bikestore_contracts::notifications::{ListNotifications, NotificationKind};
use bikestore_contracts::orders::{
    AuthorizePayment, ChangeOrderStatus, CreateOrder, GetPayment, ListOrders, OrderLine,
    OrderStatus,
};
use bikestore_contracts::sagas::{
    CancelOrder, GetSaga, PlaceOrder, SagaId, SagaPayload, SagaRecord, SagaStarted, SagaState,
};
use bikestore_contracts::{Cents, ErrorCode, ReservationId, ServiceName, StaffId, Subjects};
use bikestore_harness::System;
use bikestore_runtime::call::{CallOptions, Caller};
use bikestore_testkit::{NatsOptions, eventually, wait_for_service};
use fleet::{Console, Dice, Fleet, SERVICES, Victims, card, orchestrator_log_lines};
use futures::{SinkExt, StreamExt, TryStreamExt};
use shop::Shop;
use summary::Summary;

const STOCK: i64 = 100_000;
/// How long the chaos lasts unless `BIKESTORE_CHAOS_SECONDS` says otherwise.
const DEFAULT_SECONDS: u64 = 30;
/// How long the cluster's chaos lasts: long enough for several node deaths 5 to 10 s apart.
const DEFAULT_CLUSTER_SECONDS: u64 = 45;
/// Every tenth order, numbered so, is cancelled once its saga has completed.
const CANCELLED: usize = 5;
/// How many intakes run at once.
const CONCURRENT: usize = 16;

/// The `index`th order: every tenth with a declined card, every tenth asking for more than
/// there is, the others one bike.
fn order(shop: &Shop, index: usize, staff_id: StaffId) -> PlaceOrder {
    let number = if index % 10 == 3 {
        "4000 0000 0000 0002"
    } else {
        "4242 4242 4242 4242"
    };
    let quantity = if index % 10 == 7 { STOCK * 10 } else { 1 };
    shop.order(staff_id, quantity, number, None)
}

/// Places the `index`th order, even numbers as a console through the gateway, odd ones
/// straight to the orchestrator, retrying under the same key until some orchestrator (and
/// gateway) answers; the pause is a client's backoff, not a wait for something to happen.
async fn place(
    shop: &Shop,
    index: usize,
    console: &Console,
    caller: &Caller,
) -> anyhow::Result<SagaStarted> {
    let key = format!("chaos-{index}");
    let timeout = Some(Duration::from_secs(3));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut errors = BTreeMap::<String, usize>::new();
    loop {
        let placed = if index.is_multiple_of(2) {
            let session = console.session().await;
            let request = order(shop, index, session.whoami().staff_id);
            let options = bikestore_client::CallOptions {
                idempotency_key: Some(key.clone()),
                timeout,
                content_type: None,
            };
            let called = session.call_with(&request, options).await;
            // A session can still end under the chaos (a refresh whose reply stays lost past
            // the client's retries and identity's retry grace leaves the console a refresh token
            // identity has replaced): log in again, as a person would.
            if let Err(error) = &called
                && error.code() == ErrorCode::Unauthorized
            {
                console.log_in_again(&session).await.ok();
            }
            called.map_err(anyhow::Error::from)
        } else {
            let options = CallOptions {
                timeout,
                ..CallOptions::idempotent(key.clone())
            };
            caller
                .call_with(&order(shop, index, StaffId(1)), &options)
                .await
                .map_err(anyhow::Error::from)
        };
        match placed {
            Ok(started) => return Ok(started),
            Err(error) if tokio::time::Instant::now() >= deadline => {
                return Err(error.context(format!(
                    "order {index} was never taken; the errors on the way, by count: {errors:#?}"
                )));
            }
            Err(error) => {
                *errors.entry(error.to_string()).or_default() += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Once the `index`th order's saga has completed, cancels the order straight through the
/// orchestrator, retrying under one key as [`place`] does. Answers whether it did (a saga that
/// failed left nothing to cancel).
async fn cancel_once_placed(index: usize, saga_id: SagaId, caller: Caller) -> anyhow::Result<bool> {
    // The saga announces its end to nobody the test can hear; its record says it.
    let order_id = eventually(
        &format!("order {index}'s saga to end"),
        Duration::from_secs(60),
        async || {
            let request = GetSaga {
                saga_id: saga_id.clone(),
            };
            let record = caller.call(&request).await.ok()?;
            match (record.state, record.payload) {
                (SagaState::Completed, SagaPayload::PlaceOrder(placed)) => Some(placed.order_id),
                (state, _) if state.is_terminal() => Some(None),
                _ => None,
            }
        },
    )
    .await;
    let order_id = match order_id {
        Ok(order_id) => order_id,
        // Say where it stands, so a saga that never ends can be understood.
        Err(error) => {
            let record = caller.call(&GetSaga { saga_id }).await;
            return Err(error.context(format!("its record now: {record:#?}")));
        }
    };
    let Some(order_id) = order_id else {
        return Ok(false);
    };
    let request = CancelOrder {
        order_id,
        reason: "changed their mind (chaos)".into(),
        wait_ms: None,
    };
    let options = CallOptions {
        timeout: Some(Duration::from_secs(3)),
        ..CallOptions::idempotent(format!("chaos-cancel-{index}"))
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        match caller.call_with(&request, &options).await {
            Ok(_) => return Ok(true),
            Err(error) if tokio::time::Instant::now() >= deadline => {
                return Err(anyhow::Error::from(error)
                    .context(format!("order {index} was never cancelled")));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Every saga record, read from the orchestrator's bucket (more than one listing holds).
async fn all_sagas(
    client: &async_nats::Client,
    subjects: &Subjects,
) -> anyhow::Result<Vec<SagaRecord>> {
    let jetstream = async_nats::jetstream::new(client.clone());
    let bucket = jetstream.get_key_value(subjects.sagas_bucket()).await?;
    let keys: Vec<String> = bucket
        .keys()
        .await?
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    let mut records = Vec::with_capacity(keys.len());
    for key in keys {
        if let Some(value) = bucket.get(&key).await? {
            records.push(serde_json::from_slice(&value)?);
        }
    }
    Ok(records)
}

fn chaos_duration(victims: Victims) -> Duration {
    let default = match victims {
        Victims::Processes => DEFAULT_SECONDS,
        Victims::ClusterNodes => DEFAULT_CLUSTER_SECONDS,
    };
    let seconds = std::env::var("BIKESTORE_CHAOS_SECONDS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default);
    Duration::from_secs(seconds)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sagas_survive_random_kills_and_network_faults_and_every_invariant_holds()
-> anyhow::Result<()> {
    chaos(Victims::Processes).await
}

/// The cluster's chaos: place-order load on a 3-node cluster (every stream and bucket with three
/// replicas) while a random node dies every 5 to 10 s, never two at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sagas_survive_cluster_nodes_dying_one_at_a_time_and_every_invariant_holds()
-> anyhow::Result<()> {
    chaos(Victims::ClusterNodes).await
}

async fn chaos(victims: Victims) -> anyhow::Result<()> {
    let chaos_for = chaos_duration(victims);
    let mut summary = Summary {
        chaos_for,
        ..Summary::default()
    };
    // Seeded for the demo staff consoles log in as.
    let mut builder = System::builder().seeded();
    // To look into a failed run: its databases and logs stay in this folder.
    if let Some(folder) = std::env::var_os("BIKESTORE_CHAOS_DATA_DIR") {
        builder = builder.data_dir(folder);
    }
    if victims == Victims::ClusterNodes {
        builder = builder.nats_options(NatsOptions::cluster());
    }
    let system = builder.start().await?;
    let client = system.client().clone();
    let caller = system.caller().clone();
    let subjects = system.subjects().clone();
    let data = system.data_dir().to_owned();
    let fleet = Fleet::start(system, 0x5EED_CAFE, victims).await?;
    for service in SERVICES {
        wait_for_service(&client, service.as_str(), Duration::from_secs(30)).await?;
    }
    let shop = Shop::open(&caller, "Chaos", STOCK).await?;
    let console = Arc::new(Console::log_in(&fleet.system, "admin").await?);

    // The killer: about every half second one process, or every 5 to 10 s one cluster node,
    // dies with SIGKILL and starts again. It runs beside the intake on this task (restarting
    // nats-server is not a future to spawn).
    let (stop_killing, mut stop_signal) = tokio::sync::watch::channel(false);
    let killer = async move {
        let mut fleet = fleet;
        let mut dice = Dice(0x5EED_CAFE);
        loop {
            tokio::select! {
                _ = tokio::time::sleep(victims.pause(&mut dice)) => {}
                _ = stop_signal.changed() => break,
            }
            fleet.kill_one(&mut dice).await?;
        }
        anyhow::Ok(fleet)
    };

    // The watcher: reserved equals the held reservations at every moment it looks.
    let watcher = tokio::spawn({
        let (data, mut stop_signal) = (data.clone(), stop_killing.subscribe());
        async move {
            let mut checks = 0_u64;
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                    _ = stop_signal.changed() => break,
                }
                // A read may meet the database while inventory restarts; the next one looks again.
                let data = data.clone();
                let read =
                    tokio::task::spawn_blocking(move || invariants::reserved_equals_held(&data));
                let Ok(levels) = read.await? else {
                    continue;
                };
                if let Err(wrong) = levels {
                    anyhow::bail!(
                        "reserved differs from the held reservations during the chaos (store, product, reserved, held): {wrong:?}"
                    );
                }
                checks += 1;
            }
            anyhow::Ok(checks)
        }
    });

    // Intake: orders one after another from 16 clients until the chaos time is over.
    let (to_cancel, to_be_cancelled) =
        futures::channel::mpsc::channel::<(usize, SagaId)>(CONCURRENT);
    let intake = async {
        let slots = Arc::new(tokio::sync::Semaphore::new(CONCURRENT));
        let mut intakes = tokio::task::JoinSet::new();
        let started = tokio::time::Instant::now();
        let mut placed = 0;
        while started.elapsed() < chaos_for {
            let slot = Arc::clone(&slots).acquire_owned().await?;
            let (shop, console, caller) = (shop.clone(), Arc::clone(&console), caller.clone());
            let index = placed;
            let mut to_cancel = to_cancel.clone();
            intakes.spawn(async move {
                let started = place(&shop, index, &console, &caller).await?;
                drop(slot);
                if index % 10 == CANCELLED {
                    to_cancel.send((index, started.saga_id)).await?;
                }
                anyhow::Ok(())
            });
            placed += 1;
            // Collect the finished ones as we go, failing early.
            while let Some(intake) = intakes.try_join_next() {
                intake??;
            }
        }
        while let Some(intake) = intakes.join_next().await {
            intake??;
        }
        drop(to_cancel);
        // Let the chaos go on a little after the last intake, then stop it.
        tokio::time::sleep(Duration::from_secs(3)).await;
        stop_killing.send(true)?;
        anyhow::Ok(placed)
    };
    // The canceller: cancels the orders it is handed once they are placed, eight at a time, on
    // this task (waiting for a saga's end is no future a task can hold).
    let canceller = to_be_cancelled
        .map(|(index, saga_id)| cancel_once_placed(index, saga_id, caller.clone()))
        .buffer_unordered(8)
        .try_fold(0, async |cancels, cancelled| {
            anyhow::Ok(cancels + usize::from(cancelled))
        });
    let (mut fleet, placed, cancels) = tokio::try_join!(killer, intake, canceller)?;
    summary.cancelled = cancels;
    summary.through_gateway = placed.div_ceil(2);
    summary.console_logins_again = console.logins_again();
    summary.straight = placed / 2;
    summary.checked(
        "reserved = held reservations (during the chaos)",
        watcher.await??,
    );
    fleet.pause_faults(true);
    summary.kills = fleet.kills.clone();
    summary.faults = fleet.faults();
    let kills: u64 = summary.kills.values().sum();
    let enough_kills = match victims {
        Victims::Processes => 5,
        Victims::ClusterNodes => 2,
    };
    assert!(
        kills >= enough_kills,
        "the test killed too little ({kills})"
    );
    for service in SERVICES {
        wait_for_service(&client, service.as_str(), Duration::from_secs(30)).await?;
    }

    // Every saga ends within a bound.
    let sagas = eventually("every saga to end", Duration::from_secs(90), async || {
        let sagas = all_sagas(&client, &subjects).await.ok()?;
        (sagas.len() == placed + cancels && sagas.iter().all(|saga| saga.state.is_terminal()))
            .then_some(sagas)
    })
    .await?;
    summary.sagas(&sagas);
    let completed = sagas
        .iter()
        .filter(|saga| saga.state == SagaState::Completed)
        .count();
    assert!(
        sagas
            .iter()
            .all(|saga| matches!(saga.state, SagaState::Completed | SagaState::Failed)),
        "{:?}",
        summary.sagas_by_state
    );
    assert!(
        completed >= (placed + cancels) * 7 / 10,
        "most sagas complete: {completed} of {}",
        placed + cancels
    );
    summary.checked("every saga ended", 1);

    // Every order has its ended saga, and their outcomes agree.
    let mut order_of_saga = BTreeMap::new();
    let mut cancelled_by_saga = BTreeMap::new();
    for saga in &sagas {
        match &saga.payload {
            SagaPayload::PlaceOrder(payload) => {
                if let Some(order_id) = payload.order_id {
                    order_of_saga.insert(order_id, (saga.state, payload.payment_id));
                }
            }
            SagaPayload::CancelOrder(payload) => {
                cancelled_by_saga.insert(payload.order_id, saga.state);
            }
            other => panic!("not a saga of this test: {other:?}"),
        }
    }
    assert_eq!(
        cancelled_by_saga.len(),
        cancels,
        "one cancel saga per cancel"
    );
    let mut orders = Vec::new();
    for offset in (0..placed as u32).step_by(500) {
        let page = caller
            .call(&ListOrders {
                customer_id: Some(shop.customer_id),
                page: Page { offset, limit: 500 },
                ..ListOrders::default()
            })
            .await?;
        orders.extend(page.orders);
    }
    assert_eq!(
        orders.len(),
        order_of_saga.len(),
        "no order without a saga, no saga with two orders"
    );
    let mut confirmed_total = 0;
    let mut sold = 0;
    for order in &orders {
        let (state, _) = order_of_saga.get(&order.order_id).copied().unwrap();
        match (state, order.status) {
            (SagaState::Completed, OrderStatus::Processing) => {
                confirmed_total += order.total.0;
                sold += 1;
            }
            (SagaState::Failed, OrderStatus::Rejected) => {}
            (SagaState::Completed, OrderStatus::Cancelled)
                if cancelled_by_saga.get(&order.order_id) == Some(&SagaState::Completed) => {}
            other => panic!(
                "order {} disagrees with its saga: {other:?}",
                order.order_id
            ),
        }
    }
    summary.checked("every order agrees with its saga", orders.len() as u64);

    // Stock is conserved and nothing stays reserved.
    let detail = caller
        .call(&GetProduct {
            product_id: shop.product_id,
        })
        .await?;
    let level = detail
        .stock
        .iter()
        .find(|level| level.store_id == shop.store_id)
        .unwrap();
    assert_eq!(level.reserved, 0);
    assert_eq!(
        level.on_hand + sold,
        STOCK,
        "on hand + sold = what was received"
    );
    summary.checked("stock conserved", 1);

    // Captured money equals the confirmed orders' totals, as the sagas recorded their payments.
    let mut captured = 0;
    for (state, payment_id) in order_of_saga.values() {
        let Some(payment_id) = payment_id else {
            continue;
        };
        let payment = caller
            .call(&GetPayment {
                payment_id: *payment_id,
            })
            .await?;
        captured += payment.captured.0 - payment.refunded.0;
        if *state == SagaState::Failed {
            assert_eq!(
                payment.captured.0, payment.refunded.0,
                "a failed saga keeps no money"
            );
        }
    }
    assert_eq!(captured, confirmed_total);
    summary.checked("captured = confirmed totals", 1);

    // Each customer notification was sent once: one per confirmed and one per rejected order.
    let rejected = orders
        .iter()
        .filter(|order| order.status == OrderStatus::Rejected)
        .count();
    let cancelled = orders
        .iter()
        .filter(|order| order.status == OrderStatus::Cancelled)
        .count();
    assert_eq!(cancelled, cancels, "every cancel saga cancelled its order");
    // A cancelled order was confirmed first.
    let confirmed_orders = sold as usize + cancelled;
    let kinds = eventually("every notification", Duration::from_secs(30), async || {
        let mut kinds = BTreeMap::<String, usize>::new();
        for offset in (0..2 * placed as u32).step_by(500) {
            let page = caller
                .call(&ListNotifications {
                    customer_id: Some(shop.customer_id),
                    page: Page { offset, limit: 500 },
                    ..ListNotifications::default()
                })
                .await
                .ok()?;
            for notification in page.notifications {
                *kinds.entry(format!("{:?}", notification.kind)).or_default() += 1;
            }
        }
        let confirmed = kinds
            .get(&format!("{:?}", NotificationKind::OrderConfirmed))
            .copied()
            .unwrap_or(0);
        let told = kinds
            .get(&format!("{:?}", NotificationKind::OrderRejected))
            .copied()
            .unwrap_or(0);
        let cancel_told = kinds
            .get(&format!("{:?}", NotificationKind::OrderCancelled))
            .copied()
            .unwrap_or(0);
        (confirmed >= confirmed_orders && told >= rejected && cancel_told >= cancelled)
            .then_some(kinds)
    })
    .await?;
    assert_eq!(
        kinds.get("OrderConfirmed").copied().unwrap_or(0),
        confirmed_orders,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.get("OrderCancelled").copied().unwrap_or(0),
        cancelled,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.get("OrderRejected").copied().unwrap_or(0),
        rejected,
        "{kinds:?}"
    );
    summary.checked("each notification sent once", 1);

    // Every failure is in an orchestrator log file with its saga ID, step and error.
    let failures = orchestrator_log_lines(&data)?
        .into_iter()
        .filter(|line| line["fields"]["message"] == "saga step failed; compensating the steps done")
        .collect::<Vec<_>>();
    assert!(
        !failures.is_empty(),
        "declined cards and short stock were logged"
    );
    for line in &failures {
        let fields = &line["fields"];
        assert!(
            fields["saga_id"].is_string()
                && fields["step"].is_string()
                && fields["error"].is_string(),
            "{line}"
        );
    }

    // With every process stopped, the databases themselves: reserved equals the held
    // reservations, no rejected or cancelled order keeps an open authorization, and the money
    // every payment keeps (also one whose reply no saga saw) equals the confirmed totals.
    for process in &mut fleet.processes {
        process.kill_hard().await?;
    }
    let read = {
        let (data, customer_id) = (data.clone(), shop.customer_id.0);
        tokio::task::spawn_blocking(move || {
            anyhow::Ok((
                invariants::reserved_equals_held(&data)?,
                invariants::open_authorizations_on_ended_orders(&data)?,
                invariants::money_kept(&data, customer_id)?,
            ))
        })
    };
    let (levels, open, (payments, kept)) = read.await??;
    let levels = levels.map_err(|wrong| {
        anyhow::anyhow!("reserved differs from the held reservations (store, product, reserved, held): {wrong:?}")
    })?;
    assert!(levels > 0, "stock levels were checked");
    summary.checked("reserved = held reservations (at the end)", 1);
    assert!(
        open.is_empty(),
        "open authorizations on rejected or cancelled orders (payment, order, status): {open:?}"
    );
    summary.checked("no open authorization on a failed or cancelled order", 1);
    assert!(payments > 0);
    assert_eq!(
        kept, confirmed_total,
        "the money every payment keeps = confirmed totals"
    );
    summary.checked("money kept by every payment = confirmed totals", 1);

    println!("{summary}");
    // The aim is under 15 s (a dead driver's sagas wait out its 3 s lease, a lost work item
    // the 2 s scan of sagas stale for 3 s); twice that means something is waiting for nothing.
    let (stall, saga) = summary.longest_stall.clone().unwrap_or_default();
    assert!(
        stall < 30_000,
        "a saga went {stall} ms without progress: {saga}"
    );
    // A node's death costs a leader election (4 to 9 s of Raft timeouts) at most, and the
    // services ride it out: the system as a whole never stops ending sagas for 15 s.
    if victims == Victims::ClusterNodes {
        let (quiet, between) = summary.longest_without_an_end.clone().unwrap_or_default();
        assert!(
            quiet < 15_000,
            "no saga ended for {quiet} ms, between {between}"
        );
    }
    drop(fleet);
    Ok(())
}

/// The invariants read from the databases see what they are about: a held reservation counts,
/// a reservation whose stock level disagrees is named, and an authorization left on a rejected
/// order is found.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_invariants_find_what_they_look_for() -> anyhow::Result<()> {
    let mut system = System::builder()
        .services(&[ServiceName::Inventory, ServiceName::Orders])
        .start()
        .await?;
    let caller = system.caller().clone();
    let data = system.data_dir().to_owned();
    let shop = Shop::open(&caller, "Chaos", STOCK).await?;
    caller
        .call(&ReserveStock {
            reservation_id: ReservationId("held-by-the-test".into()),
            store_id: shop.store_id,
            lines: vec![ReservationLine {
                product_id: shop.product_id,
                quantity: 3,
            }],
        })
        .await?;
    let order = caller
        .call(&CreateOrder {
            customer_id: shop.customer_id,
            store_id: shop.store_id,
            staff_id: StaffId(1),
            lines: vec![OrderLine {
                product_id: shop.product_id,
                quantity: 1,
                list_price: Cents(10_000),
                discount_percent: 0,
                product_name: None,
            }],
            required_date: None,
            reservation_id: None,
        })
        .await?;
    let payment = caller
        .call(&AuthorizePayment {
            order_id: order.order_id,
            amount: order.total,
            card: card("4242 4242 4242 4242"),
        })
        .await?;
    caller
        .call(&ChangeOrderStatus {
            order_id: order.order_id,
            to: OrderStatus::Rejected,
            reason: Some("the test leaves its money held".into()),
        })
        .await?;
    let levels = {
        let data = data.clone();
        tokio::task::spawn_blocking(move || invariants::reserved_equals_held(&data)).await??
    };
    assert_eq!(
        levels,
        Ok(1),
        "the one level agrees with its held reservation"
    );
    let open = {
        let data = data.clone();
        tokio::task::spawn_blocking(move || invariants::open_authorizations_on_ended_orders(&data))
            .await??
    };
    assert_eq!(
        open,
        vec![(
            payment.payment_id.0,
            order.order_id.0,
            "rejected".to_owned()
        )]
    );

    // Behind inventory's back, the reservation stops holding while the level still counts it.
    system.stop_service(ServiceName::Inventory).await?;
    let levels = tokio::task::spawn_blocking(move || {
        let database = rusqlite::Connection::open(data.join("inventory").join("inventory.db"))?;
        database.execute("UPDATE reservations SET status = 'released'", [])?;
        invariants::reserved_equals_held(&data)
    })
    .await??;
    assert_eq!(
        levels,
        Err(vec![[shop.store_id.0, shop.product_id.0, 3, 0]]),
        "the level that disagrees is named"
    );
    system.stop().await
}
