//! The stream parts: a JetStream snapshot of each event, audit and dead-letter stream
//! (messages only; consumers start again from the beginning, see [`crate::plan`]), and their
//! restore onto an empty server, followed by the removal of events newer than their
//! producer's database copy.

use std::path::Path;
use std::time::Duration;

use async_nats::jetstream;
use bikestore_contracts::Subjects;
use bikestore_runtime::SnapshotError;
use bikestore_runtime::stream_snapshot::{self, RestoreOptions, SnapshotOptions};

use crate::error::BackupError;
use crate::manifest::{FileSum, Part, sum_file};
use crate::plan;
use crate::progress::{Progress, Unit};

/// The folder of the stream snapshots in a backup folder.
pub const STREAMS_DIR: &str = "streams";

/// JetStream's refusals of a new stream that a moment cures: no suitable peers for placement
/// (a node counted offline) and JetStream temporarily unavailable (no meta leader yet).
const PLACEMENT_NOT_YET: [u64; 2] = [10005, 10008];

/// How long a restore asks again after such a refusal.
const PLACEMENT_PATIENCE: Duration = Duration::from_secs(30);

/// Snapshots every stream of [`plan::streams`] into `dir`/streams.
pub async fn snapshot_all(
    client: &async_nats::Client,
    subjects: &Subjects,
    dir: &Path,
) -> Result<Vec<Part>, BackupError> {
    let folder = dir.join(STREAMS_DIR);
    std::fs::create_dir_all(&folder).map_err(|error| BackupError::io(&folder, error))?;
    let jetstream = jetstream::new(client.clone());
    let options = SnapshotOptions::default();
    let mut parts = Vec::new();
    for stream in plan::streams(subjects) {
        let expected = state(&jetstream, &stream).await?.bytes;
        let relative = format!("{STREAMS_DIR}/{stream}.snapshot");
        let path = dir.join(&relative);
        let mut file = tokio::fs::File::create_new(&path)
            .await
            .map_err(|error| BackupError::io(&path, error))?;
        let mut progress = Progress::start(format!("stream {stream}"), Unit::Bytes, expected);
        let snapshot =
            stream_snapshot::snapshot_stream(client, &stream, &options, &mut file, &mut |bytes| {
                progress.set(bytes)
            })
            .await
            .map_err(|source| BackupError::Snapshot {
                stream: stream.clone(),
                source,
            })?;
        file.sync_all()
            .await
            .map_err(|error| BackupError::io(&path, error))?;
        let file = FileSum {
            path: relative,
            bytes: snapshot.bytes,
            sha256: snapshot.sha256.clone(),
        };
        // The checksum the snapshot computed as it wrote must be the file's.
        let written = sum_file(dir, &file.path)?;
        if written != file {
            return Err(BackupError::Unusable(format!(
                "stream {stream}: the snapshot file does not read back as written"
            )));
        }
        progress.finish(&format!(
            "{} messages, {} compressed",
            snapshot.state["messages"].as_u64().unwrap_or(0),
            crate::progress::human_bytes(file.bytes)
        ));
        parts.push(Part::Stream {
            stream,
            file,
            config: snapshot.config,
            state: snapshot.state,
        });
    }
    Ok(parts)
}

/// A stream's state (messages, bytes, last sequence) now.
pub async fn state(
    jetstream: &jetstream::Context,
    stream: &str,
) -> Result<jetstream::stream::State, BackupError> {
    let mut found = jetstream.get_stream(stream).await.map_err(|error| {
        BackupError::nats(
            format!("find stream {stream} (is every service running?)"),
            error,
        )
    })?;
    let info = found
        .info()
        .await
        .map_err(|error| BackupError::nats(format!("read stream {stream}"), error))?;
    Ok(info.state.clone())
}

/// Restores one stream part with `replicas` copies; the stream must not exist yet.
pub async fn restore(
    client: &async_nats::Client,
    dir: &Path,
    part: &Part,
    replicas: usize,
) -> Result<(), BackupError> {
    let Part::Stream {
        stream,
        file,
        config,
        state,
    } = part
    else {
        return Ok(());
    };
    let path = dir.join(&file.path);
    let mut progress = Progress::start(format!("stream {stream}"), Unit::Bytes, file.bytes);
    let config = stream_snapshot::with_replicas(config, replicas);
    let mut pause = Duration::from_millis(200);
    let started = std::time::Instant::now();
    loop {
        let mut input = tokio::fs::File::open(&path)
            .await
            .map_err(|error| BackupError::io(&path, error))?;
        let restored = stream_snapshot::restore_stream(
            client,
            &config,
            state,
            &mut input,
            &RestoreOptions::default(),
            &mut |bytes| progress.set(bytes),
        )
        .await;
        match restored {
            Ok(_) => break,
            // Refused before anything was made: a cluster that counts a node as offline
            // (a missed heartbeat, a node still starting) places the stream a moment later.
            Err(SnapshotError::Refused { err_code, .. })
                if PLACEMENT_NOT_YET.contains(&err_code)
                    && started.elapsed() < PLACEMENT_PATIENCE =>
            {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
            }
            Err(source) => {
                return Err(BackupError::Snapshot {
                    stream: stream.clone(),
                    source,
                });
            }
        }
    }
    progress.finish(&format!(
        "{} messages",
        state["messages"].as_u64().unwrap_or(0)
    ));
    Ok(())
}

/// Removes from a database's event stream the events its producer made after the copy.
pub async fn remove_events_newer_than_copy(
    jetstream: &jetstream::Context,
    part: &Part,
) -> Result<u64, BackupError> {
    let Part::Database {
        service,
        outbox_sequence,
        events: Some(events),
        ..
    } = part
    else {
        return Ok(0);
    };
    let removed = bikestore_runtime::phantom_events::remove_events_newer_than_copy(
        jetstream,
        &events.stream,
        events.last_sequence,
        *outbox_sequence,
    )
    .await?;
    if removed > 0 {
        eprintln!(
            "stream {}: removed {removed} events {service} made after its database was copied",
            events.stream
        );
    }
    Ok(removed)
}
