//! Snapshots of a JetStream stream into bytes, and the restore of a stream from them, through
//! JetStream's snapshot API (async-nats has no call for it): what a backup tool needs to copy
//! the event, audit and dead-letter streams to files and put them back on an empty server or
//! cluster.
//!
//! # The snapshot protocol
//!
//! 1. The client subscribes to a fresh inbox, the *deliver subject*, before it asks: the server
//!    waits at most about 2 s for interest on it and then sends regardless.
//! 2. It requests `$JS.API.STREAM.SNAPSHOT.<stream>` with
//!    `{deliver_subject, no_consumers, chunk_size, jsck}`. The reply carries the stream's
//!    `config` and `state` (or an API error such as "stream not found"); they are kept as JSON
//!    values exactly as sent, because the restore hands them back and nothing may be lost
//!    through a client's narrower structs. On a cluster only the stream's leader answers, so
//!    for a stream that does not exist nobody does: [`snapshot_stream`] asks for the stream's
//!    info first, which the meta leader answers with a clear "not found".
//! 3. The server sends the snapshot to the deliver subject in chunks of `chunk_size` bytes
//!    (clamped to 1 KiB..1 MiB). Each full chunk has a reply subject ending in
//!    `.<length>.<index>`, index counting from 1 (a gap means a lost chunk). That reply is the
//!    flow control: the server keeps a window (8 MiB) of unacknowledged chunks and sends on only
//!    as empty messages come back to those subjects; with none for 5 s it gives up. The last,
//!    short chunk has no reply subject.
//! 4. The end is a message with an empty payload: with no headers or status 204 it is a
//!    success; with another status (500 and the store's error, 408 "No Flow Response" or
//!    "No Interest") the server broke the snapshot off. The client also gives up on its own
//!    after [`SnapshotOptions::stall_timeout`] without a message, so it never hangs.
//!
//! # The restore protocol
//!
//! 1. The client requests `$JS.API.STREAM.RESTORE.<stream>` with `{config, state}`; a stream
//!    of that name must not exist (error 10130 otherwise). The reply names the subject the
//!    server takes chunks on (on a cluster after the new stream's replica group is placed).
//! 2. It sends the snapshot's bytes in chunks as requests; the server answers each with an
//!    empty message once it has consumed it (that is the flow control), or with a JSON error.
//!    The server gives up after about 5 s without a chunk.
//! 3. It sends an empty message as a request; the server then finishes the restore and answers
//!    with the new stream's info (a stream create response) or an error. On a cluster the
//!    followers get the messages from the leader afterwards, and count as current before they
//!    hold them: a consumer placed on one meanwhile sees nothing until its next check.
//!
//! The snapshot's checksum (SHA-256) and size are computed as the bytes go by, for the backup
//! tool to record beside the file.
//!
//! # What the bytes are, and what a restore does not bring back
//!
//! The bytes are S2-compressed: since nats-server 2.15 an archive of the stream's messages and
//! consumers, before a tar of the store's files; a restore takes either.
//! A 2.15 restore stores the messages after the new stream has started, so the stream does not
//! remember the `Nats-Msg-Id`s of its last duplicate window (a message published again is
//! stored again) until its nats-server restarts and rebuilds that table from the messages.

use std::time::Duration;

use bikestore_contracts::Subjects;
use bytes::Bytes;
use futures::StreamExt;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::error::SnapshotError;

mod api;
use api::Api;

const SNAPSHOT: &str = "snapshot";
const RESTORE: &str = "restore";

/// JetStream's error code for "stream not found".
const STREAM_NOT_FOUND: u64 = 10059;

/// JetStream's error code for "stream name already in use, cannot restore".
const STREAM_EXISTS_ON_RESTORE: u64 = 10130;

/// The end-of-snapshot status that means success ("No Content").
const END_OF_SNAPSHOT_OK: u16 = 204;

