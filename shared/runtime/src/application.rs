//! [`Application`]: the start-up and shutdown every service shares, so a service's `run` keeps
//! only its own state and its endpoints.
//!
//! A service builds one ([`Application::build`]: subjects, the NATS connection as its own user,
//! JetStream reachable, the dead-letter stream, the metrics server when `--metrics-addr` is
//! set), opens its database through it
//! ([`Application::open_database`], which also starts the outbox relay and the inbox pruner),
//! declares the event streams it needs, starts its micro-service host ([`Application::host`],
//! with the configured fault always applied), registers its endpoints, spawns its own background
//! tasks ([`Application::spawn`]) and hands the host back to [`Application::serve`], which
//! serves until shutdown, drains, joins every task, then has the relay flush the outbox (so
//! the events of every request and message finished while draining leave too), closes the
//! database and flushes the connection, in that order.

use std::future::Future;
use std::sync::Arc;

use async_nats::jetstream;
use bikestore_contracts::{ServiceName, Subjects};
use bikestore_storage::Database;
use tokio::task::JoinSet;
use tracing::{info, warn};

use crate::commands::ServiceDb;
use crate::config::{CommonConfig, Fault};
use crate::error::RuntimeError;
use crate::host::ServiceHost;
use crate::metrics::MetricsServer;
use crate::shutdown::{Shutdown, ShutdownTrigger};
use crate::{connect, dead_letters, replica, streams};

/// A service being started, then served: what every service's `run` shares.
pub struct Application {
    name: ServiceName,
    common: CommonConfig,
    subjects: Subjects,
    client: async_nats::Client,
    jetstream: jetstream::Context,
    shutdown: Shutdown,
    /// Triggered once the host has drained and the service's own tasks have ended: the relay
    /// and the inbox pruner stop on it, so the relay's last flush comes after every commit.
    drained: Shutdown,
    /// Triggers `drained` once `serve` has joined the service's own tasks.
    drain_done: ShutdownTrigger,
    /// The relay and the inbox pruner, joined after the service's own tasks.
    background: JoinSet<()>,
    db: Option<Arc<ServiceDb>>,
    tasks: JoinSet<()>,
}

impl Application {
    /// Connects `name` as its own NATS user, waits for JetStream, checks the configured
    /// replicas fit the server, and creates the dead-letter stream, so a consumer's give-ups
    /// are kept from the first one.
    pub async fn build(
        name: ServiceName,
        common: &CommonConfig,
        shutdown: Shutdown,
    ) -> Result<Application, RuntimeError> {
        let subjects = common.subjects()?;
        // Bound first, so a taken metrics address fails the start before anything connects.
        let metrics_server = match common.metrics_addr {
            Some(address) => Some(MetricsServer::bind(address).await?),
            None => None,
        };
        let client = connect::connect_as(
            &common.nats_url,
            common.nats_credentials.as_deref(),
            &common.nats_tls,
            name.as_str(),
        )
        .await?;
        let jetstream = jetstream::new(client.clone());
        streams::wait_for_jetstream(&jetstream).await?;
        streams::check_replicas_fit(&client, common.js_replicas)?;
        dead_letters::ensure_stream(&jetstream, &subjects, common.js_replicas).await?;
        let (drain_done, drained) = Shutdown::new();
        let mut application = Application {
            name,
            common: common.clone(),
            subjects,
            client,
            jetstream,
            shutdown,
            drained,
            drain_done,
            background: JoinSet::new(),
            db: None,
            tasks: JoinSet::new(),
        };
        if let Some(metrics_server) = metrics_server {
            application.spawn(metrics_server.serve(application.shutdown()));
        }
        Ok(application)
    }

