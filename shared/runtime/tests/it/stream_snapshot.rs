//! Stream snapshots and restores against a real nats-server and a real 3-node cluster: every
//! message comes back with its subject, headers, payload and sequence, the configuration and
//! the replicas with it; an existing stream is never restored over; a missing one says so.

use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream::{self, consumer, stream};
use bikestore_contracts::headers::NATS_MSG_ID;
use bikestore_contracts::inventory::StockLow;
use bikestore_contracts::{ServiceName, StoreId, Subjects};
use bikestore_runtime::SnapshotError;
use bikestore_runtime::stream_snapshot::{self, RestoreOptions, SnapshotOptions, StreamSnapshot};
use bikestore_runtime::streams;
use bikestore_testkit::{NatsOptions, NatsServer, eventually};
use futures::StreamExt;
use sha2::{Digest, Sha256};

const PATIENCE: Duration = Duration::from_secs(20);

/// One stored message, as it must come back.
#[derive(Debug, PartialEq)]
struct Stored {
    sequence: u64,
    subject: String,
    headers: Option<HeaderMap>,
    payload: Vec<u8>,
}

/// Creates the inventory event stream on `nats` with `replicas` and stores `count` events in
/// it, each with its `Nats-Msg-Id`, spread over a few stores' subjects.
async fn stream_with_events(
    nats: &NatsServer,
    jetstream: &jetstream::Context,
    replicas: usize,
    count: usize,
) -> anyhow::Result<stream::Stream> {
    let subjects = Subjects::default();
    let events =
        streams::ensure_event_stream(jetstream, &subjects, ServiceName::Inventory, replicas)
            .await?;
    if replicas > 1 {
        // A publish before the new stream has a leader finds nobody storing its subject.
        nats.wait_until_current(&events.cached_info().config.name)
            .await?;
    }
    let publish = async |index: usize| {
        let mut headers = HeaderMap::new();
        headers.insert(NATS_MSG_ID, format!("event-{index}").as_str());
        let subject = subjects.event_of_store::<StockLow>(StoreId(index as i64 % 7));
        jetstream
            .publish_with_headers(subject, headers, format!("payload {index}").into())
            .await
    };
    let sent_first = count > 0 && replicas > 1;
    if sent_first {
        // The stream's subjects reach the node this client talks to a moment after the stream
        // has a leader, and a publish before that finds no stream. The first one is sent
        // until it lands; its message ID makes a repeat a duplicate the stream drops.
        eventually("the first event to be stored", PATIENCE, async || {
            publish(0).await.ok()?.await.ok()
        })
        .await?;
    }
    let mut acks = Vec::with_capacity(count);
    for index in usize::from(sent_first)..count {
        acks.push(publish(index).await?);
    }
    for ack in acks {
        ack.await?;
    }
    Ok(events)
}

/// Every message of `stream`, in order, read by an ordered consumer.
async fn read_all(stream: &stream::Stream, count: usize) -> anyhow::Result<Vec<Stored>> {
    let reader = stream
        .create_consumer(consumer::pull::OrderedConfig::default())
        .await?;
    let mut messages = reader.messages().await?;
    let mut stored = Vec::with_capacity(count);
    while stored.len() < count {
        let message = tokio::time::timeout(PATIENCE, messages.next())
            .await?
            .expect("the ordered consumer goes on")
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        let info = message.info().map_err(|error| anyhow::anyhow!("{error}"))?;
        stored.push(Stored {
            sequence: info.stream_sequence,
            subject: message.subject.to_string(),
            headers: message.headers.clone(),
            payload: message.payload.to_vec(),
        });
    }
    Ok(stored)
}

/// Snapshot chunks small enough that even a small stream takes many, each acknowledged.
const SMALL_CHUNKS: usize = 4 * 1024;

