//! Reading a service's published events from its JetStream stream, for assertions.
//!
//! Each read uses a fresh ephemeral consumer that starts at the beginning of the stream, so a
//! test sees every event of a type whether it was published before or after the read began;
//! it awaits the messages (no polling) under a deadline.

use std::time::Duration;

use anyhow::Context;
use async_nats::jetstream::consumer::{DeliverPolicy, pull};
use bikestore_codec::ContentType;
use bikestore_contracts::{Event, Subjects};
use futures::StreamExt;

/// The first `count` events of type `E` in its service's stream, waiting up to `deadline` for
/// them to arrive.
pub async fn read_events<E: Event>(
    client: &async_nats::Client,
    subjects: &Subjects,
    count: usize,
    deadline: Duration,
) -> anyhow::Result<Vec<E>> {
    let jetstream = async_nats::jetstream::new(client.clone());
    let stream_name = subjects.event_stream(E::SERVICE);
    let stream = jetstream
        .get_stream(&stream_name)
        .await
        .with_context(|| format!("find stream {stream_name}"))?;
    let consumer = stream
        .create_consumer(pull::Config {
            filter_subject: subjects.event_of_any_store::<E>(),
            deliver_policy: DeliverPolicy::All,
            ..Default::default()
        })
        .await
        .with_context(|| format!("create a consumer on {stream_name}"))?;
    let mut messages = consumer
        .messages()
        .await
        .with_context(|| format!("read {stream_name}"))?;
    let mut events = Vec::with_capacity(count);
    let end = tokio::time::Instant::now() + deadline;
    while events.len() < count {
        let message = tokio::time::timeout_at(end, messages.next())
            .await
            .with_context(|| {
                format!(
                    "timed out waiting for {count} {} events; got {}",
                    E::NAME,
                    events.len()
                )
            })?
            .context("the consumer ended")?
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        let content_type = message
            .headers
            .as_ref()
            .and_then(|headers| headers.get(bikestore_contracts::headers::CONTENT_TYPE))
            .map(|value| value.as_str());
        let content_type =
            ContentType::from_header(content_type).map_err(|error| anyhow::anyhow!("{error}"))?;
        events.push(bikestore_codec::decode::<E>(
            content_type,
            None,
            &message.payload,
            usize::MAX,
        )?);
        message
            .ack()
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))?;
    }
    Ok(events)
}

/// How many messages `stream` holds on `subject` right now.
pub async fn count_on_subject(
    client: &async_nats::Client,
    stream: &str,
    subject: &str,
) -> anyhow::Result<u64> {
    let jetstream = async_nats::jetstream::new(client.clone());
    let stream = jetstream
        .get_stream(stream)
        .await
        .with_context(|| format!("find stream {stream}"))?;
    let mut info = stream
        .info_with_subjects(subject)
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    let mut total = 0;
    while let Some(entry) = info.next().await {
        total += entry.map_err(|error| anyhow::anyhow!("{error}"))?.1 as u64;
    }
    Ok(total)
}
