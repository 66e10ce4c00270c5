//! The outbox relay rides out a nats-server that dies while it publishes: events written
//! before, during and after the outage all reach the stream, each exactly once, each carrying
//! the sequence of its outbox row and the trace of the command that wrote it, and the outbox
//! empties. And a row that came through no hand-over from the writer (another process's) is
//! published even while commands keep the relay from ever being idle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer};
use bikestore_codec::ContentType;
use bikestore_contracts::trace_context::TraceParent;
use bikestore_contracts::{ServiceName, Subjects, headers};
use bikestore_runtime::shutdown::{Shutdown, ShutdownTrigger};
use bikestore_runtime::{ServiceDb, relay, streams};
use bikestore_storage::outbox::{self, OutboxMessage};
use bikestore_storage::{Database, DatabaseOptions, StorageError};
use bikestore_testkit::{NatsServer, eventually};
use futures::StreamExt;
use tokio::task::JoinHandle;

const PATIENCE: Duration = Duration::from_secs(60);
/// Events written in each of the three periods: before the kill, while the server is away,
/// after it is back.
const PER_PERIOD: usize = 300;

#[tokio::test]
async fn the_relay_publishes_every_event_once_through_a_killed_server() -> anyhow::Result<()> {
    let mut nats = NatsServer::start().await?;
    let jetstream = jetstream::new(nats.client().await?);
    let subjects = Subjects::default();
    let stream =
        streams::ensure_event_stream(&jetstream, &subjects, ServiceName::Inventory, 1).await?;
    let folder = tempfile::tempdir()?;
    let (db, trigger, relay) =
        start_relay(&jetstream, &subjects, folder.path().join("relay.sqlite")).await?;

    let subject = subjects.event(ServiceName::Inventory, "stock_changed");
    let mut written = BTreeSet::new();
    // A fresh database numbers its outbox rows from 1 in the order they are written.
    let mut outbox_sequences = BTreeMap::new();
    let mut traceparents = BTreeMap::new();
    for period in 0..3 {
        match period {
            1 => nats.kill(),
            2 => nats.restart().await?,
            _ => {}
        }
        for number in 0..PER_PERIOD {
            let message_id = format!("event-{period}-{number}");
            let traceparent = TraceParent::new_root().to_string();
            write_event(&db, &subject, &message_id, &traceparent).await?;
            outbox_sequences.insert(message_id.clone(), written.len() as i64 + 1);
            traceparents.insert(message_id.clone(), traceparent);
            written.insert(message_id);
        }
    }

    let mut stream = stream;
    eventually("the stream to hold every event", PATIENCE, async || {
        let info = stream.info().await.ok()?;
        (info.state.messages >= written.len() as u64).then_some(())
    })
    .await?;
    let left = eventually("the outbox to empty", PATIENCE, async || {
        let left = db.query(outbox::count).await.ok()?;
        (left == 0).then_some(left)
    })
    .await?;
    assert_eq!(left, 0);

    let reader = stream
        .create_consumer(consumer::pull::OrderedConfig::default())
        .await?;
    let mut messages = reader.messages().await?;
    let mut published = Vec::new();
    while published.len() < written.len() {
        let message = tokio::time::timeout(PATIENCE, messages.next())
            .await?
            .ok_or_else(|| anyhow::anyhow!("the stream ended"))??;
        let message_headers = message
            .headers
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("an event without headers"))?;
        let message_id = message_headers
            .get(headers::NATS_MSG_ID)
            .map(|message_id| message_id.to_string())
            .ok_or_else(|| anyhow::anyhow!("an event without its message ID"))?;
        let outbox_sequence: i64 = message_headers
            .get(headers::OUTBOX_SEQUENCE)
            .ok_or_else(|| anyhow::anyhow!("event {message_id} without its outbox sequence"))?
            .as_str()
            .parse()?;
        assert_eq!(
            Some(&outbox_sequence),
            outbox_sequences.get(&message_id),
            "event {message_id} carries the sequence of its outbox row"
        );
        assert_eq!(
            message_headers
                .get(headers::TRACEPARENT)
                .map(|value| value.as_str()),
            traceparents.get(&message_id).map(String::as_str),
            "event {message_id} carries the trace of its command"
        );
        published.push(message_id);
    }
    let info = stream.info().await?;
    assert_eq!(
        info.state.messages,
        written.len() as u64,
        "each event once in the stream"
    );
    let distinct: BTreeSet<String> = published.iter().cloned().collect();
    assert_eq!(distinct.len(), published.len(), "no event twice");
    assert_eq!(distinct, written, "every event published");

    trigger.trigger();
    relay.await?;
    Ok(())
}

