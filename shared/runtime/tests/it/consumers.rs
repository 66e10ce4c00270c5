//! Durable consumers: bounded redelivery into the dead-letter stream, replay, and recovery
//! after a nats-server restart.

use std::time::Duration;

use async_nats::jetstream;
use bikestore_contracts::{ServiceName, Subjects};
use bikestore_runtime::consumer::{self, Disposition, DurableConsumer};
use bikestore_runtime::shutdown::Shutdown;
use bikestore_runtime::{dead_letters, streams};
use bikestore_testkit::{NatsServer, eventually};
use tokio::sync::mpsc;

const PATIENCE: Duration = Duration::from_secs(20);

fn test_consumer(subjects: &Subjects, name: &str, max_deliver: i64) -> DurableConsumer {
    DurableConsumer {
        max_deliver,
        ack_wait: Duration::from_secs(1),
        ..DurableConsumer::new(subjects.event_stream(ServiceName::Inventory), name)
    }
}

#[tokio::test]
async fn a_message_past_max_deliver_becomes_a_dead_letter_that_can_be_replayed()
-> anyhow::Result<()> {
    let nats = NatsServer::start().await?;
    let jetstream = jetstream::new(nats.client().await?);
    let subjects = Subjects::default();
    streams::ensure_event_stream(&jetstream, &subjects, ServiceName::Inventory, 1).await?;
    dead_letters::ensure_stream(&jetstream, &subjects, 1).await?;

    let (trigger, shutdown) = Shutdown::new();
    let (deliveries, mut delivered) = mpsc::channel(16);
    let failing = tokio::spawn(consumer::run(
        jetstream.clone(),
        test_consumer(&subjects, "always-fails", 2),
        shutdown,
        move |message: jetstream::Message| {
            let deliveries = deliveries.clone();
            async move {
                let _ = deliveries.send(message.payload.clone()).await;
                Disposition::Retry(Duration::from_millis(10))
            }
        },
    ));
    let subject = subjects.event(ServiceName::Inventory, "stock_changed");
    jetstream
        .publish(subject.clone(), "poison".into())
        .await?
        .await?;
    for _ in 0..2 {
        let payload = tokio::time::timeout(PATIENCE, delivered.recv())
            .await?
            .unwrap();
        assert_eq!(&payload[..], b"poison");
    }
    let letters = eventually("the max-deliveries advisory", PATIENCE, async || {
        let letters = dead_letters::list(&jetstream, &subjects, 10).await.ok()?;
        (!letters.is_empty()).then_some(letters)
    })
    .await?;
    trigger.trigger();
    failing.await?;
    assert_eq!(letters.len(), 1);
    let letter = &letters[0];
    assert_eq!(letter.consumer, "always-fails");
    assert_eq!(letter.deliveries, 2);
    assert_eq!(letter.subject.as_deref(), Some(subject.as_str()));
    assert_eq!(letter.payload.as_deref(), Some(&b"poison"[..]));

    dead_letters::replay(&jetstream, &subjects, letter.id).await?;
    assert!(
        dead_letters::list(&jetstream, &subjects, 10)
            .await?
            .is_empty()
    );
    let mut events = jetstream
        .get_stream(subjects.event_stream(ServiceName::Inventory))
        .await?;
    assert_eq!(
        events.info().await?.state.messages,
        2,
        "the replay is a new message"
    );
    Ok(())
}

#[tokio::test]
async fn a_consumer_carries_on_after_the_server_restarts() -> anyhow::Result<()> {
    let mut nats = NatsServer::start().await?;
    let client = bikestore_runtime::connect::connect(&nats.url(), "consumer-test").await?;
    let jetstream = jetstream::new(client);
    let subjects = Subjects::default();
    streams::ensure_event_stream(&jetstream, &subjects, ServiceName::Inventory, 1).await?;

    let (trigger, shutdown) = Shutdown::new();
    let (deliveries, mut delivered) = mpsc::channel(64);
    let running = tokio::spawn(consumer::run(
        jetstream.clone(),
        test_consumer(&subjects, "survivor", 5),
        shutdown,
        move |message: jetstream::Message| {
            let deliveries = deliveries.clone();
            async move {
                let _ = deliveries.send(message.payload.clone()).await;
                Disposition::Ack
            }
        },
    ));
    let subject = subjects.event(ServiceName::Inventory, "stock_changed");
    let mut seen = std::collections::BTreeSet::new();
    for round in 0..2 {
        for index in 0..5 {
            let body = format!("{round}-{index}");
            eventually("a publish to be acknowledged", PATIENCE, async || {
                jetstream
                    .publish(subject.clone(), body.clone().into())
                    .await
                    .ok()?
                    .await
                    .ok()
            })
            .await?;
        }
        while seen.len() < (round + 1) * 5 {
            let payload = tokio::time::timeout(PATIENCE, delivered.recv())
                .await?
                .unwrap();
            seen.insert(String::from_utf8(payload.to_vec())?);
        }
        if round == 0 {
            nats.restart().await?;
        }
    }
    assert_eq!(seen.len(), 10);
    trigger.trigger();
    running.await?;
    Ok(())
}

