//! [`SystemBuilder`]: what a system is made of, and starting it; and where its nats-server and
//! data folder come from.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use anyhow::Context;
use bikestore_auth::KeyPair;
use bikestore_contracts::{ServiceName, Subjects};
use bikestore_runtime::call::{Caller, Stamp};
use bikestore_runtime::config::NatsTls;
use bikestore_testkit::{NatsOptions, NatsServer, TlsFiles};
use tempfile::TempDir;

use crate::{Configs, Launch, OPS_NATS_USER, START_ORDER, System, seed};

/// A change to the services' configurations, made before they start.
type Adjustment = Box<dyn FnOnce(&mut Configs)>;

/// What to start; see [`System::builder`].
#[must_use]
pub struct SystemBuilder {
    nats_options: NatsOptions,
    attach: Option<Attached>,
    data_dir: Option<PathBuf>,
    secured: bool,
    seed_scale: Option<u32>,
    services: Vec<(ServiceName, Launch)>,
    adjust: Vec<Adjustment>,
}

impl SystemBuilder {
    /// Nothing chosen yet: an open nats-server, no data, no service.
    pub(crate) fn new() -> SystemBuilder {
        SystemBuilder {
            nats_options: NatsOptions::default(),
            attach: None,
            data_dir: None,
            secured: false,
            seed_scale: None,
            services: Vec::new(),
            adjust: Vec::new(),
        }
    }

    /// Runs nats-server as `just up` does: anonymous clients refused, each service connected as
    /// its own NATS user, consoles as [`CONSOLE_NATS_USER`].
    pub fn secured(mut self) -> SystemBuilder {
        self.secured = true;
        self
    }

    /// Starts nats-server with these options (the durability profile, or a 3-node cluster, on
    /// which every service keeps 3 replicas of its streams and buckets).
    pub fn nats_options(mut self, options: NatsOptions) -> SystemBuilder {
        self.nats_options = options;
        self
    }

    /// Uses the nats-server at `url` instead of starting one, connecting every service, the
    /// operator and consoles as the users whose credentials files (`<user>.creds`, as `just up`
    /// writes them) are in `credentials_dir`, or anonymously without one. For the benchmark
    /// against a running deployment; tests always start their own server.
    pub fn attach(
        mut self,
        url: impl Into<String>,
        credentials_dir: Option<PathBuf>,
    ) -> SystemBuilder {
        self.attach = Some(Attached {
            url: url.into(),
            credentials_dir,
        });
        self
    }

    /// Keeps the services' data in `path` (created if needed, kept afterwards) instead of a
    /// temporary folder.
    pub fn data_dir(mut self, path: impl Into<PathBuf>) -> SystemBuilder {
        self.data_dir = Some(path.into());
        self
    }

    /// Loads the demo data (staff, catalog at scale 1, customers) before any service starts.
    pub fn seeded(self) -> SystemBuilder {
        self.seeded_at(1)
    }

    /// Loads the demo data with the catalog at `scale` times its size.
    pub fn seeded_at(mut self, scale: u32) -> SystemBuilder {
        self.seed_scale = Some(scale);
        self
    }

    /// Runs `services` in this process.
    pub fn services(mut self, services: &[ServiceName]) -> SystemBuilder {
        for service in services {
            self.services.push((*service, Launch::InProcess));
        }
        self
    }

    /// Runs every service in this process.
    pub fn all_services(self) -> SystemBuilder {
        self.services(&START_ORDER)
    }

    /// Runs `service` as its real binary in a child process.
    pub fn process(mut self, service: ServiceName) -> SystemBuilder {
        self.services.push((service, Launch::Process));
        self
    }

    /// Changes the services' configurations before they start (in-process services only: a
    /// child process reads its environment, of which the harness sets only the replicas and
    /// the metrics address from here).
    pub fn configure(mut self, adjust: impl FnOnce(&mut Configs) + 'static) -> SystemBuilder {
        self.adjust.push(Box::new(adjust));
        self
    }

