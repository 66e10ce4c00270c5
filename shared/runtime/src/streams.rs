//! Creating the JetStream streams a service publishes to, with the live republish of events
//! about one store.

use std::time::Duration;

use async_nats::jetstream::{self, stream};
use bikestore_contracts::backoff::Backoff;
use bikestore_contracts::{ServiceName, Subjects};

use crate::error::RuntimeError;
use crate::outage::Patience;

/// How long JetStream remembers a `Nats-Msg-Id`: a relay that restarts within this window never
/// publishes an event twice.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(30 * 60);

/// How long start-up waits for JetStream to answer.
pub const START_UP_PATIENCE: Duration = Duration::from_secs(30);

/// How long start-up waits between tries: from 50 ms, doubling up to 2 s.
const START_UP_RETRY: Backoff = Backoff::new(Duration::from_millis(50), Duration::from_secs(2));

/// Runs `attempt` until it succeeds: at start-up the client may still be connecting, so any
/// failure is retried with a growing delay, and only one after [`START_UP_PATIENCE`] is
/// returned, as failing to `what`.
pub async fn patiently<T, E, F, Fut>(what: &str, mut attempt: F) -> Result<T, RuntimeError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
    E: std::error::Error + Send + Sync + 'static,
{
    let mut patience = Patience::new(START_UP_PATIENCE, START_UP_RETRY);
    loop {
        match attempt().await {
            Ok(done) => return Ok(done),
            Err(error) if patience.wait(what, &error).await => {}
            Err(error) => return Err(RuntimeError::nats(what, error)),
        }
    }
}

/// Waits until JetStream answers, for a service that creates no event stream of its own.
pub async fn wait_for_jetstream(jetstream: &jetstream::Context) -> Result<(), RuntimeError> {
    patiently("reach JetStream", || jetstream.query_account()).await?;
    Ok(())
}

/// Creates (or finds) the event stream of `service`, with the live republish its events about
/// one store get ([`Subjects::live_republish`]). A stream an earlier version made without that
/// setting is updated in place, so its events, sequence and consumers stay.
pub async fn ensure_event_stream(
    jetstream: &jetstream::Context,
    subjects: &Subjects,
    service: ServiceName,
) -> Result<stream::Stream, RuntimeError> {
    let name = subjects.event_stream(service);
    let republish = subjects
        .live_republish(service)
        .map(|live| stream::Republish {
            source: live.source,
            destination: live.destination,
            headers_only: false,
        });
    let config = stream::Config {
        name: name.clone(),
        subjects: vec![subjects.events_of_service(service)],
        storage: stream::StorageType::File,
        retention: stream::RetentionPolicy::Limits,
        duplicate_window: DUPLICATE_WINDOW,
        max_age: Duration::from_secs(90 * 24 * 3600),
        republish: republish.clone(),
        ..Default::default()
    };
    let stream = patiently(&format!("create stream {name}"), || {
        jetstream.get_or_create_stream(config.clone())
    })
    .await?;
    let found = &stream.cached_info().config;
    if republish.is_none() || found.republish == republish {
        return Ok(stream);
    }
    // Only the republish changes: whatever else an operator set on the stream is kept.
    let updated = stream::Config {
        republish,
        ..found.clone()
    };
    patiently(&format!("update stream {name}"), || {
        jetstream.update_stream(updated.clone())
    })
    .await?;
    tracing::info!(stream = %name, "event stream now republishes its stores' events live");
    patiently(&format!("find stream {name}"), || {
        jetstream.get_stream(&name)
    })
    .await
}
