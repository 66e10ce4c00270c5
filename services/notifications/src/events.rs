//! The events this service consumes, and turning one into recorded notifications.
//!
//! One durable consumer per source stream, named after this service: `order_status_changed`
//! from the orders stream and every store's `stock_low` from the inventory stream. For each
//! message the handler decodes the event, renders it with [`templates`], and records the
//! notifications with the event's ID in one transaction (see
//! `store::notifications::record_event`) before it acknowledges; delivery happens later, in the
//! delivery worker, which it wakes.
//!
//! An event that cannot be decoded is not acknowledged: it is redelivered after a pause until
//! the consumer's delivery limit, and then the server's max-deliveries advisory puts it in the
//! dead-letter stream, where an operator can list it and, once the cause is fixed, replay it.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;
use bikestore_codec::{CodecError, ContentType};
use bikestore_contracts::inventory::StockLow;
use bikestore_contracts::orders::OrderStatusChanged;
use bikestore_contracts::{Message, ServiceName, Subjects, headers};
use bikestore_runtime::consumer::{Disposition, DurableConsumer};
use bikestore_runtime::error_chain;
use tracing::{Instrument, debug, error, info, info_span, warn};

use crate::Notifications;
use crate::domain::Draft;
use crate::store::notifications::{SourceEvent, record_event};
use crate::templates;

/// The durable consumers this service reads, one per source stream, each named after this
/// service.
pub fn consumers(subjects: &Subjects, ack_wait: Duration) -> Vec<DurableConsumer> {
    let name = ServiceName::Notifications.as_str();
    vec![
        DurableConsumer {
            filter_subjects: vec![subjects.event_of::<OrderStatusChanged>()],
            ack_wait,
            ..DurableConsumer::new(subjects.event_stream(ServiceName::Orders), name)
        },
        DurableConsumer {
            filter_subjects: vec![subjects.event_of_any_store::<StockLow>()],
            ack_wait,
            ..DurableConsumer::new(subjects.event_stream(ServiceName::Inventory), name)
        },
    ]
}

/// Handles one message of a source stream; see the module documentation.
pub async fn handle(
    state: Arc<Notifications>,
    max_deliver: i64,
    message: jetstream::Message,
) -> Disposition {
    let subject = message.subject.to_string();
    let info = message.info().ok();
    let deliveries = info.as_ref().map_or(1, |info| info.delivered);
    let stream_sequence = info.as_ref().map(|info| info.stream_sequence);
    let event_id = message
        .headers
        .as_ref()
        .and_then(|map| map.get(headers::NATS_MSG_ID))
        .map(|value| value.as_str().to_owned())
        .filter(|value| !value.is_empty())
        .or_else(|| {
            let info = info.as_ref()?;
            Some(format!("{}:{}", info.stream, info.stream_sequence))
        });
    let Some(event_id) = event_id else {
        // Without an ID a repeat could not be recognised; never guess one.
        error!(%subject, "event without a message ID or stream position; not handled");
        return Disposition::Retry(state.settings.event_retry);
    };
    let span = info_span!("event", %subject, %event_id, deliveries);
    let source = SourceEvent {
        event_id,
        subject,
        stream_sequence,
    };
    let give_up = deliveries >= max_deliver;
    handle_source(state, source, &message, give_up)
        .instrument(span)
        .await
}

async fn handle_source(
    state: Arc<Notifications>,
    source: SourceEvent,
    message: &jetstream::Message,
    last_delivery: bool,
) -> Disposition {
    let drafts = match render(&state.subjects, message, state.settings.max_event_bytes) {
        Ok(Some(drafts)) => drafts,
        Ok(None) => {
            debug!("not an event this service renders; skipped");
            return Disposition::Ack;
        }
        Err(codec_error) if last_delivery => {
            error!(error = %error_chain(&codec_error), "undecodable event given up; it is now a dead letter");
            return Disposition::Retry(state.settings.event_retry);
        }
        Err(codec_error) => {
            warn!(error = %error_chain(&codec_error), "undecodable event; it will be redelivered");
            return Disposition::Retry(state.settings.event_retry);
        }
    };
    if drafts.is_empty() {
        return Disposition::Ack;
    }
    let channels = Arc::clone(&state.channels);
    let recorded = state
        .db
        .transact(move |transaction| record_event(transaction, &source, &drafts, &channels))
        .await;
    match recorded {
        Ok(notifications) if notifications.is_empty() => {
            debug!("event already handled; nothing recorded");
            Disposition::Ack
        }
        Ok(notifications) => {
            state.wake.notify_one();
            info!(count = notifications.len(), "notifications recorded");
            Disposition::Ack
        }
        Err(failure) => {
            warn!(error = %error_chain(&failure), "could not record notifications; the event will be redelivered");
            Disposition::Retry(state.settings.event_retry)
        }
    }
}

/// The drafts an event makes; `None` for a subject this service does not render.
fn render(
    subjects: &Subjects,
    message: &jetstream::Message,
    max_bytes: usize,
) -> Result<Option<Vec<Draft>>, CodecError> {
    let subject = message.subject.as_str();
    if subjects.is_event_of::<OrderStatusChanged>(subject) {
        let event: OrderStatusChanged = decode(message, max_bytes)?;
        Ok(Some(templates::order_status_changed(&event)))
    } else if subjects.is_event_of::<StockLow>(subject) {
        let event: StockLow = decode(message, max_bytes)?;
        Ok(Some(templates::stock_low(&event)))
    } else {
        Ok(None)
    }
}

fn decode<M: Message>(message: &jetstream::Message, max_bytes: usize) -> Result<M, CodecError> {
    let header = |name: &str| {
        message
            .headers
            .as_ref()
            .and_then(|map| map.get(name))
            .map(|value| value.as_str())
    };
    let content_type = ContentType::from_header(header(headers::CONTENT_TYPE))?;
    let schema_version =
        bikestore_codec::schema_version_from_header(header(headers::SCHEMA_VERSION))?;
    bikestore_codec::decode(content_type, schema_version, &message.payload, max_bytes)
}