    /// Starts nats-server, seeds, and starts the chosen services in [`START_ORDER`], each ready
    /// before the next starts.
    pub async fn start(self) -> anyhow::Result<System> {
        let nats = match self.attach {
            Some(attached) => Nats::Attached(attached),
            None if self.secured => Nats::Private {
                server: Box::new(NatsServer::start_secured(self.nats_options).await?),
                secured: true,
            },
            None => Nats::Private {
                server: Box::new(NatsServer::start_with(self.nats_options).await?),
                secured: false,
            },
        };
        let client = nats.operator_client().await?;
        let data = match self.data_dir {
            Some(path) => {
                std::fs::create_dir_all(&path)
                    .with_context(|| format!("create the data folder {}", path.display()))?;
                DataDir::Given(path)
            }
            None => DataDir::Temporary(
                tempfile::Builder::new()
                    .prefix("bikestore-")
                    .tempdir()
                    .context("create the data folder")?,
            ),
        };
        let mut configs = Configs::new(&nats.url(), data.path(), |service| {
            nats.credentials(service.as_str())
        });
        configs.identity.callout_issuer_key = nats.callout_issuer_key();
        // On a cluster every stream and bucket keeps a copy on each node, as a deployment on
        // one would; a test asks for fewer through `configure`.
        for common in configs.every_common() {
            common.js_replicas = nats.node_count();
        }
        if let Some(tls) = nats.tls() {
            for common in configs.every_common() {
                common.nats_tls = NatsTls {
                    ca: Some(tls.ca.clone()),
                    cert: Some(tls.client_cert.clone()),
                    key: Some(tls.client_key.clone()),
                };
            }
        }
        for adjust in self.adjust {
            adjust(&mut configs);
        }
        if let Some(scale) = self.seed_scale {
            seed::seed(&configs, scale).await?;
        }
        // Made before any service starts, where the gateway and identity look for it, so the
        // system's gateway signs with it and `as_gateway` speaks as that gateway.
        let gateway_key =
            bikestore_gateway::assertion::load_or_create(&configs.gateway.assertion_key_path())
                .await?;
        let gateway_key = Arc::new(gateway_key);
        let subjects = Subjects::default();
        let caller = Caller::new(client.clone(), subjects.clone());
        let mut system = System {
            as_gateway: caller.clone().stamped(gateway_stamp(&gateway_key)),
            gateway_key,
            caller,
            client,
            subjects,
            configs,
            running: Vec::new(),
            spawned: AtomicUsize::new(0),
            data,
            nats,
        };
        for service in START_ORDER {
            for (_, launch) in self
                .services
                .iter()
                .filter(|(chosen, _)| *chosen == service)
            {
                match launch {
                    Launch::InProcess => system.start_service(service).await?,
                    Launch::Process => system.start_process(service, &[]).await?,
                }
            }
        }
        Ok(system)
    }
}

/// Adds the gateway's caller assertion (for nobody signed in) to each request.
fn gateway_stamp(gateway_key: &Arc<KeyPair>) -> Stamp {
    let gateway_key = Arc::clone(gateway_key);
    Arc::new(move |subject, body, request_headers| {
        bikestore_gateway::assertion::attach(&gateway_key, None, subject, body, request_headers);
    })
}

/// A nats-server the system attached to.
pub(crate) struct Attached {
    url: String,
    credentials_dir: Option<PathBuf>,
}

/// The system's nats-server: its own, or one it attached to.
pub(crate) enum Nats {
    Private {
        server: Box<NatsServer>,
        secured: bool,
    },
    Attached(Attached),
}

impl Nats {
    pub(crate) fn url(&self) -> String {
        match self {
            Nats::Private { server, .. } => server.url(),
            Nats::Attached(attached) => attached.url.clone(),
        }
    }

    /// How many nodes the system's own server has (1 for an attached one: the benchmark
    /// configures the replicas of a cluster it attaches to).
    pub(crate) fn node_count(&self) -> usize {
        match self {
            Nats::Private { server, .. } => server.node_count(),
            Nats::Attached(_) => 1,
        }
    }

    /// The certificates of a private server run with a TLS profile.
    pub(crate) fn tls(&self) -> Option<&TlsFiles> {
        match self {
            Nats::Private { server, .. } => server.tls(),
            Nats::Attached(_) => None,
        }
    }

    /// The seed file of the auth callout issuer a private server trusts (an attached one's is
    /// identity's default, under the data folder).
    pub(crate) fn callout_issuer_key(&self) -> Option<PathBuf> {
        match self {
            Nats::Private { server, .. } => Some(server.callout_issuer_key().to_owned()),
            Nats::Attached(_) => None,
        }
    }

    pub(crate) fn credentials(&self, user: &str) -> Option<PathBuf> {
        match self {
            Nats::Private {
                server,
                secured: true,
            } => Some(server.credentials(user)),
            Nats::Private { secured: false, .. } => None,
            Nats::Attached(attached) => attached
                .credentials_dir
                .as_ref()
                .map(|dir| dir.join(format!("{user}.creds"))),
        }
    }

    /// The operator's connection: the all-permitted `ops` user where users are enforced.
    async fn operator_client(&self) -> anyhow::Result<async_nats::Client> {
        let url = self.url();
        let mut options = async_nats::ConnectOptions::new().name("bikestore-harness");
        match self {
            Nats::Private { server, .. } => return server.client().await,
            Nats::Attached(_) => {
                if let Some(path) = self.credentials(OPS_NATS_USER) {
                    let (user, password) = bikestore_client::read_credentials(&path)
                        .with_context(|| format!("cannot read {}", path.display()))?;
                    options = options.user_and_password(user, password);
                }
            }
        }
        let servers =
            bikestore_contracts::servers::server_urls(&url).map_err(anyhow::Error::msg)?;
        options
            .connect(servers.as_slice())
            .await
            .with_context(|| format!("cannot connect to nats-server at {url}"))
    }
}

/// Where the data lives: a temporary folder (deleted with the system) or the one given.
pub(crate) enum DataDir {
    Temporary(TempDir),
    Given(PathBuf),
}

impl DataDir {
    pub(crate) fn path(&self) -> &Path {
        match self {
            DataDir::Temporary(folder) => folder.path(),
            DataDir::Given(path) => path,
        }
    }
}