/// How a snapshot is taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotOptions {
    /// The size of each chunk the server sends; it clamps this to 1 KiB..1 MiB.
    pub chunk_size: usize,
    /// Whether the stream's consumers (and their positions) are part of the snapshot.
    pub include_consumers: bool,
    /// Whether the server checks every message's checksum before it starts (`jsck`). Servers
    /// from 2.15 ignore it: they check each message's checksum as they read it anyway.
    pub check_messages: bool,
    /// How long to wait for the server's reply and for each chunk before giving up.
    pub stall_timeout: Duration,
}

impl Default for SnapshotOptions {
    fn default() -> SnapshotOptions {
        SnapshotOptions {
            chunk_size: 128 * 1024,
            include_consumers: false,
            check_messages: false,
            stall_timeout: Duration::from_secs(30),
        }
    }
}

/// How a snapshot is put back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreOptions {
    /// The size of each chunk sent to the server; never more than the server's `max_payload`.
    pub chunk_size: usize,
    /// How long to wait for the server's reply to the restore request and to each chunk.
    pub stall_timeout: Duration,
    /// How long to wait, after the last chunk, for the server to finish building the stream.
    pub finish_timeout: Duration,
}

impl Default for RestoreOptions {
    fn default() -> RestoreOptions {
        RestoreOptions {
            chunk_size: 128 * 1024,
            stall_timeout: Duration::from_secs(30),
            finish_timeout: Duration::from_secs(300),
        }
    }
}

/// A finished snapshot: what the restore needs besides the bytes, and how to check the bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamSnapshot {
    /// The stream's name.
    pub stream: String,
    /// The stream's configuration, exactly as the server sent it.
    pub config: Value,
    /// The stream's state when the snapshot was taken, exactly as the server sent it.
    pub state: Value,
    /// How many bytes of snapshot were written.
    pub bytes: u64,
    /// The SHA-256 of those bytes, in lower-case hex.
    pub sha256: String,
}

impl StreamSnapshot {
    /// The sequence of the stream's last message when the snapshot was taken.
    pub fn last_sequence(&self) -> Option<u64> {
        last_sequence(&self.state)
    }

    /// How many messages the stream held when the snapshot was taken.
    pub fn message_count(&self) -> Option<u64> {
        message_count(&self.state)
    }
}

/// The sequence of the last message in a stream `state` (`last_seq`).
pub fn last_sequence(state: &Value) -> Option<u64> {
    state.get("last_seq").and_then(Value::as_u64)
}

/// How many messages a stream `state` counts (`messages`).
pub fn message_count(state: &Value) -> Option<u64> {
    state.get("messages").and_then(Value::as_u64)
}

/// The stream name in a stream `config` (`name`).
pub fn stream_name(config: &Value) -> Option<&str> {
    config.get("name").and_then(Value::as_str)
}

/// `config` with `num_replicas` set to `replicas`: a backup of a single server restored onto a
/// 3-node cluster needs 3. A value that is not a JSON object is returned unchanged (the restore
/// then fails on it, naming the problem).
pub fn with_replicas(config: &Value, replicas: usize) -> Value {
    let mut changed = config.clone();
    if let Some(fields) = changed.as_object_mut() {
        fields.insert("num_replicas".to_owned(), Value::from(replicas));
    }
    changed
}

