//! The system under test, started by the harness: a nats-server (private, or attached), the
//! demo data seeded straight into the services' databases before they start, and inventory,
//! orders, notifications and the orchestrator running in this process, in the chosen durability
//! profile; with `--through-gateway` also identity and the gateway, and the demo staff logged
//! in.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use bikestore_contracts::inventory::{
    ListProducts, ListStores, MAX_PAGE_LIMIT, Page, ReceiveStock,
};
use bikestore_contracts::orders::SearchCustomers;
use bikestore_contracts::{ProductId, ServiceName, StoreId, Subjects};
use bikestore_harness::System;
use bikestore_runtime::call::Caller;
use bikestore_runtime::config::Durability;
use bikestore_testkit::{JetStreamSync, NatsOptions, NatsServer};
use futures::StreamExt;

use crate::cli::{Profile, Settings};
use crate::front::{self, Staff};
use crate::random::SplitMix;

/// Units added to every (store, product) pair the orders use, so a long run never runs dry.
pub const TOP_UP: i64 = 100_000;
/// How many (store, product) pairs the orders spread over, drawn from the whole catalog.
const WORKING_SET: usize = 512;
/// The services every run starts, in order.
const SERVICES: [ServiceName; 4] = [
    ServiceName::Inventory,
    ServiceName::Orders,
    ServiceName::Notifications,
    ServiceName::Orchestrator,
];

/// A product a store holds; the saga prices it from the catalog.
#[derive(Debug, Clone, Copy)]
pub struct Shelf {
    pub store_id: StoreId,
    pub product_id: ProductId,
}

/// The running stack: the harness's system and what the orders draw from.
pub struct Stack {
    system: System,
    pub client: async_nats::Client,
    pub caller: Caller,
    pub subjects: Subjects,
    /// Seeded customers: IDs 1 to this.
    pub customers: i64,
    /// The pairs orders draw from.
    pub shelves: Vec<Shelf>,
    /// The logged-in demo staff, with `--through-gateway`.
    pub staff: Option<Staff>,
}

impl Stack {
    /// Starts (or attaches to) nats-server, seeds, starts the services and prepares the stock.
    pub async fn start(settings: &Settings) -> anyhow::Result<Stack> {
        let services = services(settings.through_gateway);
        let mut builder = match &settings.nats_url {
            Some(url) => System::builder().attach(url, settings.nats_credentials_dir.clone()),
            None => {
                let sync = match settings.profile {
                    Profile::Default => JetStreamSync::Interval,
                    Profile::Durable => JetStreamSync::Always,
                };
                // Secured as `just up` runs it: every connection as its own user.
                System::builder().secured().nats_options(NatsOptions {
                    sync,
                    nodes: settings.nats_nodes,
                    ..NatsOptions::default()
                })
            }
        };
        builder = match &settings.data_dir {
            Some(path) => builder.data_dir(path),
            None => builder,
        };
        let durability = match settings.profile {
            Profile::Default => Durability::Default,
            Profile::Durable => Durability::Durable,
        };
        let through_gateway = settings.through_gateway;
        let observe = settings.observe;
        let builder = builder
            .seeded_at(settings.scale)
            .configure(move |configs| {
                for common in configs.every_common() {
                    common.durability = durability;
                    if observe {
                        common.metrics_addr = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
                    }
                }
                if through_gateway {
                    front::configure_gateway(&mut configs.gateway);
                }
            })
            .services(&services);
        if settings.nats_url.is_some() {
            refuse_running_services(settings, &services).await?;
        }
        let system = builder.start().await?;
        let caller = system.caller().clone();
        let customers = caller.call(&SearchCustomers::default()).await?.total as i64;
        let shelves = stock_shelves(&caller).await?;
        let staff = match through_gateway {
            true => Some(Staff::log_in(&system).await?),
            false => None,
        };
        Ok(Stack {
            client: system.client().clone(),
            subjects: system.subjects().clone(),
            caller,
            customers,
            shelves,
            staff,
            system,
        })
    }

