//! Event streams and consumers made by an earlier version are brought up to date in place: the
//! inventory stream gains the live republish of its stores' events, and a durable consumer whose
//! filter subjects changed gets the new ones, each keeping what it held.

use std::time::Duration;

use async_nats::jetstream::{self, stream};
use bikestore_contracts::inventory::StockLow;
use bikestore_contracts::{Event, ServiceName, StoreId, Subjects};
use bikestore_runtime::consumer::DurableConsumer;
use bikestore_runtime::streams;
use bikestore_testkit::NatsServer;
use futures::StreamExt;

const PATIENCE: Duration = Duration::from_secs(20);

/// The inventory event stream as versions before the live republish made it.
fn stream_without_republish(subjects: &Subjects) -> stream::Config {
    stream::Config {
        name: subjects.event_stream(ServiceName::Inventory),
        subjects: vec![subjects.events_of_service(ServiceName::Inventory)],
        storage: stream::StorageType::File,
        duplicate_window: streams::DUPLICATE_WINDOW,
        ..Default::default()
    }
}

#[tokio::test]
async fn an_inventory_stream_made_without_the_live_republish_gets_it_and_keeps_its_events()
-> anyhow::Result<()> {
    let nats = NatsServer::start().await?;
    let client = nats.client().await?;
    let jetstream = jetstream::new(client.clone());
    let subjects = Subjects::default();
    let store = StoreId(1);
    let old = jetstream
        .create_stream(stream_without_republish(&subjects))
        .await?;
    let created = old.cached_info().created;
    jetstream
        .publish(subjects.event_of_store::<StockLow>(store), "before".into())
        .await?
        .await?;

    let mut updated =
        streams::ensure_event_stream(&jetstream, &subjects, ServiceName::Inventory, 1).await?;
    let info = updated.info().await?;
    assert_eq!(info.created, created, "the same stream, not a new one");
    assert_eq!(info.state.messages, 1, "its events are kept");
    let republish = info.config.republish.clone().expect("republishes now");
    let wanted = subjects
        .live_republish(ServiceName::Inventory)
        .expect("inventory republishes");
    assert_eq!(
        (republish.source, republish.destination),
        (wanted.source, wanted.destination)
    );

    // An event stored from now on shows on its store's live subject.
    let mut live = client
        .subscribe(subjects.live_event_of::<StockLow>(Some(store)))
        .await?;
    client.flush().await?;
    jetstream
        .publish(subjects.event_of_store::<StockLow>(store), "after".into())
        .await?
        .await?;
    let message = tokio::time::timeout(PATIENCE, live.next())
        .await?
        .expect("the subscription is open");
    assert_eq!(message.payload.as_ref(), b"after");

    // Ensuring it again changes nothing.
    let again =
        streams::ensure_event_stream(&jetstream, &subjects, ServiceName::Inventory, 1).await?;
    assert_eq!(again.cached_info().created, created);
    assert_eq!(again.cached_info().state.messages, 2);
    Ok(())
}

#[tokio::test]
async fn a_consumer_whose_filter_changed_takes_the_new_subjects_from_where_it_was()
-> anyhow::Result<()> {
    let nats = NatsServer::start().await?;
    let jetstream = jetstream::new(nats.client().await?);
    let subjects = Subjects::default();
    let events =
        streams::ensure_event_stream(&jetstream, &subjects, ServiceName::Inventory, 1).await?;
    let old_subject = subjects.event(ServiceName::Inventory, StockLow::EVENT);
    let consumer_of = |filter: String| DurableConsumer {
        filter_subjects: vec![filter],
        ..DurableConsumer::new(events.cached_info().config.name.clone(), "notifications")
    };

    // An earlier version's consumer reads and acknowledges one event on the old subject.
    let old = consumer_of(old_subject.clone()).ensure(&jetstream).await?;
    jetstream
        .publish(old_subject.clone(), "read before".into())
        .await?
        .await?;
    let mut batch = old
        .batch()
        .max_messages(1)
        .expires(PATIENCE)
        .messages()
        .await?;
    let first = tokio::time::timeout(PATIENCE, batch.next())
        .await?
        .expect("one message")
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    assert_eq!(first.payload.as_ref(), b"read before");
    first
        .double_ack()
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;

    jetstream
        .publish(
            subjects.event_of_store::<StockLow>(StoreId(2)),
            "new".into(),
        )
        .await?
        .await?;
    let new_filter = subjects.event_of_any_store::<StockLow>();
    let mut updated = consumer_of(new_filter.clone()).ensure(&jetstream).await?;
    let info = updated.info().await?;
    assert_eq!(info.config.filter_subjects, vec![new_filter]);
    assert_eq!(info.num_pending, 1, "only the new event is still to read");
    let mut batch = updated
        .batch()
        .max_messages(1)
        .expires(PATIENCE)
        .messages()
        .await?;
    let next = tokio::time::timeout(PATIENCE, batch.next())
        .await?
        .expect("one message")
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    assert_eq!(next.payload.as_ref(), b"new");
    Ok(())
}

#[tokio::test]
async fn more_than_one_replica_on_a_single_node_is_refused_at_once() -> anyhow::Result<()> {
    let nats = NatsServer::start().await?;
    let client = nats.client().await?;
    streams::wait_for_jetstream(&jetstream::new(client.clone())).await?;
    streams::check_replicas_fit(&client, 1)?;
    let refusal = streams::check_replicas_fit(&client, 3)
        .expect_err("a single node keeps one copy")
        .to_string();
    assert!(
        refusal.contains("BIKESTORE_JS_REPLICAS") && refusal.contains("single nats-server"),
        "{refusal}"
    );
    Ok(())
}
