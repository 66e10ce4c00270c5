//! On a 3-node JetStream cluster every stream and bucket keeps 3 replicas: the harness starts a
//! whole system on one with `js_replicas` 3 for every service (a child process through
//! `BIKESTORE_JS_REPLICAS`), and after a saga each event stream, the dead letters, the audit
//! trail, the saga work queue and the `sagas` bucket's stream has a leader and two followers, as
//! has each durable consumer. A deployment made with 1 replica is raised to 3 by starting its
//! services again with 3, its orders and saga records kept; and a service started with fewer
//! than a stream has does not lower it.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use async_nats::jetstream;
use bikestore_contracts::inventory::{Page, StoreStock};
use bikestore_contracts::orders::{Card, GetOrder};
use bikestore_contracts::sagas::{GetSaga, PlaceOrder, PlaceOrderLine, SagaStarted, SagaState};
use bikestore_contracts::{CustomerId, ServiceName, StaffId, StoreId, Subjects};
use bikestore_harness::{START_ORDER, System};
use bikestore_testkit::{NatsOptions, eventually};
use futures::TryStreamExt;

const STORE: StoreId = StoreId(1);

/// Every stream a whole system makes, by name (object stores' and KV buckets' included).
async fn expected_streams(system: &System) -> Vec<String> {
    let subjects = system.subjects();
    let jetstream = jetstream::new(system.client().clone());
    let sagas = jetstream
        .get_key_value(subjects.sagas_bucket())
        .await
        .unwrap();
    let mut names = vec![
        subjects.event_stream(ServiceName::Identity),
        subjects.event_stream(ServiceName::Inventory),
        subjects.event_stream(ServiceName::Orders),
        subjects.dead_letter_stream(),
        subjects.audit_stream(),
        subjects.saga_work_stream(),
        sagas.stream_name,
    ];
    // Each service with a database keeps its Litestream replica in an object store.
    for service in [
        ServiceName::Identity,
        ServiceName::Inventory,
        ServiceName::Orders,
        ServiceName::Notifications,
    ] {
        let bucket = subjects.database_replica_bucket(service);
        names.push(Subjects::object_store_stream(&bucket));
    }
    names.sort();
    names
}

/// Each stream on the server with its configured replicas and its followers, once every
/// replica has caught up.
async fn replicas_of_every_stream(system: &System) -> BTreeMap<String, (usize, usize)> {
    for name in expected_streams(system).await {
        system.nats().wait_until_current(&name).await.unwrap();
    }
    let jetstream = jetstream::new(system.client().clone());
    let streams: Vec<jetstream::stream::Info> = jetstream.streams().try_collect().await.unwrap();
    streams
        .into_iter()
        .map(|info| {
            let followers = info
                .cluster
                .as_ref()
                .map_or(0, |cluster| cluster.replicas.len());
            (info.config.name, (info.config.num_replicas, followers))
        })
        .collect()
}

/// The system's streams should each keep `replicas` copies: a leader and `replicas - 1`
/// followers.
async fn assert_every_stream_keeps(system: &System, replicas: usize) {
    let found = replicas_of_every_stream(system).await;
    let expected: BTreeMap<String, (usize, usize)> = expected_streams(system)
        .await
        .into_iter()
        .map(|name| (name, (replicas, replicas - 1)))
        .collect();
    assert_eq!(found, expected);
}

/// Each durable consumer of the system's streams (`stream/consumer`) with its followers.
async fn followers_of_every_durable_consumer(system: &System) -> BTreeMap<String, usize> {
    let jetstream = jetstream::new(system.client().clone());
    let mut followers = BTreeMap::new();
    for name in expected_streams(system).await {
        let stream = jetstream.get_stream(&name).await.unwrap();
        let consumers: Vec<jetstream::consumer::Info> =
            stream.consumers().try_collect().await.unwrap();
        for consumer in consumers {
            if let Some(durable) = consumer.config.durable_name {
                let replicas = consumer.cluster.map_or(0, |cluster| cluster.replicas.len());
                followers.insert(format!("{name}/{durable}"), replicas);
            }
        }
    }
    followers
}

/// The durable consumers (notifications' two, the orchestrator's work queue) follow their
/// streams' replicas, so their positions survive a lost node too. After a stream is raised
/// nats-server scales its consumers on its own, some seconds later.
async fn assert_every_durable_consumer_keeps(system: &System, replicas: usize) {
    let followed = eventually(
        "every durable consumer to have its stream's followers",
        Duration::from_secs(30),
        async || {
            let found = followers_of_every_durable_consumer(system).await;
            found
                .values()
                .all(|followers| *followers == replicas - 1)
                .then_some(found)
        },
    )
    .await;
    let found = followers_of_every_durable_consumer(system).await;
    assert!(followed.is_ok(), "{found:?}");
    assert_eq!(found.len(), 3, "{found:?}");
}

