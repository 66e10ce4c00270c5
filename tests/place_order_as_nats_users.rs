//! Place order with every service connected as its own NATS user, on a nats-server that
//! refuses anonymous clients, as `just up` runs it (nats/users.conf): the services' permissions
//! cover everything a saga uses (request/reply, event streams, the saga bucket, the work queue,
//! durable consumers, the live feeds, dead letters), for an order that completes and for one
//! that compensates.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use bikestore_contracts::inventory::{
    CreateBrand, CreateCategory, CreateProduct, CreateStore, ProductFields, ReceiveStock,
};
use bikestore_contracts::notifications::{ListNotifications, NotificationKind};
use bikestore_contracts::orders::{Card, CreateCustomer, CustomerFields};
use bikestore_contracts::sagas::{PlaceOrder, PlaceOrderLine, SagaState};
use bikestore_contracts::{Cents, ErrorCode, ServiceName, StaffId};
use bikestore_harness::System;
use bikestore_runtime::call::CallOptions;
use bikestore_testkit::eventually;
use futures::StreamExt;

const WAIT: Duration = Duration::from_secs(20);

fn card(number: &str) -> Card {
    Card {
        number: number.into(),
        expiry_month: 12,
        expiry_year: 2031,
        cvc: "123".into(),
        holder: "Nats Users".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saga_completes_and_compensates_with_every_service_as_its_own_nats_user() {
    // The test itself sets things up as the all-permitted operator user.
    let system = System::builder()
        .secured()
        .services(&[
            ServiceName::Inventory,
            ServiceName::Orders,
            ServiceName::Notifications,
            ServiceName::Orchestrator,
        ])
        .start()
        .await
        .unwrap();
    let caller = system.caller();

    let store_id = caller
        .call(&CreateStore {
            name: "Permitted Bikes".into(),
            ..CreateStore::default()
        })
        .await
        .unwrap()
        .store_id;
    let brand_id = caller
        .call(&CreateBrand {
            name: "Permitted".into(),
        })
        .await
        .unwrap()
        .brand_id;
    let category_id = caller
        .call(&CreateCategory {
            name: "Permitted".into(),
        })
        .await
        .unwrap()
        .category_id;
    let product = ProductFields {
        name: "Permitted 29er".into(),
        brand_id,
        category_id,
        model_year: 2026,
        list_price: Cents(10_000),
    };
    let product_id = caller
        .call(&CreateProduct { product })
        .await
        .unwrap()
        .product_id;
    caller
        .call(&ReceiveStock {
            store_id,
            product_id,
            quantity: 10,
        })
        .await
        .unwrap();
    let customer = CustomerFields {
        first_name: "Nat".into(),
        last_name: "Users".into(),
        email: "nat@users.example".into(),
        phone: String::new(),
        street: String::new(),
        city: String::new(),
        state: String::new(),
        zip_code: String::new(),
    };
    let customer_id = caller
        .call(&CreateCustomer { customer })
        .await
        .unwrap()
        .customer_id;

    let place = |number: &str| PlaceOrder {
        customer_id,
        store_id,
        staff_id: StaffId(1),
        lines: vec![PlaceOrderLine {
            product_id,
            quantity: 1,
            discount_percent: 0,
            list_price: None,
        }],
        card: card(number),
        wait_ms: Some(15_000),
    };
    let options = |key: &str| CallOptions {
        timeout: Some(WAIT),
        ..CallOptions::idempotent(key.to_owned())
    };
    // The sagas' progress, as consoles of the store follow it.
    let mut progress = system
        .client()
        .subscribe(system.subjects().live_every_saga_progress(Some(store_id)))
        .await
        .unwrap();
    system.client().flush().await.unwrap();
    let paid = caller
        .call_with(&place("4242 4242 4242 4242"), &options("users-paid"))
        .await
        .unwrap();
    assert_eq!(paid.state, SagaState::Completed, "{paid:?}");
    let first = tokio::time::timeout(WAIT, progress.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        first.subject.as_str(),
        system
            .subjects()
            .live_saga_progress(store_id, &paid.saga_id.0),
        "the orchestrator's user publishes progress under the saga's store"
    );
    let declined = caller
        .call_with(&place("4000 0000 0000 0002"), &options("users-declined"))
        .await
        .unwrap();
    assert_eq!(declined.state, SagaState::Failed, "{declined:?}");
    assert_eq!(
        declined.error.as_ref().map(|error| error.code),
        Some(ErrorCode::PaymentDeclined),
        "{declined:?}"
    );

    // Notifications consumed the orders stream through its durable consumer, as its own user.
    eventually("the customer's confirmation", WAIT, async || {
        let page = caller
            .call(&ListNotifications {
                customer_id: Some(customer_id),
                ..ListNotifications::default()
            })
            .await
            .ok()?;
        page.notifications
            .iter()
            .any(|notification| notification.kind == NotificationKind::OrderConfirmed)
            .then_some(())
    })
    .await
    .unwrap();

    // A waiting intake follows its saga's progress whatever the store, as the orchestrator's
    // user: a refused subscription would receive nothing.
    let orchestrator = system
        .nats()
        .user_options(ServiceName::Orchestrator.as_str())
        .connect(system.nats().url())
        .await
        .unwrap();
    let mut followed = orchestrator
        .subscribe(system.subjects().live_saga_progress_any_store("probe"))
        .await
        .unwrap();
    orchestrator.flush().await.unwrap();
    // Sent again until it arrives: a connection the server dropped (as it may a loaded
    // test's) reconnects and subscribes again.
    let probe = system.subjects().live_saga_progress(store_id, "probe");
    let deadline = tokio::time::Instant::now() + WAIT;
    let seen = loop {
        system
            .client()
            .publish(probe.clone(), "{}".into())
            .await
            .unwrap();
        let attempt = tokio::time::Instant::now() + Duration::from_millis(200);
        match tokio::time::timeout_at(attempt.min(deadline), followed.next()).await {
            Ok(message) => break message.unwrap(),
            Err(_) if tokio::time::Instant::now() < deadline => continue,
            Err(_) => panic!("the orchestrator's user never saw saga progress"),
        }
    };
    assert_eq!(seen.subject.as_str(), probe);

    system.stop().await.unwrap();
}