    /// Opens the service's database (migrated with `migrations`), with the configured
    /// `crash_after_commit` fault, creates its replica bucket, and starts relaying its outbox
    /// and pruning its inbox.
    pub async fn open_database(
        &mut self,
        migrations: &'static [&'static str],
    ) -> Result<Arc<ServiceDb>, RuntimeError> {
        let database = open_database(&self.common, self.name, migrations).await?;
        // Litestream replicates the database only into a bucket that exists.
        replica::ensure_bucket(
            &self.jetstream,
            &self.subjects,
            self.name,
            self.common.js_replicas,
        )
        .await?;
        let db = Arc::new(ServiceDb::new(
            self.name,
            database,
            self.subjects.clone(),
            self.common.fault.clone(),
        ));
        self.background =
            crate::commands::background(&db, self.jetstream.clone(), &self.common, &self.drained);
        self.db = Some(Arc::clone(&db));
        Ok(db)
    }

    /// Creates (or finds) the event streams of `sources`: the service's own, or those it
    /// consumes, so the services may start in any order; each with the configured replicas.
    pub async fn ensure_event_streams(&self, sources: &[ServiceName]) -> Result<(), RuntimeError> {
        for source in sources {
            streams::ensure_event_stream(
                &self.jetstream,
                &self.subjects,
                *source,
                self.common.js_replicas,
            )
            .await?;
        }
        Ok(())
    }

    /// Registers the micro service with `state`, the configured `fail_operation` fault applied;
    /// add its endpoints, then give it to [`Application::serve`].
    pub async fn host<S: Send + Sync + 'static>(
        &self,
        description: &str,
        state: Arc<S>,
    ) -> Result<ServiceHost<S>, RuntimeError> {
        let needs_database = match &self.common.fault {
            Some(Fault::CrashAfterCommit(_)) => Some("crash_after_commit"),
            Some(Fault::ReplyLate(..)) => Some("reply_late"),
            _ => None,
        };
        if let Some(fault) = needs_database
            && self.db.is_none()
        {
            return Err(RuntimeError::Config(format!(
                "the fault {fault} needs a database, and {} has none",
                self.name
            )));
        }
        Ok(ServiceHost::start(
            self.client.clone(),
            self.subjects.clone(),
            self.name,
            description,
            state,
            self.common.max_request_bytes,
            self.shutdown.clone(),
        )
        .await?
        .with_fault(self.common.fault.as_ref()))
    }

    /// Runs `task` beside the endpoints; [`Application::serve`] waits for it after shutdown, so
    /// it must end on the shutdown signal ([`Application::shutdown`]).
    pub fn spawn<F>(&mut self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.tasks.spawn(task);
    }

    /// Serves `host` until shutdown, then drains it, waits for every spawned task, has the
    /// relay flush the outbox and stop, closes the database and makes sure every reply and
    /// event has left.
    pub async fn serve<S: Send + Sync + 'static>(
        mut self,
        host: ServiceHost<S>,
    ) -> Result<(), RuntimeError> {
        // Serving consumes the host, and with it the host's hold on the service state.
        let served = host.serve().await;
        if served.is_err() && !self.shutdown.is_triggered() {
            // Serving failed before shutdown was asked for: the tasks would wait for it for ever.
            self.tasks.shutdown().await;
        }
        while self.tasks.join_next().await.is_some() {}
        self.drain_done.trigger();
        while self.background.join_next().await.is_some() {}
        if let Some(db) = self.db.take() {
            match Arc::try_unwrap(db) {
                Ok(db) => db.close().await,
                // A clone outlived the service: its writer stops when the last one goes.
                Err(_) => warn!("the database is still in use at shutdown; not closed"),
            }
        }
        if let Err(error) = self.client.flush().await {
            warn!(error = %error, "could not flush the connection at shutdown");
        }
        info!(service = %self.name, "service stopped");
        served
    }

    /// The subject builder for the configured prefix.
    pub fn subjects(&self) -> &Subjects {
        &self.subjects
    }

    /// The service's NATS connection.
    pub fn client(&self) -> &async_nats::Client {
        &self.client
    }

    /// JetStream over the service's connection.
    pub fn jetstream(&self) -> &jetstream::Context {
        &self.jetstream
    }

    /// The shutdown signal every task of the service stops on.
    pub fn shutdown(&self) -> Shutdown {
        self.shutdown.clone()
    }
}

/// Opens (creating and migrating) the database of `service` at the place `common` names, off
/// the async runtime; for `run`, seeding and tools.
pub async fn open_database(
    common: &CommonConfig,
    service: ServiceName,
    migrations: &'static [&'static str],
) -> Result<Database, RuntimeError> {
    let path = common.database_path(service.as_str());
    let options = common.database_options();
    tokio::task::spawn_blocking(move || Database::open(&path, migrations, &options))
        .await
        .map_err(|error| RuntimeError::Config(format!("database open task failed: {error}")))?
        .map_err(RuntimeError::from)
}
