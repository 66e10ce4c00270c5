//! Removing phantom events deletes exactly the messages after the given stream sequence whose
//! outbox sequence is above the copy's mark; messages before it, messages without the header, a
//! gap left by an earlier deletion and a deleted last message change nothing else.

use std::collections::BTreeMap;

use async_nats::HeaderMap;
use async_nats::jetstream;
use bikestore_contracts::{ServiceName, Subjects, headers};
use bikestore_runtime::phantom_events::remove_events_newer_than_copy;
use bikestore_runtime::streams;
use bikestore_testkit::NatsServer;

/// The outbox high-water mark of the database copy the stream is restored with.
const COPY_MARK: i64 = 5;
/// The stream sequence of the stream's snapshot point the restore keeps before: messages up to
/// it are never looked at.
const AFTER: u64 = 3;

#[tokio::test]
async fn exactly_the_events_newer_than_the_copy_are_removed() -> anyhow::Result<()> {
    let nats = NatsServer::start().await?;
    let jetstream = jetstream::new(nats.client().await?);
    let subjects = Subjects::default();
    let event_stream =
        streams::ensure_event_stream(&jetstream, &subjects, ServiceName::Inventory, 1).await?;
    let stream_name = subjects.event_stream(ServiceName::Inventory);
    let subject = subjects.event(ServiceName::Inventory, "stock_changed");

    // Each message's outbox sequence (None: no header), in stream order from sequence 1, and
    // whether it must survive.
    let messages: [(Option<i64>, bool); 11] = [
        (Some(10), true), // 1: above the mark, but not after `AFTER`
        (None, true),     // 2
        (Some(2), true),  // 3
        (Some(4), true),  // 4: after `AFTER`, in the copy
        (Some(5), true),  // 5: the mark itself is in the copy
        (None, true),     // 6: no header, kept
        (Some(6), false), // 7: a phantom
        (Some(7), false), // 8: a phantom
        (Some(3), false), // 9: deleted before the call, a gap
        (Some(8), false), // 10: a phantom
        (Some(9), false), // 11: a phantom, and the stream's last message
    ];
    let mut published = BTreeMap::new();
    for (index, (outbox_sequence, _)) in messages.iter().enumerate() {
        let mut message_headers = HeaderMap::new();
        if let Some(outbox_sequence) = outbox_sequence {
            message_headers.insert(
                headers::OUTBOX_SEQUENCE,
                outbox_sequence.to_string().as_str(),
            );
        }
        let payload = format!("event {}", index + 1);
        let acknowledgement = jetstream
            .publish_with_headers(subject.clone(), message_headers, payload.clone().into())
            .await?
            .await?;
        assert_eq!(acknowledgement.sequence, index as u64 + 1);
        published.insert(acknowledgement.sequence, payload);
    }
    assert!(event_stream.delete_message(9).await?, "the gap is made");

    let removed = remove_events_newer_than_copy(&jetstream, &stream_name, AFTER, COPY_MARK).await?;
    assert_eq!(removed, 4, "messages 7, 8, 10 and 11");

    for (index, (_, kept)) in messages.iter().enumerate() {
        let sequence = index as u64 + 1;
        match event_stream.get_raw_message(sequence).await {
            Ok(message) => {
                assert!(kept, "message {sequence} should be gone");
                assert_eq!(
                    Some(message.payload.as_ref()),
                    published.get(&sequence).map(|payload| payload.as_bytes()),
                    "message {sequence} untouched"
                );
            }
            Err(_) => assert!(!kept, "message {sequence} should be kept"),
        }
    }
    let state = event_stream.get_info().await?.state;
    assert_eq!(state.messages, 6);
    assert_eq!(state.last_sequence, 11, "sequences are not reused");

    // Run again, with the stream's last message now deleted: nothing is left to remove, and it
    // still ends.
    let removed_again =
        remove_events_newer_than_copy(&jetstream, &stream_name, AFTER, COPY_MARK).await?;
    assert_eq!(removed_again, 0);
    // Nothing after the last sequence: nothing to read.
    assert_eq!(
        remove_events_newer_than_copy(&jetstream, &stream_name, 11, 0).await?,
        0
    );
    // Every message after 6 is deleted: the reader must not wait for one.
    assert_eq!(
        remove_events_newer_than_copy(&jetstream, &stream_name, 6, 0).await?,
        0
    );
    assert_eq!(event_stream.get_info().await?.state.messages, 6);
    Ok(())
}
