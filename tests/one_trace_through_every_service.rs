//! One order, one trace: a seller's console places an order through the gateway, every service
//! runs as its real binary writing its own JSON log, and the trace the console's request
//! started (which the saga record keeps) is found on log lines of the gateway, the
//! orchestrator, orders, inventory and notifications, with span IDs, and on the event the
//! order's confirmation made.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use async_nats::jetstream;
use bikestore_contracts::inventory::{Page, StoreStock};
use bikestore_contracts::orders::Card;
use bikestore_contracts::sagas::{GetSaga, PlaceOrder, PlaceOrderLine, SagaState};
use bikestore_contracts::trace_context::TraceParent;
use bikestore_contracts::{CustomerId, ServiceName, StoreId, headers};
use bikestore_harness::{START_ORDER, System};
use bikestore_testkit::eventually;
use futures::StreamExt;

const WAIT: Duration = Duration::from_secs(30);
const STORE_1: StoreId = StoreId(1);

/// The services whose log lines must show the order's trace.
const TRACED: [ServiceName; 5] = [
    ServiceName::Gateway,
    ServiceName::Orchestrator,
    ServiceName::Orders,
    ServiceName::Inventory,
    ServiceName::Notifications,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_placed_at_the_console_is_one_trace_in_every_services_log() {
    let mut system = System::builder()
        .seeded()
        .services(&[])
        .start()
        .await
        .unwrap();
    for service in START_ORDER {
        system
            .start_process(service, &[("RUST_LOG", "info")])
            .await
            .unwrap();
    }
    let admin = system.console("admin").await.unwrap();
    let seller = system.console("sales1a").await.unwrap();
    let stock = admin
        .call(&StoreStock {
            store_id: STORE_1,
            page: Page::default(),
        })
        .await
        .unwrap();
    let level = stock
        .levels
        .iter()
        .find(|level| level.available >= 1)
        .expect("store 1 has stock");
    let started = seller
        .call(&PlaceOrder {
            customer_id: CustomerId(1),
            store_id: STORE_1,
            staff_id: seller.whoami().staff_id,
            lines: vec![PlaceOrderLine {
                product_id: level.product_id,
                quantity: 1,
                discount_percent: 0,
                list_price: None,
            }],
            card: Card {
                number: "4242424242424242".into(),
                expiry_month: 12,
                expiry_year: 2031,
                cvc: "123".into(),
                holder: "Trace".into(),
            },
            wait_ms: Some(20_000),
        })
        .await
        .unwrap();
    assert_eq!(started.state, SagaState::Completed, "{:?}", started.error);

    let saga = admin
        .call(&GetSaga {
            saga_id: started.saga_id.clone(),
        })
        .await
        .unwrap();
    let traceparent = saga
        .traceparent
        .as_deref()
        .and_then(TraceParent::parse)
        .expect("the saga keeps the trace of the request that started it");
    let trace_id = traceparent.trace_id_hex();

    let logs = system.data_dir().join("logs");
    let found = eventually(
        "the trace in every service's log",
        WAIT,
        async || -> Option<BTreeMap<&'static str, Vec<serde_json::Value>>> {
            let mut found = BTreeMap::new();
            for service in TRACED {
                let lines = traced_lines(&logs, service, &trace_id);
                if lines.is_empty() {
                    return None;
                }
                found.insert(service.as_str(), lines);
            }
            Some(found)
        },
    )
    .await
    .unwrap_or_else(|error| {
        let missing: Vec<&str> = TRACED
            .iter()
            .filter(|service| traced_lines(&logs, **service, &trace_id).is_empty())
            .map(|service| service.as_str())
            .collect();
        panic!("{error}: trace {trace_id} is missing from the logs of {missing:?}")
    });
    for (service, lines) in &found {
        for line in lines {
            let span_id = line["span_id"].as_str().unwrap_or_default();
            assert!(
                span_id.len() == 16 && span_id.bytes().all(|byte| byte.is_ascii_hexdigit()),
                "{service}: a traced line without its span ID: {line}"
            );
        }
    }

    // The order's events carry the trace on to whoever consumes them.
    let jetstream = jetstream::new(system.client().clone());
    let stream = jetstream
        .get_stream(system.subjects().event_stream(ServiceName::Orders))
        .await
        .unwrap();
    let reader = stream
        .create_consumer(jetstream::consumer::pull::OrderedConfig::default())
        .await
        .unwrap();
    let mut events = reader.messages().await.unwrap();
    let info = stream.get_info().await.unwrap();
    let mut traced_events = 0;
    for _ in 0..info.state.messages {
        let event = tokio::time::timeout(WAIT, events.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let carried = event
            .headers
            .as_ref()
            .and_then(|map| map.get(headers::TRACEPARENT))
            .and_then(|value| TraceParent::parse(value.as_str()));
        if carried.is_some_and(|carried| carried.trace_id == traceparent.trace_id) {
            traced_events += 1;
        }
    }
    assert!(
        traced_events > 0,
        "no event of the orders stream carries the order's trace"
    );
    system.stop().await.unwrap();
}

/// The JSON lines of `service`'s log files that carry `trace_id` at their top level.
fn traced_lines(logs: &Path, service: ServiceName, trace_id: &str) -> Vec<serde_json::Value> {
    let prefix = format!("{service}.log");
    let Ok(entries) = std::fs::read_dir(logs) else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(&prefix) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        lines.extend(
            text.lines()
                .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
                .filter(|line| line["trace_id"].as_str() == Some(trace_id)),
        );
    }
    lines
}