/// Takes a snapshot of `name` into a file in `folder` in [`SMALL_CHUNKS`], checking the progress
/// reports on the way; answers the snapshot and the file's bytes, read back from disk.
async fn snapshot_to_file(
    client: &async_nats::Client,
    name: &str,
    folder: &std::path::Path,
) -> anyhow::Result<(StreamSnapshot, Vec<u8>)> {
    let mut written = Vec::new();
    let mut reports = Vec::new();
    let options = SnapshotOptions {
        chunk_size: SMALL_CHUNKS,
        ..SnapshotOptions::default()
    };
    let snapshot =
        stream_snapshot::snapshot_stream(client, name, &options, &mut written, &mut |bytes| {
            reports.push(bytes)
        })
        .await?;
    assert!(reports.is_sorted(), "progress only grows: {reports:?}");
    assert_eq!(reports.last(), Some(&snapshot.bytes));
    assert_eq!(
        reports.len() as u64,
        snapshot.bytes.div_ceil(SMALL_CHUNKS as u64),
        "one report a chunk"
    );
    let path = folder.join(format!("{name}.snapshot"));
    let file = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<u8>> {
        std::fs::write(&path, &written)?;
        std::fs::read(&path)
    })
    .await??;
    Ok((snapshot, file))
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[tokio::test]
async fn a_deleted_stream_comes_back_from_its_snapshot_with_every_message() -> anyhow::Result<()> {
    let nats = NatsServer::start().await?;
    let client = nats.client().await?;
    let jetstream = jetstream::new(client.clone());
    let mut events = stream_with_events(&nats, &jetstream, 1, 3000).await?;
    // A gap in the sequence must come back as a gap.
    events.delete_message(10).await?;
    let before_info = events.info().await?.clone();
    let name = before_info.config.name.clone();
    let before = read_all(&events, 2999).await?;
    let folder = tempfile::tempdir()?;

    let (snapshot, file) = snapshot_to_file(&client, &name, folder.path()).await?;
    assert_eq!(snapshot.bytes, file.len() as u64);
    assert_eq!(snapshot.sha256, sha256_hex(&file));
    assert_eq!(snapshot.last_sequence(), Some(3000));
    assert_eq!(snapshot.message_count(), Some(2999));
    assert_eq!(snapshot.config["name"], name.as_str());

    assert!(snapshot.bytes > 10 * SMALL_CHUNKS as u64, "many chunks");

    jetstream.delete_stream(&name).await?;
    let mut reports = Vec::new();
    let odd_chunks = RestoreOptions {
        chunk_size: 3000,
        ..RestoreOptions::default()
    };
    let restored = stream_snapshot::restore_stream(
        &client,
        &snapshot.config,
        &snapshot.state,
        &mut file.as_slice(),
        &odd_chunks,
        &mut |bytes| reports.push(bytes),
    )
    .await?;
    assert_eq!(reports.last(), Some(&snapshot.bytes), "every byte was sent");
    assert_eq!(reports.len() as u64, snapshot.bytes.div_ceil(3000));
    assert_eq!(
        stream_snapshot::last_sequence(&restored["state"]),
        Some(3000)
    );

    let mut back = jetstream.get_stream(&name).await?;
    let after_info = back.info().await?.clone();
    assert_eq!(after_info.config, before_info.config);
    assert_eq!(after_info.state.messages, 2999);
    assert_eq!(after_info.state.last_sequence, 3000);
    let after = read_all(&back, 2999).await?;
    assert_eq!(after.len(), before.len());
    assert!(after == before, "every message comes back as it was");
    assert_eq!(after[9].sequence, 11, "the deleted message stays deleted");

    // The restored stream goes on from where it was.
    let next = jetstream
        .publish(
            Subjects::default().event_of_store::<StockLow>(StoreId(1)),
            "after the restore".into(),
        )
        .await?
        .await?;
    assert_eq!(next.sequence, 3001);
    Ok(())
}

#[tokio::test]
async fn a_restore_onto_a_stream_that_exists_is_refused_and_leaves_it_alone() -> anyhow::Result<()>
{
    let nats = NatsServer::start().await?;
    let client = nats.client().await?;
    let jetstream = jetstream::new(client.clone());
    let mut events = stream_with_events(&nats, &jetstream, 1, 50).await?;
    let before = events.info().await?.clone();
    let name = before.config.name.clone();
    let folder = tempfile::tempdir()?;
    let (snapshot, file) = snapshot_to_file(&client, &name, folder.path()).await?;
    // The stream moves on after its snapshot; a refused restore must not take it back.
    jetstream
        .publish(
            Subjects::default().event_of_store::<StockLow>(StoreId(1)),
            "after the snapshot".into(),
        )
        .await?
        .await?;

    let refused = stream_snapshot::restore_stream(
        &client,
        &snapshot.config,
        &snapshot.state,
        &mut file.as_slice(),
        &RestoreOptions::default(),
        &mut |_| {},
    )
    .await
    .expect_err("the stream exists");
    let SnapshotError::StreamExists {
        stream,
        description,
    } = &refused
    else {
        anyhow::bail!("expected StreamExists, got {refused:?}");
    };
    assert_eq!(stream, &name);
    assert!(description.contains("already in use"), "{description}");
    assert!(refused.to_string().contains(&name), "{refused}");

    let after = events.info().await?.clone();
    assert_eq!(after.created, before.created, "the same stream");
    assert_eq!(after.state.messages, 51);
    assert_eq!(after.state.last_sequence, 51);
    Ok(())
}

