//! Removing phantom events from an event stream after a restore.
//!
//! A backup copies each service's database before it snapshots the event streams, so a stream
//! may hold events the service committed to its outbox after its database was copied and the
//! relay published before the stream was snapshotted. Restored together, such events describe
//! changes the restored database does not have: consumers would act on a stock change or an
//! order that, as far as the service knows, never happened. The relay stamps every event with
//! the sequence of its outbox row ([`headers::OUTBOX_SEQUENCE`]), and the copy knows the highest
//! sequence it had assigned (`bikestore_storage::inspect_database`), so the events above that
//! mark are exactly the phantoms, and [`remove_events_newer_than_copy`] deletes them.
//!
//! It only deletes what it can prove is a phantom: a message without the header (published
//! before the relay set it, or by a producer without an outbox) or with a header that is not a
//! number is kept.

use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream::{self, consumer};
use bikestore_contracts::{Subjects, headers};
use futures::StreamExt;
use tracing::{debug, warn};

use crate::error::RuntimeError;

/// How long reading the stream waits for its next message before giving up: the messages are
/// all stored already, so a wait this long means the server is not answering.
const READ_PATIENCE: Duration = Duration::from_secs(30);

/// How many phantom events are deleted at once.
const DELETES_AT_ONCE: usize = 64;

/// Deletes from `stream` every message after stream sequence `after` whose OUTBOX_SEQUENCE header
/// is greater than `outbox_sequence` (events made after the database copy); answers how many.
/// Messages without the header are kept (published before the header existed, or by a producer
/// without an outbox).
///
/// It reads only the messages' headers, through an ordered consumer from `after + 1` up to the
/// stream's last sequence when it is called (messages stored later are left alone), and deletes
/// each phantom with the stream's delete-message API, so the sequences of the others stay.
pub async fn remove_events_newer_than_copy(
    jetstream: &jetstream::Context,
    stream: &str,
    after: u64,
    outbox_sequence: i64,
) -> Result<u64, RuntimeError> {
    let event_stream = jetstream
        .get_stream(stream)
        .await
        .map_err(|error| RuntimeError::nats(format!("find stream {stream}"), error))?;
    let last_sequence = event_stream
        .get_info()
        .await
        .map_err(|error| RuntimeError::nats(format!("read the state of stream {stream}"), error))?
        .state
        .last_sequence;
    if last_sequence <= after {
        return Ok(0);
    }
    let phantoms =
        find_phantoms(&event_stream, stream, after, last_sequence, outbox_sequence).await?;
    // One request per phantom, many at once: a restore soon after a busy backup has
    // thousands, and one after another they took seconds.
    let mut deletions = futures::stream::iter(phantoms)
        .map(|sequence| async move {
            let deleted = delete_without_erase(jetstream, stream, sequence).await?;
            Ok::<_, RuntimeError>((sequence, deleted))
        })
        .buffer_unordered(DELETES_AT_ONCE);
    let mut removed: u64 = 0;
    while let Some(deletion) = deletions.next().await {
        let (sequence, deleted) = deletion?;
        // The server answers an error for a message it cannot delete; `false` is not expected,
        // but is not counted as removed either.
        if deleted {
            removed += 1;
        } else {
            warn!(
                stream,
                sequence, "the server did not delete a phantom event"
            );
        }
    }
    debug!(
        stream,
        after, outbox_sequence, removed, "removed the events newer than the database copy"
    );
    Ok(removed)
}

/// Deletes one message, marking it deleted without overwriting its bytes first (async-nats'
/// `delete_message` asks for that secure erase, which rewrote each phantom at about 8 ms
/// apiece): the phantoms are events nobody has read, and hold nothing secret.
async fn delete_without_erase(
    jetstream: &jetstream::Context,
    stream: &str,
    sequence: u64,
) -> Result<bool, RuntimeError> {
    let what = || format!("delete the phantom event {sequence} from stream {stream}");
    let body = serde_json::json!({ "seq": sequence, "no_erase": true }).to_string();
    let reply = jetstream
        .client()
        .request(
            Subjects::jetstream_api("STREAM.MSG.DELETE", stream),
            body.into(),
        )
        .await
        .map_err(|error| RuntimeError::nats(what(), error))?;
    let answer: serde_json::Value = serde_json::from_slice(&reply.payload)
        .map_err(|error| RuntimeError::nats(what(), error))?;
    if let Some(error) = answer.get("error") {
        let description = error["description"].as_str().unwrap_or("no description");
        return Err(RuntimeError::nats(
            what(),
            std::io::Error::other(format!("JetStream refused: {description}")),
        ));
    }
    Ok(answer["success"].as_bool().unwrap_or(false))
}

