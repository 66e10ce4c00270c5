//! Metrics end to end: every service runs as its real binary with `--metrics-addr` set (through
//! `BIKESTORE_METRICS_ADDR`, as `just up` does); the test scrapes each one before and after
//! placing orders through the gateway (some completing, some declined, one the gateway
//! refuses) and flooding it past a member's rate budget, and sees the counters move by
//! exactly as much.

#[path = "support/shop.rs"]
mod shop;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use bikestore_contracts::inventory::{ReceiveStock, ReleaseReservation, ReserveStock};
use bikestore_contracts::orders::{AuthorizeWithToken, GetOrder};
use bikestore_contracts::sagas::{PlaceOrder, SagaState};
use bikestore_contracts::{ErrorCode, Request, ServiceName, StaffId};
use bikestore_harness::{START_ORDER, System};
use bikestore_runtime::call::CallOptions;
use bikestore_testkit::{eventually, prometheus_samples, prometheus_value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const APPROVED: &str = "4242 4242 4242 4242";
const DECLINED: &str = "4000 0000 0000 0002";
const COMPLETING: usize = 3;
const DECLINING: usize = 2;
/// The member's rate budget at the gateway: enough for the orders, spent by the flood.
const BURST: usize = 8;
/// Requests of the flood, sent faster than one a second refills the budget.
const FLOOD: usize = 20;

/// A loopback address with a port free now: bound, then let go for the service to take.
fn free_address() -> anyhow::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("find a free port")?;
    Ok(listener.local_addr()?)
}

/// The Prometheus text `address` serves on `/metrics`.
async fn scrape(address: SocketAddr) -> anyhow::Result<String> {
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .with_context(|| format!("connect to the metrics of {address}"))?;
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await?;
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .context("an HTTP answer has a head")?;
    anyhow::ensure!(head.starts_with("HTTP/1.1 200 OK"), "scrape failed: {head}");
    Ok(body.to_owned())
}

struct Scrapes {
    before: HashMap<ServiceName, BTreeMap<String, f64>>,
    after: HashMap<ServiceName, BTreeMap<String, f64>>,
}

impl Scrapes {
    /// How much a series of `service` moved between the two scrapes.
    fn moved(&self, service: ServiceName, name: &str, labels: &[(&str, &str)]) -> f64 {
        let read = |scrapes: &HashMap<ServiceName, BTreeMap<String, f64>>| {
            scrapes
                .get(&service)
                .map_or(0.0, |samples| prometheus_value(samples, name, labels))
        };
        read(&self.after) - read(&self.before)
    }
}

