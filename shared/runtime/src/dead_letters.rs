//! Dead letters: messages a consumer gave up on, kept for operators to list and replay.
//!
//! Every durable consumer has a bounded `max_deliver`. When a message exhausts it, the server
//! publishes a max-deliveries advisory; the `<PREFIX>_DEAD_LETTERS` stream captures those
//! advisories for this deployment's event streams. The original message stays in its stream,
//! so listing reads each advisory and fetches the message it names, and replaying publishes
//! that message again (with a fresh `Nats-Msg-Id`, and `Bikestore-Replay-Of` naming the
//! original) and then removes the advisory.

use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream::{self, stream};
use bikestore_contracts::{Subjects, headers};
use bytes::Bytes;
use serde_json::Value;

use crate::error::RuntimeError;
use crate::streams;

/// One message a consumer gave up on.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    /// Its position in the dead-letter stream; the handle for [`replay`].
    pub id: u64,
    /// The stream holding the original message.
    pub stream: String,
    /// The consumer that gave up.
    pub consumer: String,
    /// The original message's sequence in its stream.
    pub stream_sequence: u64,
    /// How many times it was delivered.
    pub deliveries: u64,
    /// The original subject, if the message is still in its stream.
    pub subject: Option<String>,
    /// The original body, if the message is still in its stream.
    pub payload: Option<Bytes>,
}

/// Creates the dead-letter stream of this deployment with `replicas` copies, or brings the one
/// that exists to this configuration (its copies raised, never lowered).
pub async fn ensure_stream(
    jetstream: &jetstream::Context,
    subjects: &Subjects,
    replicas: usize,
) -> Result<stream::Stream, RuntimeError> {
    let config = stream::Config {
        name: subjects.dead_letter_stream(),
        subjects: subjects.dead_letter_sources(),
        storage: stream::StorageType::File,
        max_age: Duration::from_secs(30 * 24 * 3600),
        ..Default::default()
    };
    streams::ensure_stream(jetstream, config.clone(), replicas, |_| config.clone()).await
}

/// The dead-letter stream every service creates at start: an operator's tool finds it rather
/// than making it, so it never decides its replicas.
async fn existing_stream(
    jetstream: &jetstream::Context,
    subjects: &Subjects,
) -> Result<stream::Stream, RuntimeError> {
    let name = subjects.dead_letter_stream();
    jetstream.get_stream(&name).await.map_err(|error| {
        RuntimeError::nats(
            format!("find stream {name} (every service creates it at start)"),
            error,
        )
    })
}

/// Lists up to `limit` dead letters, oldest first.
pub async fn list(
    jetstream: &jetstream::Context,
    subjects: &Subjects,
    limit: usize,
) -> Result<Vec<DeadLetter>, RuntimeError> {
    let mut dead_letter_stream = existing_stream(jetstream, subjects).await?;
    let info = dead_letter_stream
        .info()
        .await
        .map_err(|error| RuntimeError::nats("read the dead-letter stream", error))?;
    let (first, last, count) = (
        info.state.first_sequence,
        info.state.last_sequence,
        info.state.messages,
    );
    let mut letters = Vec::new();
    for sequence in first..=last {
        if letters.len() >= limit || count == 0 {
            break;
        }
        // A replayed letter leaves a gap in the sequence.
        let Ok(advisory) = dead_letter_stream.get_raw_message(sequence).await else {
            continue;
        };
        letters.push(read_letter(jetstream, sequence, &advisory.payload).await);
    }
    Ok(letters)
}

/// Publishes the original message of dead letter `id` again and removes the letter.
pub async fn replay(
    jetstream: &jetstream::Context,
    subjects: &Subjects,
    id: u64,
) -> Result<(), RuntimeError> {
    let dead_letter_stream = existing_stream(jetstream, subjects).await?;
    let advisory = dead_letter_stream
        .get_raw_message(id)
        .await
        .map_err(|error| RuntimeError::nats(format!("find dead letter {id}"), error))?;
    let letter = read_letter(jetstream, id, &advisory.payload).await;
    let original = jetstream
        .get_stream(&letter.stream)
        .await
        .map_err(|error| RuntimeError::nats(format!("find stream {}", letter.stream), error))?
        .get_raw_message(letter.stream_sequence)
        .await
        .map_err(|error| {
            RuntimeError::nats(
                format!(
                    "message {} of {} is gone; nothing to replay",
                    letter.stream_sequence, letter.stream
                ),
                error,
            )
        })?;
    let mut replay_headers = HeaderMap::new();
    for (name, values) in original.headers.iter() {
        for value in values {
            replay_headers.append(name.clone(), value.clone());
        }
    }
    let original_id = original
        .headers
        .get(headers::NATS_MSG_ID)
        .map(|value| value.to_string())
        .unwrap_or_else(|| format!("{}-{}", letter.stream, letter.stream_sequence));
    replay_headers.insert(
        headers::NATS_MSG_ID,
        format!("{original_id}.replay.{id}").as_str(),
    );
    replay_headers.insert(
        headers::REPLAY_OF,
        letter.stream_sequence.to_string().as_str(),
    );
    jetstream
        .publish_with_headers(
            original.subject.to_string(),
            replay_headers,
            original.payload,
        )
        .await
        .map_err(|error| RuntimeError::nats("replay a dead letter", error))?
        .await
        .map_err(|error| RuntimeError::nats("replay a dead letter", error))?;
    dead_letter_stream
        .delete_message(id)
        .await
        .map_err(|error| RuntimeError::nats(format!("remove dead letter {id}"), error))?;
    Ok(())
}

async fn read_letter(jetstream: &jetstream::Context, id: u64, advisory: &[u8]) -> DeadLetter {
    let fields: Value = serde_json::from_slice(advisory).unwrap_or(Value::Null);
    let text = |name: &str| fields[name].as_str().unwrap_or_default().to_owned();
    let number = |name: &str| fields[name].as_u64().unwrap_or_default();
    let mut letter = DeadLetter {
        id,
        stream: text("stream"),
        consumer: text("consumer"),
        stream_sequence: number("stream_seq"),
        deliveries: number("deliveries"),
        subject: None,
        payload: None,
    };
    if let Ok(stream) = jetstream.get_stream(&letter.stream).await
        && let Ok(original) = stream.get_raw_message(letter.stream_sequence).await
    {
        letter.subject = Some(original.subject.to_string());
        letter.payload = Some(original.payload);
    }
    letter
}