    /// The system under load.
    pub fn system(&self) -> &System {
        &self.system
    }

    /// The copies the system keeps of each stream and bucket (every service keeps as many).
    pub fn js_replicas(&self) -> usize {
        self.system
            .configs()
            .common(ServiceName::Orchestrator)
            .js_replicas
    }

    /// The data folder.
    pub fn data_dir(&self) -> &Path {
        self.system.data_dir()
    }

    /// Whether the benchmark started its own nats-server.
    pub fn private_server(&self) -> bool {
        self.system.private_server().is_some()
    }

    /// The private nats-server's process ID.
    pub fn nats_pids(&self) -> Vec<u32> {
        self.system
            .private_server()
            .map(NatsServer::pids)
            .unwrap_or_default()
    }

    /// Stops the services, last started first; the private server and temporary folder go
    /// when the stack is dropped.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.system.stop().await
    }
}

/// The services a run starts, in order. With the front door, identity comes first and the
/// gateway last, so the gateway finds identity's keys at start and stops first, before the
/// services it forwards to.
fn services(through_gateway: bool) -> Vec<ServiceName> {
    if !through_gateway {
        return SERVICES.to_vec();
    }
    let mut services = vec![ServiceName::Identity];
    services.extend(SERVICES);
    services.push(ServiceName::Gateway);
    services
}

/// On an attached server, services already answering would share the queue groups (and serve
/// other databases), so the benchmark refuses to run beside them.
async fn refuse_running_services(
    settings: &Settings,
    services: &[ServiceName],
) -> anyhow::Result<()> {
    // Asked before anything starts, on a connection of its own, as the system's would be.
    let probe = System::builder()
        .attach(
            settings.nats_url.clone().unwrap_or_default(),
            settings.nats_credentials_dir.clone(),
        )
        .start()
        .await?;
    for &service in services {
        let ping = probe
            .client()
            .request(Subjects::service_ping(service), Default::default());
        if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_millis(250), ping).await {
            anyhow::bail!(
                "a {service} service already runs on this nats-server; stop it (just down) or let the benchmark start its own server"
            );
        }
    }
    probe.stop().await
}

/// Draws the working set of (store, product) pairs from the whole catalog and tops each up.
async fn stock_shelves(caller: &Caller) -> anyhow::Result<Vec<Shelf>> {
    let stores = caller.call(&ListStores {}).await?.stores;
    let mut products = Vec::new();
    loop {
        let page = caller
            .call(&ListProducts {
                page: Page {
                    offset: products.len() as u32,
                    limit: MAX_PAGE_LIMIT,
                },
                ..ListProducts::default()
            })
            .await?;
        let empty = page.products.is_empty();
        products.extend(page.products);
        if empty || products.len() as u64 >= page.total {
            break;
        }
    }
    anyhow::ensure!(
        !stores.is_empty() && !products.is_empty(),
        "the inventory has no stores or products"
    );
    let mut all: Vec<Shelf> = stores
        .iter()
        .flat_map(|store| {
            products.iter().map(|product| Shelf {
                store_id: store.store_id,
                product_id: product.product_id,
            })
        })
        .collect();
    // A partial Fisher-Yates shuffle: the first WORKING_SET pairs are a uniform sample.
    let mut random = SplitMix::new(0x5EED);
    let chosen = WORKING_SET.min(all.len());
    for index in 0..chosen {
        let pick = index + random.below((all.len() - index) as u64) as usize;
        all.swap(index, pick);
    }
    all.truncate(chosen);
    let receipts = futures::stream::iter(all.iter().copied())
        .map(|shelf| async move {
            caller
                .call(&ReceiveStock {
                    store_id: shelf.store_id,
                    product_id: shelf.product_id,
                    quantity: TOP_UP,
                })
                .await
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await;
    for receipt in receipts {
        receipt.context("top up the stock")?;
    }
    Ok(all)
}