async fn scrape_all(
    addresses: &HashMap<ServiceName, SocketAddr>,
) -> anyhow::Result<HashMap<ServiceName, BTreeMap<String, f64>>> {
    let mut scraped = HashMap::new();
    for (service, address) in addresses {
        let text = scrape(*address)
            .await
            .with_context(|| format!("scrape {service}"))?;
        scraped.insert(*service, prometheus_samples(&text));
    }
    Ok(scraped)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_service_serves_metrics_that_move_with_the_orders_placed() -> anyhow::Result<()> {
    let mut addresses = HashMap::new();
    for service in START_ORDER {
        addresses.insert(service, free_address()?);
    }
    let configured = addresses.clone();
    let mut builder = System::builder().seeded().configure(move |configs| {
        for service in START_ORDER {
            let address = configured.get(&service).copied();
            let common = match service {
                ServiceName::Identity => &mut configs.identity.common,
                ServiceName::Inventory => &mut configs.inventory.common,
                ServiceName::Orders => &mut configs.orders.common,
                ServiceName::Notifications => &mut configs.notifications.common,
                ServiceName::Orchestrator => &mut configs.orchestrator.common,
                ServiceName::Gateway => &mut configs.gateway.common,
            };
            common.metrics_addr = address;
        }
    });
    for service in &START_ORDER[..5] {
        builder = builder.process(*service);
    }
    let mut system = builder.start().await?;
    let burst = BURST.to_string();
    system
        .start_process(
            ServiceName::Gateway,
            &[
                (bikestore_gateway::config::ENV_RATE_BURST, &burst),
                (bikestore_gateway::config::ENV_RATE_PER_SECOND, "1"),
            ],
        )
        .await?;
    let shop = shop::Shop::open(system.caller(), "Metered", 50).await?;
    let session = system.console("admin").await?;
    let seller = session.whoami().staff_id;

    let before = scrape_all(&addresses).await?;
    let wait = Some(15_000);
    let mut order_id = None;
    for _ in 0..COMPLETING {
        let placed = session.call(&shop.order(seller, 1, APPROVED, wait)).await?;
        assert_eq!(placed.state, SagaState::Completed, "{:?}", placed.error);
        order_id = placed.order_id;
    }
    for _ in 0..DECLINING {
        let placed = session.call(&shop.order(seller, 1, DECLINED, wait)).await?;
        assert_eq!(placed.state, SagaState::Failed, "{:?}", placed.error);
    }
    // Sold in another member's name: the gateway refuses it before any service sees it.
    let refused = session
        .call(&shop.order(StaffId(seller.0 + 1), 1, APPROVED, wait))
        .await
        .err()
        .context("an order sold in another member's name is refused")?;
    assert_eq!(refused.code(), ErrorCode::Forbidden, "{refused}");
    let order_id = order_id.context("a completed saga made an order")?;
    let mut rate_limited = 0;
    for _ in 0..FLOOD {
        match session.call(&GetOrder { order_id }).await {
            Ok(_) => {}
            Err(error) if error.code() == ErrorCode::RateLimited => rate_limited += 1,
            Err(error) => return Err(error).context("read an order"),
        }
    }
    // A command repeated under its idempotency key is answered from inventory's inbox.
    let receive = ReceiveStock {
        store_id: shop.store_id,
        product_id: shop.product_id,
        quantity: 1,
    };
    let once = CallOptions::idempotent("metrics-receive-once");
    for _ in 0..2 {
        system.caller().call_with(&receive, &once).await?;
    }
    assert!(
        rate_limited > 0,
        "{FLOOD} reads beyond a burst of {BURST} at 1/s"
    );
    // The orchestrator answers the intake once the saga ended; its last write and the
    // participants' replies are all in before that, so the scrape after sees every count.
    let after = scrape_all(&addresses).await?;
    let scrapes = Scrapes { before, after };

    let placed = (COMPLETING + DECLINING) as f64;
    let place_order = PlaceOrder::OPERATION;
    let requests = "bikestore_requests_total";
    let ok = ("outcome", "ok");
    assert_eq!(
        scrapes.moved(
            ServiceName::Gateway,
            requests,
            &[("operation", place_order), ok]
        ),
        placed
    );
    assert_eq!(
        scrapes.moved(
            ServiceName::Gateway,
            requests,
            &[("operation", place_order), ("outcome", "forbidden")]
        ),
        1.0
    );
    assert_eq!(
        scrapes.moved(
            ServiceName::Gateway,
            "bikestore_gateway_refusals_total",
            &[("reason", "seller_not_caller")]
        ),
        1.0
    );
    assert_eq!(
        scrapes.moved(
            ServiceName::Gateway,
            "bikestore_gateway_rate_limited_total",
            &[("limit", "staff")]
        ),
        f64::from(rate_limited)
    );
    assert_eq!(
        scrapes.moved(
            ServiceName::Gateway,
            "bikestore_gateway_refusals_total",
            &[("reason", "rate_limited")]
        ),
        f64::from(rate_limited)
    );
    assert_eq!(
        scrapes.moved(
            ServiceName::Gateway,
            requests,
            &[
                ("operation", GetOrder::OPERATION),
                ("outcome", "rate_limited")
            ]
        ),
        f64::from(rate_limited)
    );
    assert_eq!(
        scrapes.moved(
            ServiceName::Orchestrator,
            requests,
            &[("operation", place_order), ok]
        ),
        placed
    );
    let definition = ("definition", place_order);
    for (name, expected) in [
        ("bikestore_sagas_started_total", placed),
        ("bikestore_sagas_completed_total", COMPLETING as f64),
        ("bikestore_sagas_failed_total", DECLINING as f64),
        ("bikestore_sagas_compensated_total", DECLINING as f64),
    ] {
        assert_eq!(
            scrapes.moved(ServiceName::Orchestrator, name, &[definition]),
            expected,
            "{name}"
        );
    }
    assert_eq!(
        scrapes.moved(
            ServiceName::Orchestrator,
            "bikestore_saga_step_duration_seconds_count",
            &[definition, ("step", "confirm_order"), ("phase", "action")]
        ),
        COMPLETING as f64
    );
    assert_eq!(
        scrapes.moved(
            ServiceName::Inventory,
            requests,
            &[("operation", ReserveStock::OPERATION), ok]
        ),
        placed
    );
    assert_eq!(
        scrapes.moved(
            ServiceName::Inventory,
            requests,
            &[("operation", ReleaseReservation::OPERATION), ok]
        ),
        DECLINING as f64
    );
    assert_eq!(
        scrapes.moved(
            ServiceName::Orders,
            requests,
            &[("operation", AuthorizeWithToken::OPERATION), ok]
        ),
        COMPLETING as f64
    );
    assert!(
        scrapes.moved(
            ServiceName::Orders,
            "bikestore_request_duration_seconds_count",
            &[("operation", AuthorizeWithToken::OPERATION)]
        ) >= placed,
        "every authorization is timed"
    );
    assert_eq!(
        scrapes.moved(
            ServiceName::Inventory,
            "bikestore_inbox_hits_total",
            &[("operation", ReceiveStock::OPERATION)]
        ),
        1.0
    );
    let inventory = scrapes
        .after
        .get(&ServiceName::Inventory)
        .context("scraped")?;
    assert!(
        inventory
            .keys()
            .any(|series| series.starts_with("bikestore_outbox_oldest_unrelayed_seconds{")),
        "the relay reports its outbox: {inventory:?}"
    );
    // The durable consumers learn their lag from the messages they receive, which follow the
    // orders on their own time. The orders above were driven by their intakes, so one more
    // without waiting gives the orchestrator's work queue an item (after the scrapes counted;
    // straight to the orchestrator, as the console's member is rate limited by now).
    system
        .caller()
        .call(&shop.order(seller, 1, APPROVED, None))
        .await?;
    for (service, consumer) in [
        (ServiceName::Orchestrator, "orchestrator"),
        (ServiceName::Notifications, "notifications"),
    ] {
        let address = addresses[&service];
        let wanted = format!("consumer=\"{consumer}\"");
        eventually(
            &format!("{service} reports its consumer's lag"),
            Duration::from_secs(20),
            async || {
                let text = scrape(address).await.ok()?;
                text.lines()
                    .any(|line| {
                        line.starts_with("bikestore_consumer_lag{") && line.contains(&wanted)
                    })
                    .then_some(())
            },
        )
        .await?;
    }
    // Identity and notifications serve too, with their own service label.
    for service in [ServiceName::Identity, ServiceName::Notifications] {
        let served = scrapes.after.get(&service).context("scraped")?;
        assert!(
            served
                .keys()
                .any(|series| series.contains(&format!("service=\"{service}\""))),
            "{service} serves its own series: {served:?}"
        );
    }
    tokio::time::timeout(Duration::from_secs(60), system.stop())
        .await
        .context("the system stops")??;
    Ok(())
}
