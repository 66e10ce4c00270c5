//! Creating the JetStream streams a service publishes to, with the live republish of events
//! about one store, and with the configured number of replicas: raised on a stream found with
//! fewer, never lowered.

use std::time::Duration;

use async_nats::jetstream::{self, stream};
use bikestore_contracts::backoff::Backoff;
use bikestore_contracts::{ServiceName, Subjects};

use crate::config::ENV_JS_REPLICAS;
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

/// Refuses `replicas` above 1 on a single nats-server, which cannot keep them: it would refuse
/// every stream, and start-up would retry for [`START_UP_PATIENCE`] before saying so. Ask once
/// JetStream answers (the connection knows the server by then).
pub fn check_replicas_fit(
    client: &async_nats::Client,
    replicas: usize,
) -> Result<(), RuntimeError> {
    if replicas > 1 && client.server_info().cluster.is_none() {
        return Err(RuntimeError::Config(format!(
            "--js-replicas ({ENV_JS_REPLICAS}) {replicas} needs a JetStream cluster, but the \
             service is connected to a single nats-server ({}); use 1 there",
            client.server_info().server_name
        )));
    }
    Ok(())
}

/// Creates the stream `config` describes with `replicas` copies, or brings the one that exists
/// in line: `settle` says which settings it should have, given those it was found with (all of
/// `config`'s, or only some, keeping what an operator set), and its replica count is raised to
/// `replicas`, never lowered ([`replicas_to_keep`]).
pub async fn ensure_stream(
    jetstream: &jetstream::Context,
    config: stream::Config,
    replicas: usize,
    settle: impl Fn(&stream::Config) -> stream::Config,
) -> Result<stream::Stream, RuntimeError> {
    let name = config.name.clone();
    let config = stream::Config {
        num_replicas: replicas,
        ..config
    };
    let stream = patiently(&format!("create stream {name}"), || {
        jetstream.get_or_create_stream(config.clone())
    })
    .await?;
    let found = stream.cached_info().config.clone();
    let settled = stream::Config {
        num_replicas: replicas_to_keep(&name, found.num_replicas, replicas),
        ..settle(&found)
    };
    if settled == found {
        return Ok(stream);
    }
    patiently(&format!("update stream {name}"), || {
        jetstream.update_stream(settled.clone())
    })
    .await?;
    patiently(&format!("find stream {name}"), || {
        jetstream.get_stream(&name)
    })
    .await
}

/// Raises the stream configured as `found` to `replicas` copies if it has fewer; answers whether
/// it changed. For a stream made some other way than [`ensure_stream`], a KV bucket's.
pub async fn raise_replicas(
    jetstream: &jetstream::Context,
    found: &stream::Config,
    replicas: usize,
) -> Result<bool, RuntimeError> {
    let kept = replicas_to_keep(&found.name, found.num_replicas, replicas);
    if kept == found.num_replicas {
        return Ok(false);
    }
    let raised = stream::Config {
        num_replicas: kept,
        ..found.clone()
    };
    patiently(&format!("update stream {}", found.name), || {
        jetstream.update_stream(raised.clone())
    })
    .await?;
    Ok(true)
}

/// The copies a stream found with `found` keeps when `configured` are asked for: more if it has
/// fewer (an existing deployment moved to a cluster is raised by a restart, not a wipe), but
/// never fewer: one service started without `--js-replicas` must not quietly take a cluster's
/// redundancy away, so an operator lowers it on purpose (`nats stream edit --replicas`).
fn replicas_to_keep(stream: &str, found: usize, configured: usize) -> usize {
    // A stream made without a count has 1.
    let copies = found.max(1);
    if copies < configured {
        tracing::info!(
            stream,
            from = copies,
            to = configured,
            "raising the stream's replicas"
        );
        return configured;
    }
    if copies > configured {
        tracing::warn!(
            stream,
            found = copies,
            configured,
            "the stream keeps more replicas than configured; keeping them (lower them with \
             `nats stream edit --replicas` if that is meant)"
        );
    }
    found
}

/// Creates (or finds) the event stream of `service` with `replicas` copies, with the live
/// republish its events about one store get ([`Subjects::live_republish`]). A stream an earlier
/// version made without that setting, or with fewer copies, is updated in place, so its events,
/// sequence and consumers stay; whatever else an operator set on it is kept.
pub async fn ensure_event_stream(
    jetstream: &jetstream::Context,
    subjects: &Subjects,
    service: ServiceName,
    replicas: usize,
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
    ensure_stream(jetstream, config, replicas, |found| {
        if republish.is_none() || found.republish == republish {
            return found.clone();
        }
        tracing::info!(stream = %name, "event stream now republishes its stores' events live");
        stream::Config {
            republish: republish.clone(),
            ..found.clone()
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicas_are_raised_but_never_lowered() {
        assert_eq!(replicas_to_keep("S", 1, 3), 3, "raised");
        assert_eq!(
            replicas_to_keep("S", 0, 3),
            3,
            "a stream without a count has 1"
        );
        assert_eq!(replicas_to_keep("S", 3, 3), 3);
        assert_eq!(replicas_to_keep("S", 3, 1), 3, "kept, not lowered");
        assert_eq!(
            replicas_to_keep("S", 0, 1),
            0,
            "as found, so nothing is updated"
        );
    }
}