/// Takes a snapshot of `stream` and writes it to `out`, calling `progress` with the bytes
/// written so far after each chunk. Answers the stream's configuration and state with the
/// snapshot's size and SHA-256; `out` is flushed, not closed.
pub async fn snapshot_stream(
    client: &async_nats::Client,
    stream: &str,
    options: &SnapshotOptions,
    out: &mut (impl AsyncWrite + Unpin),
    progress: &mut dyn FnMut(u64),
) -> Result<StreamSnapshot, SnapshotError> {
    let api = Api {
        client,
        stream,
        operation: SNAPSHOT,
    };
    // On a cluster nobody answers a snapshot request for a stream that does not exist.
    api.request(
        Subjects::jetstream_api("STREAM.INFO", stream),
        Bytes::new(),
        options.stall_timeout,
    )
    .await?;

    let deliver_subject = client.new_inbox();
    let mut chunks = client
        .subscribe(deliver_subject.clone())
        .await
        .map_err(|error| api.nats(error))?;
    let request = json!({
        "deliver_subject": deliver_subject,
        "no_consumers": !options.include_consumers,
        "chunk_size": options.chunk_size,
        "jsck": options.check_messages,
    });
    let response = api
        .request(
            Subjects::jetstream_api("STREAM.SNAPSHOT", stream),
            Bytes::from(request.to_string()),
            options.stall_timeout,
        )
        .await?;
    let config = api.field(&response, "config")?;
    let state = api.field(&response, "state")?;

    let mut digest = Sha256::new();
    let mut bytes: u64 = 0;
    let mut next_index: u64 = 1;
    loop {
        let chunk = match tokio::time::timeout(options.stall_timeout, chunks.next()).await {
            Err(_) => return Err(api.stalled(options.stall_timeout)),
            Ok(None) => return Err(api.nats(ConnectionClosed)),
            Ok(Some(chunk)) => chunk,
        };
        if chunk.payload.is_empty() {
            end_of_snapshot(stream, &chunk)?;
            break;
        }
        if let Some(index) = chunk.reply.as_deref().and_then(chunk_index) {
            if index != next_index {
                return Err(SnapshotError::ChunkLost {
                    stream: stream.to_owned(),
                    expected: next_index,
                    received: index,
                });
            }
            next_index += 1;
        }
        out.write_all(&chunk.payload)
            .await
            .map_err(|error| api.io(error))?;
        digest.update(&chunk.payload);
        bytes += chunk.payload.len() as u64;
        progress(bytes);
        // Acknowledged only once written, so a slow writer slows the server down instead of
        // piling chunks up in memory.
        if let Some(reply) = chunk.reply {
            client
                .publish(reply, Bytes::new())
                .await
                .map_err(|error| api.nats(error))?;
        }
    }
    out.flush().await.map_err(|error| api.io(error))?;
    Ok(StreamSnapshot {
        stream: stream.to_owned(),
        config,
        state,
        bytes,
        sha256: lower_hex(&digest.finalize()),
    })
}

/// Restores the stream `config` names from the snapshot bytes read from `input`, with the
/// `state` the snapshot was taken with, calling `progress` with the bytes sent so far after
/// each chunk. Answers the server's final response: the new stream's info (`config`, `state`,
/// `created`), as a stream create response. A stream of that name must not exist.
pub async fn restore_stream(
    client: &async_nats::Client,
    config: &Value,
    state: &Value,
    input: &mut (impl AsyncRead + Unpin),
    options: &RestoreOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<Value, SnapshotError> {
    let stream = stream_name(config).ok_or(SnapshotError::UnnamedConfig)?;
    let api = Api {
        client,
        stream,
        operation: RESTORE,
    };
    let request = json!({ "config": config, "state": state });
    let response = api
        .request(
            Subjects::jetstream_api("STREAM.RESTORE", stream),
            Bytes::from(request.to_string()),
            options.stall_timeout,
        )
        .await?;
    let deliver_subject = response
        .get("deliver_subject")
        .and_then(Value::as_str)
        .ok_or_else(|| api.bad_response("the restore reply names no deliver subject"))?
        .to_owned();

    let max_payload = client.server_info().max_payload;
    let chunk_size = options.chunk_size.min(max_payload).max(1);
    let mut buffer = vec![0_u8; chunk_size];
    let mut sent: u64 = 0;
    loop {
        let filled = fill(input, &mut buffer)
            .await
            .map_err(|error| api.io(error))?;
        if filled == 0 {
            break;
        }
        let chunk = Bytes::copy_from_slice(&buffer[..filled]);
        let ack = api
            .chunk(deliver_subject.clone(), chunk, options.stall_timeout)
            .await?;
        // An acknowledgement is empty; anything else is the server's error.
        if !ack.is_empty() {
            api.parse(&ack)?;
            return Err(api.bad_response("a chunk was answered with something not an error"));
        }
        sent += filled as u64;
        progress(sent);
    }
    let finished = api
        .chunk(deliver_subject, Bytes::new(), options.finish_timeout)
        .await?;
    api.parse(&finished)
}

/// Reads into `buffer` until it is full or the input ends; answers how much it read.
async fn fill(input: &mut (impl AsyncRead + Unpin), buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        let read = input.read(&mut buffer[filled..]).await?;
        if read == 0 {
            break;
        }
        filled += read;
    }
    Ok(filled)
}

