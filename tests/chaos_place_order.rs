//! Chaos: 300 place-order sagas (some with declining cards, some asking for more than is in
//! stock) while a service or orchestrator process is killed with SIGKILL about every half
//! second and started again. Afterwards every saga ends within a bound and the invariants
//! hold: stock is conserved, captured money equals the confirmed orders' totals, every order
//! has its ended saga, and each customer notification was sent once.
#![allow(clippy::unwrap_used)]

#[path = "chaos/fleet.rs"]
mod fleet;

use std::collections::BTreeMap;
use std::time::Duration;

use bikestore_contracts::inventory::Page;
use bikestore_contracts::inventory::{
    CreateBrand, CreateCategory, CreateProduct, CreateStore, GetProduct, ProductFields,
    ReceiveStock,
};
use bikestore_contracts::notifications::{ListNotifications, NotificationKind};
use bikestore_contracts::orders::{
    CreateCustomer, CustomerFields, GetPayment, ListOrders, OrderStatus,
};
use bikestore_contracts::sagas::{ListSagas, PlaceOrder, PlaceOrderLine, SagaPayload, SagaState};
use bikestore_contracts::{Cents, StaffId};
use bikestore_harness::System;
use bikestore_runtime::call::CallOptions;
use bikestore_testkit::{eventually, wait_for_service};
use fleet::{Dice, Fleet, SERVICES, card, orchestrator_log_lines};

