//! The live feeds: the inventory stream republishes a store's stock events to that store's live
//! subjects (`<prefix>.live.<store>.stock_changed`, `.stock_low`) and to no other store's.

use bikestore_codec::ContentType;
use bikestore_contracts::inventory::{AdjustStock, ReceiveStock, StockChanged, StockLow};
use bikestore_contracts::{Message, StoreId};
use bikestore_harness::System;
use futures::{FutureExt, StreamExt};

use crate::support::{READY, fixture, with_service};

/// The next message of `subscriber`, decoded as the JSON the services publish.
async fn next<M: Message>(
    subscriber: &mut async_nats::Subscriber,
) -> anyhow::Result<(async_nats::Message, M)> {
    let message = tokio::time::timeout(READY, subscriber.next())
        .await?
        .ok_or_else(|| anyhow::anyhow!("the subscription ended"))?;
    let decoded = bikestore_codec::decode(ContentType::Json, None, &message.payload, usize::MAX)?;
    Ok((message, decoded))
}

/// The subject the stream stored a republished message under.
fn stored_subject(message: &async_nats::Message) -> Option<String> {
    let headers = message.headers.as_ref()?;
    let subject = headers.get(async_nats::header::NATS_SUBJECT)?;
    Some(subject.as_str().to_owned())
}

async fn receive(
    system: &System,
    store_id: StoreId,
    product_id: bikestore_contracts::ProductId,
    quantity: i64,
) -> anyhow::Result<()> {
    system
        .caller()
        .call(&ReceiveStock {
            store_id,
            product_id,
            quantity,
        })
        .await?;
    Ok(())
}

#[tokio::test]
async fn a_stock_change_of_one_store_is_seen_live_on_that_store_only() -> anyhow::Result<()> {
    let system = with_service().await?;
    let first = fixture(&system, 0).await?;
    let second = fixture(&system, 0).await?;
    let subjects = system.subjects();
    let client = system.client();
    let mut changed = client
        .subscribe(subjects.live_event_of::<StockChanged>(Some(first.store_id)))
        .await?;
    let mut low = client
        .subscribe(subjects.live_event_of::<StockLow>(Some(first.store_id)))
        .await?;
    let mut other_store = client
        .subscribe(subjects.console_live_feeds(Some(second.store_id)))
        .await?;
    client.flush().await?;

    receive(&system, first.store_id, first.product_id, 8).await?;
    system
        .caller()
        .call(&AdjustStock {
            store_id: first.store_id,
            product_id: first.product_id,
            delta: -4,
            reason: "count".into(),
        })
        .await?;
    for on_hand in [8, 4] {
        let (message, event) = next::<StockChanged>(&mut changed).await?;
        assert_eq!(event.level.store_id, first.store_id);
        assert_eq!(event.level.on_hand, on_hand);
        assert_eq!(
            stored_subject(&message),
            Some(subjects.event_of_store::<StockChanged>(first.store_id)),
            "republished from the event the stream keeps"
        );
    }
    let (_, event) = next::<StockLow>(&mut low).await?;
    assert_eq!(
        (event.level.store_id, event.level.available),
        (first.store_id, 4)
    );

    // The other store's change comes after the first store's three events, through the same
    // stream and the same connection: had any of those reached the other store's feed, it
    // would have arrived before this one.
    receive(&system, second.store_id, second.product_id, 1).await?;
    let (message, event) = next::<StockChanged>(&mut other_store).await?;
    assert_eq!(
        message.subject.as_str(),
        subjects.live_event_of::<StockChanged>(Some(second.store_id))
    );
    assert_eq!(event.level.store_id, second.store_id);
    assert!(
        other_store.next().now_or_never().is_none(),
        "the first store's events stay off the second store's live feeds"
    );
    system.stop().await
}