/// How many events the orders stream holds.
async fn order_events(system: &System) -> u64 {
    let name = system.subjects().event_stream(ServiceName::Orders);
    let jetstream = jetstream::new(system.client().clone());
    let mut stream = jetstream.get_stream(&name).await.unwrap();
    stream.info().await.unwrap().state.messages
}

/// Places one bike from store 1 of the demo data, straight to the orchestrator, and waits for
/// the saga to complete.
async fn place_an_order(system: &System, key: &str) -> SagaStarted {
    let stock = system
        .caller()
        .call(&StoreStock {
            store_id: STORE,
            page: Page::default(),
        })
        .await
        .unwrap();
    let level = stock
        .levels
        .iter()
        .find(|level| level.available >= 1)
        .expect("the demo data has stock in store 1");
    let request = PlaceOrder {
        customer_id: CustomerId(1),
        store_id: STORE,
        staff_id: StaffId(1),
        lines: vec![PlaceOrderLine {
            product_id: level.product_id,
            quantity: 1,
            discount_percent: 0,
            list_price: None,
        }],
        card: Card {
            number: "4242 4242 4242 4242".into(),
            expiry_month: 12,
            expiry_year: 2031,
            cvc: "123".into(),
            holder: "Replicated Rider".into(),
        },
        wait_ms: Some(20_000),
    };
    let options = bikestore_runtime::call::CallOptions {
        timeout: Some(Duration::from_secs(30)),
        ..bikestore_runtime::call::CallOptions::idempotent(key)
    };
    let started = system.caller().call_with(&request, &options).await.unwrap();
    assert_eq!(started.state, SagaState::Completed, "{:?}", started.error);
    started
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_stream_and_the_sagas_bucket_keep_three_replicas_on_a_cluster() {
    let system = System::builder()
        .nats_options(NatsOptions::cluster())
        .seeded()
        .services(&START_ORDER[..5])
        // The gateway as its binary: the replicas reach a child process through its environment.
        .process(ServiceName::Gateway)
        .start()
        .await
        .unwrap();
    place_an_order(&system, "replicated-order").await;
    assert_every_stream_keeps(&system, 3).await;
    assert_every_durable_consumer_keeps(&system, 3).await;
    system.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_replica_deployment_is_raised_to_three_by_a_restart_keeping_its_data() {
    let mut system = System::builder()
        .nats_options(NatsOptions::cluster())
        .configure(|configs| {
            for common in configs.every_common() {
                common.js_replicas = 1;
            }
        })
        .seeded()
        .all_services()
        .start()
        .await
        .unwrap();
    let placed = place_an_order(&system, "single-replica-order").await;
    assert_every_stream_keeps(&system, 1).await;
    let events_before = order_events(&system).await;
    assert!(events_before > 0, "the order left events");

    for service in START_ORDER.iter().rev() {
        system.stop_service(*service).await.unwrap();
    }
    for common in system.configs_mut().every_common() {
        common.js_replicas = 3;
    }
    for service in START_ORDER {
        system.start_service(service).await.unwrap();
    }
    assert_every_stream_keeps(&system, 3).await;
    assert_every_durable_consumer_keeps(&system, 3).await;
    let events_after = order_events(&system).await;
    assert_eq!(events_after, events_before, "the events were kept");
    let saga = system
        .caller()
        .call(&GetSaga {
            saga_id: placed.saga_id.clone(),
        })
        .await
        .unwrap();
    assert_eq!(saga.state, SagaState::Completed, "the saga record was kept");
    let order_id = placed.order_id.expect("the saga made an order");
    let order = system.caller().call(&GetOrder { order_id }).await.unwrap();
    assert_eq!(order.order_id, order_id);
    // The raised deployment still works.
    place_an_order(&system, "three-replica-order").await;

    // An orchestrator started with 1, as one left on an old configuration would be, keeps 3.
    system
        .stop_service(ServiceName::Orchestrator)
        .await
        .unwrap();
    system.configs_mut().orchestrator.common.js_replicas = 1;
    system
        .start_service(ServiceName::Orchestrator)
        .await
        .unwrap();
    assert_every_stream_keeps(&system, 3).await;
    system.stop().await.unwrap();
}