const SAGAS: usize = 300;
const STOCK: i64 = 2_000;
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sagas_survive_random_kills_and_every_invariant_holds() -> anyhow::Result<()> {
    let system = std::sync::Arc::new(System::builder().start().await?);
    let client = system.client().clone();
    let caller = system.caller().clone();
    let mut fleet = Fleet {
        system: std::sync::Arc::clone(&system),
        processes: Vec::new(),
    };
    for index in 0..SERVICES.len() {
        let process = fleet.spawn(index)?;
        fleet.processes.push(process);
    }
    for service in SERVICES {
        wait_for_service(&client, service.as_str(), Duration::from_secs(30)).await?;
    }

    // One store, one product with plenty of stock, one customer.
    let store_id = caller
        .call(&CreateStore {
            name: "Chaos Bikes".into(),
            ..CreateStore::default()
        })
        .await?
        .store_id;
    let brand_id = caller
        .call(&CreateBrand {
            name: "Chaos".into(),
        })
        .await?
        .brand_id;
    let category_id = caller
        .call(&CreateCategory {
            name: "Chaos".into(),
        })
        .await?
        .category_id;
    let product = ProductFields {
        name: "Chaos 29er".into(),
        brand_id,
        category_id,
        model_year: 2020,
        list_price: Cents(10_000),
    };
    let product_id = caller.call(&CreateProduct { product }).await?.product_id;
    caller
        .call(&ReceiveStock {
            store_id,
            product_id,
            quantity: STOCK,
        })
        .await?;
    let customer = CustomerFields {
        first_name: "Kim".into(),
        last_name: "Chaos".into(),
        email: "kim@chaos.example".into(),
        phone: String::new(),
        street: String::new(),
        city: String::new(),
        state: String::new(),
        zip_code: String::new(),
    };
    let customer_id = caller.call(&CreateCustomer { customer }).await?.customer_id;

    // The killer: about every half second, one process dies with SIGKILL and starts again.
    let (stop_killing, mut stop_signal) = tokio::sync::watch::channel(false);
    let killer = tokio::spawn(async move {
        let mut dice = Dice(0x5EED_CAFE);
        let mut kills = 0;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                _ = stop_signal.changed() => break,
            }
            let victim = dice.roll(fleet.processes.len());
            fleet.processes[victim].kill_hard().await?;
            fleet.processes[victim] = fleet.spawn(victim)?;
            kills += 1;
        }
        anyhow::Ok((fleet, kills))
    });

    // Intake: every saga under its own key, retried until some orchestrator answers.
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(16));
    let mut intakes = tokio::task::JoinSet::new();
    for index in 0..SAGAS {
        let (caller, slots) = (caller.clone(), std::sync::Arc::clone(&slots));
        let number = if index % 10 == 3 {
            "4000 0000 0000 0002"
        } else {
            "4242 4242 4242 4242"
        };
        let quantity = if index % 10 == 7 { STOCK * 10 } else { 1 };
        let request = PlaceOrder {
            customer_id,
            store_id,
            staff_id: StaffId(1),
            lines: vec![PlaceOrderLine {
                product_id,
                quantity,
                discount_percent: 0,
                list_price: None,
            }],
            card: card(number),
            wait_ms: None,
        };
        intakes.spawn(async move {
            let _slot = slots.acquire_owned().await;
            let options = CallOptions {
                timeout: Some(Duration::from_secs(3)),
                ..CallOptions::idempotent(format!("chaos-{index}"))
            };
            // A client retries under the same key while the orchestrators are being killed;
            // the pause is the client's backoff, not a wait for something to happen.
            let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
            loop {
                match caller.call_with(&request, &options).await {
                    Ok(started) => return anyhow::Ok(started),
                    Err(error) if tokio::time::Instant::now() >= deadline => {
                        return Err(error.into());
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        });
    }
    while let Some(intake) = intakes.join_next().await {
        intake??;
    }
    // Let the chaos go on a little after the last intake, then stop it.
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop_killing.send(true)?;
    let (mut fleet, kills) = killer.await??;
    assert!(kills >= 5, "the test killed processes ({kills})");
    for service in SERVICES {
        wait_for_service(&client, service.as_str(), Duration::from_secs(30)).await?;
    }

    // Every saga ends within a bound.
    let sagas = eventually("every saga to end", Duration::from_secs(90), async || {
        let sagas = caller
            .call(&ListSagas {
                limit: Some(1_000),
                ..ListSagas::default()
            })
            .await
            .ok()?
            .sagas;
        (sagas.len() == SAGAS && sagas.iter().all(|saga| saga.state.is_terminal())).then_some(sagas)
    })
    .await?;
    let completed: Vec<_> = sagas
        .iter()
        .filter(|saga| saga.state == SagaState::Completed)
        .collect();
    assert!(
        sagas
            .iter()
            .all(|saga| matches!(saga.state, SagaState::Completed | SagaState::Failed))
    );
    assert!(
        completed.len() >= SAGAS * 7 / 10,
        "most sagas complete: {}",
        completed.len()
    );

    // Every order has its ended saga, and their outcomes agree.
    let mut order_of_saga = BTreeMap::new();
    for saga in &sagas {
        let SagaPayload::PlaceOrder(payload) = &saga.payload else {
            panic!("not a place order")
        };
        if let Some(order_id) = payload.order_id {
            order_of_saga.insert(order_id, (saga.state, payload.payment_id));
        }
    }
    let mut orders = Vec::new();
    for offset in (0..SAGAS as u32).step_by(500) {
        let page = caller
            .call(&ListOrders {
                customer_id: Some(customer_id),
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
            other => panic!(
                "order {} disagrees with its saga: {other:?}",
                order.order_id
            ),
        }
    }

    // Stock is conserved and nothing stays reserved.
    let detail = caller.call(&GetProduct { product_id }).await?;
    let level = detail
        .stock
        .iter()
        .find(|level| level.store_id == store_id)
        .unwrap();
    assert_eq!(level.reserved, 0);
    assert_eq!(
        level.on_hand + sold,
        STOCK,
        "on hand + sold = what was received"
    );

    // Captured money equals the confirmed orders' totals.
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

    // Each customer notification was sent once: one per confirmed and one per rejected order.
    let rejected = orders
        .iter()
        .filter(|order| order.status == OrderStatus::Rejected)
        .count();
    let kinds = eventually("every notification", Duration::from_secs(30), async || {
        let mut kinds = BTreeMap::<String, usize>::new();
        for offset in (0..2 * SAGAS as u32).step_by(500) {
            let page = caller
                .call(&ListNotifications {
                    customer_id: Some(customer_id),
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
        (confirmed >= sold as usize && told >= rejected).then_some(kinds)
    })
    .await?;
    assert_eq!(
        kinds.get("OrderConfirmed").copied().unwrap_or(0),
        sold as usize,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.get("OrderRejected").copied().unwrap_or(0),
        rejected,
        "{kinds:?}"
    );

    // Every failure is in an orchestrator log file with its saga ID, step and error.
    let failures = orchestrator_log_lines(system.data_dir())?
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

    for process in &mut fleet.processes {
        process.kill_hard().await?;
    }
    Ok(())
}