/// The stream sequences, in `after + 1 ..= last_sequence`, of the messages whose outbox sequence
/// is above `outbox_sequence`.
async fn find_phantoms(
    event_stream: &jetstream::stream::Stream,
    stream: &str,
    after: u64,
    last_sequence: u64,
    outbox_sequence: i64,
) -> Result<Vec<u64>, RuntimeError> {
    let reader = event_stream
        .create_consumer(consumer::pull::OrderedConfig {
            deliver_policy: consumer::DeliverPolicy::ByStartSequence {
                start_sequence: after + 1,
            },
            // The verdict needs only the header: the bodies stay on the server.
            headers_only: true,
            ..Default::default()
        })
        .await
        .map_err(|error| RuntimeError::nats(format!("read stream {stream}"), error))?;
    // Every message after `after` may have been deleted, the last one included; then nothing
    // would ever arrive to stop at.
    if reader.cached_info().num_pending == 0 {
        return Ok(Vec::new());
    }
    let mut messages = reader
        .messages()
        .await
        .map_err(|error| RuntimeError::nats(format!("read stream {stream}"), error))?;
    let mut phantoms = Vec::new();
    loop {
        let message = match tokio::time::timeout(READ_PATIENCE, messages.next()).await {
            Ok(Some(Ok(message))) => message,
            Ok(Some(Err(error))) => {
                return Err(RuntimeError::nats(format!("read stream {stream}"), error));
            }
            Ok(None) => break,
            Err(elapsed) => {
                return Err(RuntimeError::nats(
                    format!("read stream {stream}: no message for {READ_PATIENCE:?}"),
                    elapsed,
                ));
            }
        };
        let info = message.info().map_err(|error| RuntimeError::Nats {
            context: format!("read the sequence of a message of stream {stream}"),
            source: error,
        })?;
        let (stream_sequence, pending) = (info.stream_sequence, info.pending);
        if stream_sequence > last_sequence {
            // Stored after the call began: not this restore's business.
            break;
        }
        if is_newer_than_copy(
            message.headers.as_ref(),
            outbox_sequence,
            stream,
            stream_sequence,
        ) {
            phantoms.push(stream_sequence);
        }
        // The last message may be gone (deleted), so running out of messages ends it too.
        if stream_sequence >= last_sequence || pending == 0 {
            break;
        }
    }
    Ok(phantoms)
}

/// Whether a message's outbox sequence is above the copy's mark; one without a readable outbox
/// sequence is not.
fn is_newer_than_copy(
    message_headers: Option<&HeaderMap>,
    outbox_sequence: i64,
    stream: &str,
    stream_sequence: u64,
) -> bool {
    let Some(value) = message_headers.and_then(|found| found.get(headers::OUTBOX_SEQUENCE)) else {
        return false;
    };
    match value.as_str().parse::<i64>() {
        Ok(message_outbox_sequence) => message_outbox_sequence > outbox_sequence,
        Err(_) => {
            warn!(
                stream,
                stream_sequence,
                value = value.as_str(),
                "an event's outbox sequence is not a number; keeping it"
            );
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_readable_outbox_sequence_above_the_mark_makes_a_phantom() {
        let with = |value: &str| {
            let mut message_headers = HeaderMap::new();
            message_headers.insert(headers::OUTBOX_SEQUENCE, value);
            message_headers
        };
        assert!(is_newer_than_copy(Some(&with("8")), 7, "S", 1));
        assert!(
            !is_newer_than_copy(Some(&with("7")), 7, "S", 1),
            "the mark itself is in the copy"
        );
        assert!(!is_newer_than_copy(Some(&with("3")), 7, "S", 1));
        assert!(!is_newer_than_copy(Some(&with("eight")), 7, "S", 1));
        assert!(!is_newer_than_copy(Some(&HeaderMap::new()), 7, "S", 1));
        assert!(!is_newer_than_copy(None, 7, "S", 1));
    }
}
