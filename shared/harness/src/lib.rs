//! The one way tests and the benchmark start a whole Bikestore system.
//!
//! [`System::builder`] chooses the parts: a private nats-server (secured with the NATS users of
//! `nats/users.conf` or not, in either durability profile), the demo data seeded straight into
//! the services' databases or not, and which services run, each in this process or as its real
//! binary in a child process, with every service's configuration adjustable before start
//! ([`Configs`]). [`System`] hands back what a test needs: the operator's NATS client and typed
//! [`Caller`], a caller that speaks as the gateway for identity's staff administration and
//! logout ([`System::as_gateway`]), consoles logged in as any demo member
//! ([`System::console`]), the data folder, and ways to stop, kill and start services again.
//!
//! It is a dev-dependency only. It depends on every service crate, which `testkit` must not, so
//! it lives beside `testkit` rather than in it; everything it starts is real (no mocks).
#![warn(missing_docs)]

mod builder;
mod configs;
mod seed;
mod services;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context;
use bikestore_auth::KeyPair;
use bikestore_client::{Client, Session, TlsFiles};
use bikestore_contracts::{ServiceName, Subjects};
use bikestore_runtime::call::Caller;
use bikestore_runtime::{CommonConfig, Shutdown};
use bikestore_testkit::{ChildProcess, NatsServer};

pub use builder::SystemBuilder;
use builder::{DataDir, Nats};
pub use configs::Configs;
pub use seed::demo_password;
pub use services::Running;

/// The NATS user of operators' tools, which the system's own connection is.
pub const OPS_NATS_USER: &str = "ops";

/// How a service runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Launch {
    /// Its `run` function inside the test process.
    InProcess,
    /// Its real binary, as a child process (it sees only the environment the harness gives it).
    Process,
}

/// The order services start in: each finds what it calls already running, the gateway last.
pub const START_ORDER: [ServiceName; 6] = [
    ServiceName::Identity,
    ServiceName::Inventory,
    ServiceName::Orders,
    ServiceName::Notifications,
    ServiceName::Orchestrator,
    ServiceName::Gateway,
];

/// A running system: its nats-server, data folder and services.
pub struct System {
    nats: Nats,
    data: DataDir,
    client: async_nats::Client,
    caller: Caller,
    as_gateway: Caller,
    gateway_key: Arc<KeyPair>,
    subjects: Subjects,
    configs: Configs,
    running: Vec<(ServiceName, Running)>,
    spawned: AtomicUsize,
}

impl System {
    /// A system with nothing chosen yet: an open nats-server, no data, no service.
    pub fn builder() -> SystemBuilder {
        SystemBuilder::new()
    }

    /// The nats-server the system started.
    ///
    /// # Panics
    ///
    /// On a system attached to a server it did not start ([`SystemBuilder::attach`]), which
    /// only the benchmark makes; tests always start their own.
    pub fn nats(&self) -> &NatsServer {
        self.private_server()
            .expect("tests start their own nats-server; only the benchmark attaches")
    }

    /// The nats-server the system started, to restart or kill it (panics as [`System::nats`]).
    pub fn nats_mut(&mut self) -> &mut NatsServer {
        match &mut self.nats {
            Nats::Private { server, .. } => server,
            Nats::Attached(_) => {
                panic!("tests start their own nats-server; only the benchmark attaches")
            }
        }
    }

    /// The nats-server the system started, if it started one.
    pub fn private_server(&self) -> Option<&NatsServer> {
        match &self.nats {
            Nats::Private { server, .. } => Some(server),
            Nats::Attached(_) => None,
        }
    }

    /// The URL of the system's nats-server.
    pub fn nats_url(&self) -> String {
        self.nats.url()
    }

    /// The operator's connection (the all-permitted `ops` user when secured).
    pub fn client(&self) -> &async_nats::Client {
        &self.client
    }

    /// Typed requests to the services' internal subjects, as the operator (without the
    /// gateway's caller assertion, so identity refuses it staff administration and logout).
    pub fn caller(&self) -> &Caller {
        &self.caller
    }

