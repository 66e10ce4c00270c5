//! The system under test: a nats-server (private, or attached), the demo data seeded straight
//! into the services' databases before they start, and inventory, orders, notifications and the
//! orchestrator running in this process, in the chosen durability profile; with
//! `--through-gateway` also identity and the gateway, and the demo staff logged in.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use bikestore_contracts::inventory::{
    ListProducts, ListStores, MAX_PAGE_LIMIT, Page, ReceiveStock,
};
use bikestore_contracts::{Cents, ProductId, ServiceName, StoreId, Subjects};
use bikestore_runtime::CommonConfig;
use bikestore_runtime::call::Caller;
use bikestore_runtime::config::Durability;
use bikestore_testkit::{InProcess, JetStreamSync, NatsOptions, NatsServer};
use futures::StreamExt;

use crate::cli::{Profile, Settings};
use crate::front::{self, Staff};
use crate::random::SplitMix;

/// The NATS user a real console connects as.
const CONSOLE_NATS_USER: &str = "console";
/// The NATS user of operators' tools, which the benchmark's own connection is.
const OPS_NATS_USER: &str = "ops";

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

/// A product a store holds, with the price an order line carries.
#[derive(Debug, Clone, Copy)]
pub struct Shelf {
    pub store_id: StoreId,
    pub product_id: ProductId,
    pub list_price: Cents,
}

/// Where the data lives: a temporary folder (deleted at the end) or the one given.
enum DataDir {
    Temporary(tempfile::TempDir),
    Given(PathBuf),
}

impl DataDir {
    fn path(&self) -> &Path {
        match self {
            DataDir::Temporary(dir) => dir.path(),
            DataDir::Given(path) => path,
        }
    }
}

/// The running stack.
pub struct Stack {
    /// The private server, if the benchmark started one.
    nats: Option<NatsServer>,
    /// The credentials files of an attached server's users, if given.
    credentials_dir: Option<PathBuf>,
    pub nats_url: String,
    pub client: async_nats::Client,
    pub caller: Caller,
    pub subjects: Subjects,
    data: DataDir,
    services: Vec<InProcess>,
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
        let (nats, nats_url) = match &settings.nats_url {
            Some(url) => (None, url.clone()),
            None => {
                let sync = match settings.profile {
                    Profile::Default => JetStreamSync::Interval,
                    Profile::Durable => JetStreamSync::Always,
                };
                // Secured as `just up` runs it: every connection as its own user.
                let server = NatsServer::start_secured(NatsOptions { sync }).await?;
                let url = server.url();
                (Some(server), url)
            }
        };
        let credentials_dir = settings.nats_credentials_dir.clone();
        let ops_credentials = match (&nats, &credentials_dir) {
            (Some(server), _) => Some(server.credentials(OPS_NATS_USER)),
            (None, Some(dir)) => Some(dir.join(format!("{OPS_NATS_USER}.creds"))),
            (None, None) => None,
        };
        let mut options = async_nats::ConnectOptions::new().name("bikestore-bench");
        if let Some(path) = &ops_credentials {
            let (user, password) = bikestore_client::read_credentials(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            options = options.user_and_password(user, password);
        }
        let client = options
            .connect(nats_url.as_str())
            .await
            .with_context(|| format!("cannot connect to nats-server at {nats_url}"))?;
        let services = services(settings.through_gateway);
        if nats.is_none() {
            refuse_running_services(&client, &services).await?;
        }
        let data = match &settings.data_dir {
            Some(path) => {
                std::fs::create_dir_all(path)
                    .with_context(|| format!("cannot create {}", path.display()))?;
                DataDir::Given(path.clone())
            }
            None => DataDir::Temporary(
                tempfile::Builder::new()
                    .prefix("bikestore-bench-")
                    .tempdir()?,
            ),
        };
        let subjects = Subjects::default();
        let mut stack = Stack {
            nats,
            credentials_dir,
            caller: Caller::new(client.clone(), subjects.clone()),
            client,
            subjects,
            data,
            services: Vec::new(),
            nats_url,
            customers: 0,
            shelves: Vec::new(),
            staff: None,
        };
        let common = stack.common(settings.profile);
        stack.customers = seed(&common, settings.scale).await?;
        if settings.through_gateway {
            front::seed_identity(&common).await?;
        }
        stack.start_services(&common, &services).await?;
        stack.shelves = stock_shelves(&stack.caller).await?;
        if settings.through_gateway {
            let console = front::console_client(
                stack.credentials(CONSOLE_NATS_USER),
                &stack.nats_url,
                stack.subjects.clone(),
            )
            .await?;
            stack.staff = Some(Staff::log_in(&console).await?);
        }
        Ok(stack)
    }

