//! A poison event (unreadable, or of an unknown schema version) is retried up to the consumer's
//! delivery limit and then kept in the dead-letter stream; the events behind it are handled.

use async_nats::HeaderMap;
use bikestore_codec::ContentType;
use bikestore_contracts::orders::OrderStatusChanged;
use bikestore_contracts::{ServiceName, StoreId, headers};
use bikestore_runtime::consumer::DEFAULT_MAX_DELIVER;
use bikestore_runtime::dead_letters;
use bikestore_testkit::eventually;

use crate::support::{
    READY, all_notifications, confirmed, jetstream, publish, publish_raw, receive, watch_store,
    with_service,
};

#[tokio::test]
async fn an_undecodable_event_becomes_a_dead_letter_and_the_next_one_is_handled()
-> anyhow::Result<()> {
    let system = with_service().await?;
    let mut store_five = watch_store(&system, StoreId(5)).await?;
    let subject = system.subjects().event_of::<OrderStatusChanged>();
    publish_raw(
        &system,
        &subject,
        "evt-poison-1",
        HeaderMap::new(),
        b"{not json".to_vec(),
    )
    .await?;
    let mut from_the_future = HeaderMap::new();
    from_the_future.insert(headers::SCHEMA_VERSION, "99");
    let body = bikestore_codec::encode(ContentType::Json, &confirmed(41, 1, 5))?;
    publish_raw(&system, &subject, "evt-poison-2", from_the_future, body).await?;
    publish(&system, "evt-confirmed-42", &confirmed(42, 2, 5)).await?;

    let live = receive(&mut store_five, 2).await?;
    assert!(
        live.iter()
            .all(|notification| notification.text.contains("rder 42"))
    );
    let letters = eventually("two dead letters", READY, async || {
        let letters = dead_letters::list(&jetstream(&system), system.subjects(), 10)
            .await
            .ok()?;
        (letters.len() >= 2).then_some(letters)
    })
    .await?;
    assert_eq!(letters.len(), 2);
    for letter in &letters {
        assert_eq!(letter.consumer, ServiceName::Notifications.as_str());
        assert_eq!(
            letter.stream,
            system.subjects().event_stream(ServiceName::Orders)
        );
        assert_eq!(letter.deliveries, DEFAULT_MAX_DELIVER as u64);
    }
    assert_eq!(letters[0].payload.as_deref(), Some(&b"{not json"[..]));
    assert_eq!(
        all_notifications(&system).await?.len(),
        2,
        "the poison made nothing"
    );
    system.stop().await
}