/// Opens inventory's database at `path` and starts its relay; stop it with the trigger.
async fn start_relay(
    jetstream: &jetstream::Context,
    subjects: &Subjects,
    path: PathBuf,
) -> anyhow::Result<(Arc<ServiceDb>, ShutdownTrigger, JoinHandle<()>)> {
    let database = tokio::task::spawn_blocking(move || {
        Database::open(&path, &[], &DatabaseOptions::default())
    })
    .await??;
    let db = Arc::new(ServiceDb::new(
        ServiceName::Inventory,
        database,
        subjects.clone(),
        None,
    ));
    let (trigger, shutdown) = Shutdown::new();
    let relay = tokio::spawn(relay::run(
        Arc::clone(&db),
        jetstream.clone(),
        shutdown,
        Duration::from_secs(5),
    ));
    Ok((db, trigger, relay))
}

/// Writes one event to the outbox, as a command's transaction does, and wakes the relay.
async fn write_event(
    db: &ServiceDb,
    subject: &str,
    message_id: &str,
    traceparent: &str,
) -> anyhow::Result<()> {
    let message = OutboxMessage {
        sequence: 0,
        message_id: message_id.to_owned(),
        subject: subject.to_owned(),
        content_type: ContentType::Json.header_value().to_owned(),
        schema_version: 1,
        payload: b"{}".to_vec(),
        created_at_ms: bikestore_runtime::now_ms(),
        traceparent: Some(traceparent.to_owned()),
    };
    db.database()
        .write(move |connection| outbox::push(connection, message))
        .await
        .map_err(|error: StorageError| anyhow::anyhow!(error))?;
    db.outbox_ready().notify_one();
    Ok(())
}

/// A row that reaches no hand-over (another process wrote it) is published even while
/// commands that write no event keep waking the relay, so that it is never idle.
#[tokio::test]
async fn a_row_another_process_wrote_is_published_while_commands_keep_the_relay_busy()
-> anyhow::Result<()> {
    let nats = NatsServer::start().await?;
    let jetstream = jetstream::new(nats.client().await?);
    let subjects = Subjects::default();
    let mut stream =
        streams::ensure_event_stream(&jetstream, &subjects, ServiceName::Inventory, 1).await?;
    let folder = tempfile::tempdir()?;
    let path = folder.path().join("relay.sqlite");
    let (db, trigger, relay) = start_relay(&jetstream, &subjects, path.clone()).await?;
    let subject = subjects.event(ServiceName::Inventory, "stock_changed");
    let published = async |stream: &mut jetstream::stream::Stream, count: u64| {
        let info = stream.info().await.ok()?;
        (info.state.messages >= count).then_some(())
    };
    let traceparent = TraceParent::new_root().to_string();
    write_event(&db, &subject, "through-the-writer", &traceparent).await?;
    eventually("the writer's event to be published", PATIENCE, async || {
        published(&mut stream, 1).await
    })
    .await?;

    let elsewhere = OutboxMessage {
        sequence: 0,
        message_id: "elsewhere".to_owned(),
        subject: subject.clone(),
        content_type: ContentType::Json.header_value().to_owned(),
        schema_version: 1,
        payload: b"{}".to_vec(),
        created_at_ms: bikestore_runtime::now_ms(),
        traceparent: None,
    };
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let other_process = rusqlite::Connection::open(&path)?;
        other_process.busy_timeout(Duration::from_secs(5))?;
        outbox::push(&other_process, elsewhere)?;
        Ok(())
    })
    .await??;
    let busy_db = Arc::clone(&db);
    let commands_without_events = tokio::spawn(async move {
        loop {
            let _ = busy_db
                .database()
                .write(|_| Ok::<(), StorageError>(()))
                .await;
            busy_db.outbox_ready().notify_one();
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let seen = eventually(
        "the other process's event to be published",
        Duration::from_secs(15),
        async || published(&mut stream, 2).await,
    )
    .await;
    commands_without_events.abort();
    seen?;

    trigger.trigger();
    relay.await?;
    Ok(())
}
