//! One order, one trace: a seller's console places an order through the gateway, every service
//! runs as its real binary writing its own JSON log, and the trace the console's request
//! started (which the saga record keeps) is found on log lines of the gateway, the
//! orchestrator, orders, inventory and notifications, with span IDs, and on the event the
//! order's confirmation made. The gateway, the orchestrator and notifications also export their
//! spans over OTLP/HTTP to a collector the test plays (each export of the order's trace names its
//! service); orders and inventory export nothing, so the trace crosses services that record it
//! and services that only log it, both ways.
#![allow(clippy::unwrap_used)]

#[path = "support/console_sale.rs"]
mod console_sale;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream;
use bikestore_contracts::trace_context::TraceParent;
use bikestore_contracts::{ServiceName, headers};
use bikestore_harness::{START_ORDER, System};
use bikestore_testkit::eventually;
use console_sale::sell_one_at_the_console;
use futures::StreamExt;

const WAIT: Duration = Duration::from_secs(30);

/// The services whose log lines must show the order's trace.
const TRACED: [ServiceName; 5] = [
    ServiceName::Gateway,
    ServiceName::Orchestrator,
    ServiceName::Orders,
    ServiceName::Inventory,
    ServiceName::Notifications,
];

/// The services that export their spans; the others only log them.
const EXPORTING: [ServiceName; 3] = [
    ServiceName::Gateway,
    ServiceName::Orchestrator,
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
    let collector = Collector::start().await;
    let endpoint = format!("http://{}", collector.address);
    for service in START_ORDER {
        let mut env = vec![("RUST_LOG", "info")];
        if EXPORTING.contains(&service) {
            env.push(("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint));
            // Batches leave every 100 ms instead of 5 s.
            env.push(("OTEL_BSP_SCHEDULE_DELAY", "100"));
        }
        system.start_process(service, &env).await.unwrap();
    }
    let traceparent = sell_one_at_the_console(&system).await.unwrap();
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

    // Every exporting service exported spans of the order's trace, under its own name.
    for service in EXPORTING {
        let name = format!("bikestore-{service}");
        eventually("the service's spans at the collector", WAIT, async || {
            collector
                .received()
                .iter()
                .any(|(path, body)| {
                    path == "/v1/traces"
                        && contains(body, &traceparent.trace_id)
                        && contains(body, name.as_bytes())
                })
                .then_some(())
        })
        .await
        .unwrap_or_else(|error| panic!("{error}: no export of the order's trace from {name}"));
    }
    system.stop().await.unwrap();
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// A request as the collector received it: its path and body.
type Received = (String, Vec<u8>);

/// An OTLP/HTTP collector as far as the exporters can tell: it keeps each request's path and
/// body and answers 200.
struct Collector {
    address: std::net::SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Collector {
    async fn start() -> Collector {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let keep = Arc::clone(&received);
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let keep = Arc::clone(&keep);
                tokio::spawn(async move {
                    if let Some(request) = read_request(socket).await
                        && let Ok(mut received) = keep.lock()
                    {
                        received.push(request);
                    }
                });
            }
        });
        Collector { address, received }
    }

    fn received(&self) -> Vec<Received> {
        self.received
            .lock()
            .map(|received| received.clone())
            .unwrap_or_default()
    }
}

/// Reads one HTTP/1.1 request (its head, then `Content-Length` bytes) and answers 200.
async fn read_request(mut socket: tokio::net::TcpStream) -> Option<Received> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut bytes = Vec::new();
    let mut chunk = [0_u8; 8192];
    let head_end = loop {
        let read = socket.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        bytes.extend_from_slice(&chunk[..read]);
        if let Some(end) = bytes.windows(4).position(|window| window == b"\r\n\r\n") {
            break end + 4;
        }
    };
    let head = String::from_utf8_lossy(&bytes[..head_end]).into_owned();
    let path = head.split_whitespace().nth(1)?.to_owned();
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    while bytes.len() < head_end + length {
        let read = socket.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        bytes.extend_from_slice(&chunk[..read]);
    }
    socket
        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        .await
        .ok()?;
    Some((path, bytes[head_end..head_end + length].to_vec()))
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