    /// The data folder.
    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// The credentials file of NATS user `user`: the private server's, or from
    /// `--nats-credentials-dir`; `None` connects anonymously.
    fn credentials(&self, user: &str) -> Option<PathBuf> {
        match (&self.nats, &self.credentials_dir) {
            (Some(server), _) => Some(server.credentials(user)),
            (None, Some(dir)) => Some(dir.join(format!("{user}.creds"))),
            (None, None) => None,
        }
    }

    /// Whether the benchmark started its own nats-server.
    pub fn private_server(&self) -> bool {
        self.nats.is_some()
    }

    /// The private nats-server's process ID.
    pub fn nats_pid(&self) -> Option<u32> {
        self.nats.as_ref().and_then(NatsServer::pid)
    }

    /// Stops the services, last started first; the private server and temporary folder go
    /// when the stack is dropped.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        while let Some(service) = self.services.pop() {
            service.stop().await?;
        }
        Ok(())
    }

    fn common(&self, profile: Profile) -> CommonConfig {
        let mut common = CommonConfig::new(self.nats_url.clone(), self.data.path());
        common.durability = match profile {
            Profile::Default => Durability::Default,
            Profile::Durable => Durability::Durable,
        };
        common
    }

    async fn start_services(
        &mut self,
        common: &CommonConfig,
        services: &[ServiceName],
    ) -> anyhow::Result<()> {
        for &service in services {
            let name = service.as_str();
            // Each service as its own NATS user, so the run meets the permissions `just up` sets.
            let mut common = common.clone();
            common.nats_credentials = self.credentials(name);
            let running = match service {
                ServiceName::Inventory => {
                    let config = bikestore_inventory::InventoryConfig::new(common);
                    InProcess::start(&self.client, name, |shutdown| {
                        bikestore_inventory::run(config, shutdown)
                    })
                    .await
                }
                ServiceName::Orders => {
                    let config = bikestore_orders::OrdersConfig::new(common);
                    InProcess::start(&self.client, name, |shutdown| {
                        bikestore_orders::run(config, shutdown)
                    })
                    .await
                }
                ServiceName::Notifications => {
                    let config = bikestore_notifications::NotificationsConfig::new(common);
                    InProcess::start(&self.client, name, |shutdown| {
                        bikestore_notifications::run(config, shutdown)
                    })
                    .await
                }
                ServiceName::Orchestrator => {
                    let config = bikestore_orchestrator::OrchestratorConfig::new(common);
                    InProcess::start(&self.client, name, |shutdown| {
                        bikestore_orchestrator::run(config, shutdown)
                    })
                    .await
                }
                ServiceName::Identity => {
                    let config = bikestore_identity::IdentityConfig::new(common);
                    InProcess::start(&self.client, name, |shutdown| {
                        bikestore_identity::run(config, shutdown)
                    })
                    .await
                }
                ServiceName::Gateway => {
                    let config = front::gateway_config(common);
                    InProcess::start(&self.client, name, |shutdown| {
                        bikestore_gateway::run(config, shutdown)
                    })
                    .await
                }
            };
            self.services
                .push(running.with_context(|| format!("start {name}"))?);
        }
        Ok(())
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
    client: &async_nats::Client,
    services: &[ServiceName],
) -> anyhow::Result<()> {
    for &service in services {
        let ping = client.request(Subjects::service_ping(service), Default::default());
        if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_millis(250), ping).await {
            anyhow::bail!(
                "a {service} service already runs on this nats-server; stop it (just down) or let the benchmark start its own server"
            );
        }
    }
    Ok(())
}

/// Loads the demo catalog and customers into the inventory and orders databases, before the
/// services open them; returns how many customers there are.
async fn seed(common: &CommonConfig, scale: u32) -> anyhow::Result<i64> {
    let inventory_config = bikestore_inventory::InventoryConfig::new(common.clone());
    let database = bikestore_inventory::open_database(&inventory_config).await?;
    let seeded = bikestore_inventory::seed::seed(&database, scale).await;
    database.close().await;
    seeded.context("seed the inventory")?;

    let orders_config = bikestore_orders::OrdersConfig::new(common.clone());
    let database = bikestore_orders::open_database(&orders_config).await?;
    let seeded = bikestore_orders::seed::seed(&database, scale).await;
    database.close().await;
    Ok(match seeded.context("seed the orders")? {
        bikestore_orders::seed::SeedOutcome::Loaded { customers } => customers as i64,
        bikestore_orders::seed::SeedOutcome::AlreadySeeded { customers } => customers,
    })
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
                list_price: product.list_price,
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