#[tokio::test]
async fn a_batched_consumer_takes_what_has_arrived_at_once_in_order_and_acknowledges_each()
-> anyhow::Result<()> {
    let nats = NatsServer::start().await?;
    let jetstream = jetstream::new(nats.client().await?);
    let subjects = Subjects::default();
    streams::ensure_event_stream(&jetstream, &subjects, ServiceName::Inventory, 1).await?;
    // Forty events wait before the consumer starts, so they arrive together.
    let subject = subjects.event(ServiceName::Inventory, "stock_changed");
    for number in 0..40_u32 {
        jetstream
            .publish(subject.clone(), number.to_string().into())
            .await?
            .await?;
    }

    let (trigger, shutdown) = Shutdown::new();
    let (batches, mut handled) = mpsc::channel(64);
    let definition = DurableConsumer {
        max_ack_pending: Some(64),
        ..test_consumer(&subjects, "batched", 5)
    };
    let consuming = tokio::spawn(consumer::run_batched(
        jetstream.clone(),
        definition,
        16,
        shutdown,
        move |messages: std::sync::Arc<[jetstream::Message]>| {
            let batches = batches.clone();
            async move {
                let payloads: Vec<String> = messages
                    .iter()
                    .map(|message| String::from_utf8_lossy(&message.payload).into_owned())
                    .collect();
                // The first delivery of event 7 is put back: it comes again, later.
                let dispositions = messages
                    .iter()
                    .map(|message| {
                        let first = message.info().map_or(true, |info| info.delivered == 1);
                        if &message.payload[..] == b"7" && first {
                            Disposition::Retry(Duration::from_millis(10))
                        } else {
                            Disposition::Ack
                        }
                    })
                    .collect();
                let _ = batches.send(payloads).await;
                dispositions
            }
        },
    ));

    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    while seen.len() < 41 {
        let batch = tokio::time::timeout(PATIENCE, handled.recv())
            .await?
            .ok_or_else(|| anyhow::anyhow!("the consumer stopped"))?;
        sizes.push(batch.len());
        seen.extend(batch);
    }
    assert!(
        sizes.iter().all(|size| (1..=16).contains(size)),
        "batches of {sizes:?}"
    );
    assert!(
        sizes.iter().any(|size| *size > 1),
        "events that had arrived came one at a time: {sizes:?}"
    );
    let first_pass: Vec<String> = seen.iter().take(40).cloned().collect();
    let expected: Vec<String> = (0..40).map(|number: u32| number.to_string()).collect();
    assert_eq!(first_pass, expected, "in the stream's order");
    assert_eq!(seen[40], "7", "the event put back comes again");
    let pending = eventually("every event acknowledged", PATIENCE, async || {
        let events = jetstream
            .get_stream(subjects.event_stream(ServiceName::Inventory))
            .await
            .ok()?;
        let info = events.consumer_info("batched").await.ok()?;
        (info.num_ack_pending == 0 && info.num_pending == 0).then_some(info.num_ack_pending)
    })
    .await?;
    assert_eq!(pending, 0);
    trigger.trigger();
    consuming.await?;
    Ok(())
}

#[tokio::test]
async fn a_batch_whose_handler_panics_comes_again_and_the_consumer_carries_on() -> anyhow::Result<()>
{
    let nats = NatsServer::start().await?;
    let jetstream = jetstream::new(nats.client().await?);
    let subjects = Subjects::default();
    streams::ensure_event_stream(&jetstream, &subjects, ServiceName::Inventory, 1).await?;
    let subject = subjects.event(ServiceName::Inventory, "stock_changed");
    jetstream
        .publish(subject.clone(), "first".into())
        .await?
        .await?;

    let (trigger, shutdown) = Shutdown::new();
    let (handled, mut seen) = mpsc::channel(16);
    let consuming = tokio::spawn(consumer::run_batched(
        jetstream.clone(),
        test_consumer(&subjects, "panics-once", 5),
        16,
        shutdown,
        move |messages: std::sync::Arc<[jetstream::Message]>| {
            let handled = handled.clone();
            async move {
                let first_delivery = messages
                    .iter()
                    .any(|message| message.info().is_ok_and(|info| info.delivered == 1));
                if first_delivery && &messages[0].payload[..] == b"first" {
                    panic!("a handler bug");
                }
                for message in messages.iter() {
                    let _ = handled.send(message.payload.clone()).await;
                }
                vec![Disposition::Ack; messages.len()]
            }
        },
    ));
    let again = tokio::time::timeout(PATIENCE, seen.recv()).await?;
    assert_eq!(again.as_deref(), Some(&b"first"[..]), "put back, not lost");
    jetstream
        .publish(subject.clone(), "second".into())
        .await?
        .await?;
    let next = tokio::time::timeout(PATIENCE, seen.recv()).await?;
    assert_eq!(
        next.as_deref(),
        Some(&b"second"[..]),
        "the consumer carries on"
    );
    trigger.trigger();
    consuming.await?;
    Ok(())
}