#[tokio::test]
async fn a_replicated_stream_comes_back_on_a_cluster_with_its_replicas() -> anyhow::Result<()> {
    let nats = NatsServer::start_with(NatsOptions::cluster()).await?;
    let client = nats.client().await?;
    let jetstream = jetstream::new(client.clone());
    let mut events = stream_with_events(&nats, &jetstream, 3, 500).await?;
    let name = events.info().await?.config.name.clone();
    let before = read_all(&events, 500).await?;
    let folder = tempfile::tempdir()?;
    let (snapshot, file) = snapshot_to_file(&client, &name, folder.path()).await?;
    assert_eq!(snapshot.config["num_replicas"], 3);

    jetstream.delete_stream(&name).await?;
    nats.wait_until_no_node_holds(&name).await?;
    let config = stream_snapshot::with_replicas(&snapshot.config, 3);
    stream_snapshot::restore_stream(
        &client,
        &config,
        &snapshot.state,
        &mut file.as_slice(),
        &RestoreOptions::default(),
        &mut |_| {},
    )
    .await?;

    let mut back = jetstream.get_stream(&name).await?;
    assert_eq!(back.info().await?.config.num_replicas, 3);
    // The other two replicas catch up from the leader after the restore, out of band: they
    // count as current before they hold the messages, and a consumer placed on one of them
    // meanwhile waits for its next heartbeat check (seconds) to see them.
    nats.wait_until_every_node_holds(&name, 500).await?;
    let current = eventually("both followers current", PATIENCE, async || {
        let info = back.info().await.ok()?;
        let cluster = info.cluster.as_ref()?;
        let followers = &cluster.replicas;
        (cluster.leader.is_some()
            && followers.len() == 2
            && followers.iter().all(|follower| follower.current))
        .then_some(followers.len())
    })
    .await?;
    assert_eq!(current, 2);
    let after = read_all(&back, 500).await?;
    assert!(after == before, "every message comes back as it was");
    Ok(())
}

#[tokio::test]
async fn a_snapshot_of_a_stream_that_does_not_exist_says_so() -> anyhow::Result<()> {
    let nats = NatsServer::start().await?;
    let client = nats.client().await?;
    let mut written = Vec::new();
    let missing = stream_snapshot::snapshot_stream(
        &client,
        "NO_SUCH_STREAM",
        &SnapshotOptions::default(),
        &mut written,
        &mut |_| {},
    )
    .await
    .expect_err("no such stream");
    assert!(
        matches!(&missing, SnapshotError::StreamNotFound { stream } if stream == "NO_SUCH_STREAM"),
        "{missing:?}"
    );
    assert_eq!(missing.to_string(), "stream NO_SUCH_STREAM does not exist");
    assert!(written.is_empty());
    Ok(())
}

/// `len` bytes that S2 cannot compress, so a snapshot of them is about as large.
fn incompressible(len: usize, seed: u64) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(len + 32);
    let mut block = Sha256::digest(seed.to_le_bytes());
    while bytes.len() < len {
        bytes.extend_from_slice(&block);
        block = Sha256::digest(block);
    }
    bytes.truncate(len);
    bytes
}

#[tokio::test]
async fn a_snapshot_whose_server_goes_silent_stalls_with_a_typed_error() -> anyhow::Result<()> {
    let mut nats = NatsServer::start().await?;
    let client = nats.client().await?;
    let jetstream = jetstream::new(client.clone());
    let events = stream_with_events(&nats, &jetstream, 1, 0).await?;
    let name = events.cached_info().config.name.clone();
    // More than the 8 MiB the server sends ahead of acknowledgements, so that a server killed
    // after the first chunk leaves the snapshot unfinished.
    let subject = Subjects::default().event_of_store::<StockLow>(StoreId(1));
    for seed in 0..96 {
        jetstream
            .publish(subject.clone(), incompressible(100 * 1024, seed).into())
            .await?
            .await?;
    }

    let options = SnapshotOptions {
        chunk_size: 64 * 1024,
        stall_timeout: Duration::from_secs(1),
        ..SnapshotOptions::default()
    };
    let mut written = Vec::new();
    let started = tokio::time::Instant::now();
    let stalled =
        stream_snapshot::snapshot_stream(&client, &name, &options, &mut written, &mut |_| {
            nats.kill()
        })
        .await
        .expect_err("the server is gone");
    assert!(
        matches!(&stalled, SnapshotError::Stalled { stream, waited, .. }
            if stream == &name && *waited == Duration::from_secs(1)),
        "{stalled:?}"
    );
    assert!(
        started.elapsed() < PATIENCE,
        "it gave up instead of hanging"
    );
    assert!(!written.is_empty() && written.len() < 96 * 100 * 1024);
    Ok(())
}
