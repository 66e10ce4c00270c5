//! The orchestrator: runs every multi-service workflow as a saga.
//!
//! Layout: `engine` is the one saga engine (definitions as declared data, the record store in
//! the KV bucket, the advance loop); `sagas` declares the three definitions (place order,
//! cancel order, transfer stock); `intake` serves the commands that start sagas; `operators`
//! serves listing, showing, retrying, resolving and statistics; `worker` takes work items from
//! the work-queue stream every replica shares; `recovery` re-queues sagas nobody is driving
//! (and counts the stuck ones); `metrics` records the sagas' Prometheus series; `index` keeps
//! a SQLite projection of the bucket that lists, statistics, recovery and retention read.
//! The record in KV is the truth: the index is a cache, rebuilt from the bucket when needed.

pub mod config;
pub mod engine;
mod error;
pub mod index;
mod intake;
mod metrics;
mod operators;
mod recovery;
pub mod sagas;
mod worker;

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, stream};
use bikestore_contracts::{ServiceName, Subjects};
use bikestore_runtime::application::Application;
use bikestore_runtime::call::Caller;
use bikestore_runtime::{RuntimeError, Shutdown, streams};
use tracing::info;

pub use config::OrchestratorConfig;
pub use error::OrchestratorError;

use engine::Engine;
use engine::store::SagaStore;
use index::SagaIndex;

/// How long JetStream remembers a work item's ID, so a repeated start or recovery is dropped.
const WORK_DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// The state every handler shares.
pub struct Orchestrator {
    /// The saga engine.
    pub engine: Arc<Engine>,
    /// Requests to participants made at intake (card tokens).
    pub caller: Caller,
    /// Subject builder.
    pub subjects: Subjects,
    /// The saga index that lists and statistics read.
    pub index: Arc<SagaIndex>,
}

/// Runs the orchestrator until `shutdown`, with every definition this build knows.
pub async fn run(config: OrchestratorConfig, shutdown: Shutdown) -> Result<(), RuntimeError> {
    let definitions = sagas::all(config.step_settings());
    run_with(config, definitions, shutdown).await
}

/// Runs the orchestrator until `shutdown` with `definitions` instead of this build's own: a
/// replica of another build, for tests of versions side by side (one knowing a version 2 that
/// this build does not, say).
pub async fn run_with(
    config: OrchestratorConfig,
    definitions: Vec<engine::Definition>,
    shutdown: Shutdown,
) -> Result<(), RuntimeError> {
    config.check().map_err(RuntimeError::Config)?;
    let mut app = Application::build(ServiceName::Orchestrator, &config.common, shutdown).await?;
    let subjects = app.subjects().clone();
    let jetstream = app.jetstream().clone();
    // Saga progress is published on core NATS only: the record in KV is the truth, and storing
    // every step's progress in a stream cost a JetStream write (an fsync in the durable profile)
    // per step that nothing read. So the orchestrator has no event stream to create.
    retire_progress_stream(&jetstream, &subjects).await;
    let replicas = config.common.js_replicas;
    ensure_work_stream(&jetstream, &subjects, replicas).await?;
    let store = SagaStore::open(&jetstream, &subjects, replicas)
        .await
        .map_err(|error| RuntimeError::Config(error.to_string()))?;
    let index_folder = config
        .common
        .data_dir
        .join(ServiceName::Orchestrator.as_str());
    let index = SagaIndex::open(&index_folder, store.bucket().clone())
        .await
        .map(Arc::new)
        .map_err(|error| RuntimeError::Config(bikestore_runtime::error_chain(&error)))?;
    app.spawn(index::feed::run(Arc::clone(&index), app.shutdown()));
    if let Some(keep) = config.keep_ended_sagas() {
        app.spawn(index::retention::run(
            Arc::clone(&index),
            keep,
            config.recovery_interval,
            app.shutdown(),
        ));
    }
    let caller = Caller::new(app.client().clone(), subjects.clone());
    let engine = Arc::new(Engine::new(
        store,
        caller.clone(),
        jetstream.clone(),
        subjects.clone(),
        definitions,
        engine::LeasePolicy::new(config.lease),
    ));
    app.spawn(worker::run(
        Arc::clone(&engine),
        jetstream,
        subjects.clone(),
        config.workers,
        config.lease,
        app.shutdown(),
    ));
    app.spawn(recovery::run(
        Arc::clone(&engine),
        Arc::clone(&index),
        config.recovery_interval,
        config.stale_after,
        app.shutdown(),
    ));
    app.spawn(recovery::take_over_abandoned(
        Arc::clone(&engine),
        Arc::clone(&index),
        recovery::takeover_interval(config.lease),
        app.shutdown(),
    ));
    let orchestrator = Arc::new(Orchestrator {
        engine,
        caller,
        subjects,
        index,
    });
    let mut host = app
        .host(
            "Sagas: place order, cancel order, transfer stock",
            orchestrator,
        )
        .await?;
    intake::register(&mut host).await?;
    operators::register(&mut host).await?;
    info!("orchestrator ready");
    app.serve(host).await
}

/// Creates the work queue with `replicas` copies, or finds it (its copies raised, never
/// lowered; its other settings as found).
async fn ensure_work_stream(
    jetstream: &jetstream::Context,
    subjects: &Subjects,
    replicas: usize,
) -> Result<(), RuntimeError> {
    let config = stream::Config {
        name: subjects.saga_work_stream(),
        subjects: vec![subjects.saga_work_all()],
        retention: stream::RetentionPolicy::WorkQueue,
        storage: stream::StorageType::File,
        duplicate_window: WORK_DUPLICATE_WINDOW,
        ..Default::default()
    };
    streams::ensure_stream(jetstream, config, replicas, stream::Config::clone).await?;
    Ok(())
}

/// Deletes the progress stream that earlier versions created, if it is still there: it would
/// go on storing every step's progress, a JetStream write per step that nothing reads.
async fn retire_progress_stream(jetstream: &jetstream::Context, subjects: &Subjects) {
    let name = subjects.event_stream(ServiceName::Orchestrator);
    match jetstream.delete_stream(&name).await {
        Ok(_) => info!(stream = %name, "deleted the obsolete saga progress stream"),
        // Not found, the usual answer: nothing to retire.
        Err(error)
            if matches!(
                error.kind(),
                jetstream::context::DeleteStreamErrorKind::JetStream(_)
            ) => {}
        Err(error) => {
            tracing::warn!(stream = %name, error = %error, "could not check for the obsolete saga progress stream")
        }
    }
}