    /// Typed requests to the services' internal subjects as the gateway forwards them: each
    /// carries the gateway's caller assertion (for nobody signed in), which identity requires
    /// for staff administration, key rotation and logout.
    pub fn as_gateway(&self) -> &Caller {
        &self.as_gateway
    }

    /// The gateway's caller-assertion key: the one the system's gateway signs with and identity
    /// checks against (made before any service starts, at the gateway's configured key path, as
    /// a gateway's first start would make it).
    pub fn gateway_key(&self) -> Arc<KeyPair> {
        Arc::clone(&self.gateway_key)
    }

    /// The deployment's subjects (the default prefix).
    pub fn subjects(&self) -> &Subjects {
        &self.subjects
    }

    /// The folder holding every service's database and log files.
    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// The services' configurations, as the system starts them.
    pub fn configs(&self) -> &Configs {
        &self.configs
    }

    /// The configurations, to change before starting a service again.
    pub fn configs_mut(&mut self) -> &mut Configs {
        &mut self.configs
    }

    /// The shared configuration of `service` (its NATS user when secured).
    pub fn common(&self, service: ServiceName) -> CommonConfig {
        self.configs.common(service).clone()
    }

    /// The NATS credentials file of `user`, where NATS users are enforced.
    pub fn credentials(&self, user: &str) -> Option<PathBuf> {
        self.nats.credentials(user)
    }

    /// A client-library connection as a console, with a fresh session key: identity's auth
    /// callout authorizes it, so identity must run.
    pub async fn console_client(&self) -> anyhow::Result<Client> {
        Client::connect_as_console(
            &self.nats_url(),
            &self.console_tls(),
            self.subjects.clone(),
            None,
        )
        .await
        .context("connect as a console")
    }

    /// What a console needs to reach a server run with a TLS profile (nothing otherwise).
    pub fn console_tls(&self) -> TlsFiles {
        match self.nats.tls() {
            Some(tls) => TlsFiles {
                ca: Some(tls.ca.clone()),
                client_certificate: Some((tls.client_cert.clone(), tls.client_key.clone())),
            },
            None => TlsFiles::default(),
        }
    }

    /// A console logged in as the demo member `username` (the system must run identity and
    /// the gateway, seeded).
    pub async fn console(&self, username: &str) -> anyhow::Result<Session> {
        let client = self.console_client().await?;
        client
            .login(username, &demo_password(username))
            .await
            .with_context(|| format!("log in as {username}"))
    }

    /// Starts `service` in this process with its configuration in [`System::configs`], and
    /// waits until it is ready.
    pub async fn start_service(&mut self, service: ServiceName) -> anyhow::Result<()> {
        let running = services::start_in_process(&self.client, &self.configs, service).await?;
        self.running.push((service, running));
        Ok(())
    }

    /// Starts `service` in this process through `run` (a service's own `run` with something
    /// the configuration cannot say, such as a payment provider the test holds).
    pub async fn start_service_with<F, Fut, E>(
        &mut self,
        service: ServiceName,
        run: F,
    ) -> anyhow::Result<()>
    where
        F: FnOnce(Shutdown) -> Fut,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: std::error::Error + Send + Sync + 'static,
    {
        let running =
            bikestore_testkit::InProcess::start(&self.client, service.as_str(), run).await?;
        self.running.push((service, Running::InProcess(running)));
        Ok(())
    }

    /// Starts the binary of `service` as a child process with `env` on top of the system's
    /// settings (its NATS user, TLS files, and the replicas and metrics address its
    /// configuration in [`System::configs`] keeps), and waits until it is ready.
    pub async fn start_process(
        &mut self,
        service: ServiceName,
        env: &[(&str, &str)],
    ) -> anyhow::Result<()> {
        let process = self.spawn_process(service, env)?;
        bikestore_testkit::wait_for_service(
            &self.client,
            service.as_str(),
            bikestore_testkit::SERVICE_READY,
        )
        .await
        .with_context(|| {
            format!(
                "{service} started as a process; its log:\n{}",
                process.read_log()
            )
        })?;
        self.running
            .push((service, Running::Process(Box::new(process))));
        Ok(())
    }