/// Whether the empty message that ends the snapshot of `stream` says it ended well.
fn end_of_snapshot(stream: &str, end: &async_nats::Message) -> Result<(), SnapshotError> {
    match end.status {
        None => Ok(()),
        Some(status) if status.as_u16() == END_OF_SNAPSHOT_OK => Ok(()),
        Some(status) => Err(SnapshotError::BrokenOff {
            stream: stream.to_owned(),
            status: status.as_u16(),
            description: end.description.clone().unwrap_or_default(),
        }),
    }
}

/// The index of a snapshot chunk, the last token of its reply subject (`...<length>.<index>`);
/// `None` if the server stops writing it so.
fn chunk_index(reply: &str) -> Option<u64> {
    reply.rsplit('.').next()?.parse().ok()
}

fn lower_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The subscription to the deliver subject ended, which only a closed connection does.
#[derive(Debug, thiserror::Error)]
#[error("the connection closed the subscription to the snapshot's chunks")]
struct ConnectionClosed;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicas_are_set_and_everything_else_is_kept() {
        let config = json!({ "name": "EVENTS", "num_replicas": 1, "subjects": ["a.>"] });
        let raised = with_replicas(&config, 3);
        assert_eq!(raised["num_replicas"], 3);
        assert_eq!(raised["subjects"], config["subjects"]);
        assert_eq!(stream_name(&raised), Some("EVENTS"));
        assert_eq!(with_replicas(&json!([1]), 3), json!([1]), "not an object");
    }

    #[test]
    fn the_state_tells_its_last_sequence_and_message_count() {
        let state = json!({ "messages": 2999, "last_seq": 3000, "first_seq": 2 });
        assert_eq!(last_sequence(&state), Some(3000));
        assert_eq!(message_count(&state), Some(2999));
        assert_eq!(last_sequence(&json!({})), None);
    }

    #[test]
    fn a_chunk_index_is_the_last_token_of_its_reply() {
        assert_eq!(chunk_index("SNAPSHOT.ACK.S.abc.131072.7"), Some(7));
        assert_eq!(chunk_index("_INBOX.abc"), None);
    }

    fn end_marker(status: Option<u16>, description: Option<&str>) -> async_nats::Message {
        async_nats::Message {
            subject: "deliver".into(),
            reply: None,
            payload: Bytes::new(),
            headers: None,
            status: status.map(|code| async_nats::StatusCode::from_u16(code).expect("a status")),
            description: description.map(str::to_owned),
            length: 0,
        }
    }

    #[test]
    fn the_end_marker_says_whether_the_snapshot_is_whole() {
        assert!(end_of_snapshot("S", &end_marker(None, None)).is_ok());
        assert!(end_of_snapshot("S", &end_marker(Some(204), None)).is_ok());
        let broken = end_of_snapshot("S", &end_marker(Some(408), Some("No Flow Response")));
        assert!(
            matches!(&broken, Err(SnapshotError::BrokenOff { status: 408, description, .. })
                if description == "No Flow Response"),
            "{broken:?}"
        );
    }

    #[test]
    fn hex_is_lower_case_and_two_digits_a_byte() {
        assert_eq!(lower_hex(&[0x00, 0x0f, 0xab]), "000fab");
    }
}
