//! Creating the JetStream streams a service publishes to.

use std::time::Duration;

use async_nats::jetstream::{self, stream};
use bikestore_contracts::{ServiceName, Subjects};

use crate::error::RuntimeError;

/// How long JetStream remembers a `Nats-Msg-Id`: a relay that restarts within this window never
/// publishes an event twice.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(30 * 60);

/// How long start-up waits for JetStream to answer.
pub const START_UP_PATIENCE: Duration = Duration::from_secs(30);

/// Waits until JetStream answers (the client may still be connecting at start-up), for a
/// service that creates no event stream of its own; fails after [`START_UP_PATIENCE`].
pub async fn wait_for_jetstream(jetstream: &jetstream::Context) -> Result<(), RuntimeError> {
    let deadline = tokio::time::Instant::now() + START_UP_PATIENCE;
    let mut delay = Duration::from_millis(50);
    loop {
        match jetstream.query_account().await {
            Ok(_) => return Ok(()),
            Err(error) if tokio::time::Instant::now() + delay < deadline => {
                tracing::warn!(error = %error, "JetStream not ready; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(2));
            }
            Err(error) => return Err(RuntimeError::nats("reach JetStream", error)),
        }
    }
}

/// Creates (or finds) the event stream of `service`.
pub async fn ensure_event_stream(
    jetstream: &jetstream::Context,
    subjects: &Subjects,
    service: ServiceName,
) -> Result<stream::Stream, RuntimeError> {
    let name = subjects.event_stream(service);
    let config = stream::Config {
        name: name.clone(),
        subjects: vec![subjects.events_of_service(service)],
        storage: stream::StorageType::File,
        retention: stream::RetentionPolicy::Limits,
        duplicate_window: DUPLICATE_WINDOW,
        max_age: Duration::from_secs(90 * 24 * 3600),
        ..Default::default()
    };
    // The client may still be connecting at start-up; keep asking for a while before giving up.
    let deadline = tokio::time::Instant::now() + START_UP_PATIENCE;
    let mut delay = Duration::from_millis(50);
    loop {
        match jetstream.get_or_create_stream(config.clone()).await {
            Ok(stream) => return Ok(stream),
            Err(error) if tokio::time::Instant::now() + delay < deadline => {
                tracing::warn!(stream = %name, error = %error, "stream not ready; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(2));
            }
            Err(error) => return Err(RuntimeError::nats(format!("create stream {name}"), error)),
        }
    }
}