    /// Starts the binary of `service` as a child process without waiting for it, and hands it
    /// to the test (to watch it fail, or to kill it at a chosen moment).
    pub fn spawn_process(
        &self,
        service: ServiceName,
        env: &[(&str, &str)],
    ) -> anyhow::Result<ChildProcess> {
        self.spawn_process_at(service, &self.nats_url(), env)
    }

    /// Starts the binary of `service` as [`System::spawn_process`] does, connecting to
    /// `nats_url` instead of the system's server (a fault proxy in front of it).
    pub fn spawn_process_at(
        &self,
        service: ServiceName,
        nats_url: &str,
        env: &[(&str, &str)],
    ) -> anyhow::Result<ChildProcess> {
        let binary = format!("bikestore-{service}");
        let credentials = self
            .credentials(service.as_str())
            .map(|path| path.display().to_string());
        let tls = self.nats.tls().map(|tls| {
            [&tls.ca, &tls.client_cert, &tls.client_key].map(|path| path.display().to_string())
        });
        let replicas = self.configs.common(service).js_replicas.to_string();
        let mut all_env: Vec<(&str, &str)> =
            vec![(bikestore_runtime::config::ENV_JS_REPLICAS, &replicas)];
        if let Some(credentials) = &credentials {
            all_env.push((bikestore_runtime::config::ENV_NATS_CREDENTIALS, credentials));
        }
        let issuer = self
            .nats
            .callout_issuer_key()
            .map(|path| path.display().to_string());
        if let (ServiceName::Identity, Some(issuer)) = (service, &issuer) {
            all_env.push((bikestore_identity::config::ENV_CALLOUT_ISSUER_KEY, issuer));
        }
        if let Some([ca, cert, key]) = &tls {
            all_env.push((bikestore_runtime::config::ENV_NATS_TLS_CA, ca));
            all_env.push((bikestore_runtime::config::ENV_NATS_TLS_CERT, cert));
            all_env.push((bikestore_runtime::config::ENV_NATS_TLS_KEY, key));
        }
        let metrics_addr = self
            .configs
            .common(service)
            .metrics_addr
            .map(|address| address.to_string());
        if let Some(address) = &metrics_addr {
            all_env.push((bikestore_runtime::config::ENV_METRICS_ADDR, address));
        }
        all_env.extend_from_slice(env);
        // Each process writes its own output file, however many a test starts.
        let instance = self.spawned.fetch_add(1, Ordering::Relaxed);
        ChildProcess::service(
            &binary,
            nats_url,
            self.data.path(),
            &format!("{service}-{instance}"),
            &all_env,
        )
    }

    /// Stops the most recently started instance of `service` as SIGTERM would, waiting for it
    /// to drain and exit; fails if it fails.
    pub async fn stop_service(&mut self, service: ServiceName) -> anyhow::Result<()> {
        self.take(service)?.stop().await
    }

    /// Kills the most recently started instance of `service` at once: SIGKILL for a process,
    /// an abort of its task for one in this process.
    pub async fn kill_service(&mut self, service: ServiceName) -> anyhow::Result<()> {
        self.take(service)?.kill().await
    }

    fn take(&mut self, service: ServiceName) -> anyhow::Result<Running> {
        let index = self
            .running
            .iter()
            .rposition(|(running, _)| *running == service)
            .with_context(|| format!("{service} is not running"))?;
        Ok(self.running.remove(index).1)
    }

    /// Stops every service, the last started first, then nats-server (on drop).
    pub async fn stop(mut self) -> anyhow::Result<()> {
        while let Some((service, running)) = self.running.pop() {
            running
                .stop()
                .await
                .with_context(|| format!("stop {service}"))?;
        }
        Ok(())
    }
}
