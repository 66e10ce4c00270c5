//! The events this service consumes, and turning one into recorded notifications.
//!
//! One durable consumer per source stream, named after this service: `order_status_changed`
//! from the orders stream and every store's `stock_low` from the inventory stream. Messages
//! come in batches (every one already delivered, up to [`BATCH`], in order): the handler
//! decodes each event, renders it with [`templates`], and records the notifications of the
//! whole batch, each event's with its ID, in one transaction (see
//! `store::notifications::record_event`) before it acknowledges them; delivery happens later,
//! in the delivery worker, which it wakes.
//!
//! An event that cannot be decoded is not acknowledged: it is redelivered after a pause until
//! the consumer's delivery limit, and then the server's max-deliveries advisory puts it in the
//! dead-letter stream, where an operator can list it and, once the cause is fixed, replay it.

use std::sync::Arc;
use std::time::Duration;

use async_nats::{HeaderName, jetstream};
use bikestore_codec::{CodecError, ContentType};
use bikestore_contracts::inventory::StockLow;
use bikestore_contracts::orders::OrderStatusChanged;
use bikestore_contracts::{Message, ServiceName, Subjects};
use bikestore_runtime::consumer::{Disposition, DurableConsumer};
use bikestore_runtime::{error_chain, header_name};
use tracing::{Span, debug, error, info, info_span, warn};

use crate::Notifications;
use crate::domain::Draft;
use crate::store::notifications::{SourceEvent, record_event};
use crate::templates;

/// How many delivered events are recorded together, at most, in one transaction.
pub const BATCH: usize = 64;
/// How many events the server hands out before their acknowledgements: room for the batch
/// being recorded and the next ones.
const MAX_ACK_PENDING: i64 = 4 * BATCH as i64;

/// The durable consumers this service reads, one per source stream, each named after this
/// service.
pub fn consumers(subjects: &Subjects, ack_wait: Duration) -> Vec<DurableConsumer> {
    let name = ServiceName::Notifications.as_str();
    vec![
        DurableConsumer {
            filter_subjects: vec![subjects.event_of::<OrderStatusChanged>()],
            ack_wait,
            max_ack_pending: Some(MAX_ACK_PENDING),
            ..DurableConsumer::new(subjects.event_stream(ServiceName::Orders), name)
        },
        DurableConsumer {
            filter_subjects: vec![subjects.event_of_any_store::<StockLow>()],
            ack_wait,
            max_ack_pending: Some(MAX_ACK_PENDING),
            ..DurableConsumer::new(subjects.event_stream(ServiceName::Inventory), name)
        },
    ]
}

/// Handles a batch of messages of a source stream, in their order: each event's notifications
/// are recorded in one transaction for the whole batch, so a burst of events costs one commit
/// (one each was the most frequent commit in the benchmark's profile). Answers a disposition
/// per message; see the module documentation.
pub async fn handle_batch(
    state: Arc<Notifications>,
    max_deliver: i64,
    messages: Arc<[jetstream::Message]>,
) -> Vec<Disposition> {
    let mut dispositions = Vec::with_capacity(messages.len());
    let mut to_record = Vec::new();
    for (position, message) in messages.iter().enumerate() {
        match prepare(&state, max_deliver, message) {
            Prepared::Done(disposition) => dispositions.push(disposition),
            Prepared::Record(event) => {
                dispositions.push(Disposition::Ack);
                to_record.push((position, event));
            }
        }
    }
    if to_record.is_empty() {
        return dispositions;
    }
    let channels = Arc::clone(&state.channels);
    let (positions, events): (Vec<usize>, Vec<Rendered>) = to_record.into_iter().unzip();
    let recorded = state
        .db
        .transact(move |transaction| {
            let counts = events
                .iter()
                .map(|event| {
                    record_event(transaction, &event.source, &event.drafts, &channels)
                        .map(|notifications| notifications.len())
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok::<_, crate::error::NotificationsError>((events, counts))
        })
        .await;
    match recorded {
        Ok((events, counts)) => {
            if counts.iter().any(|count| *count > 0) {
                state.wake.notify_one();
            }
            for (event, count) in events.iter().zip(counts) {
                let _entered = event.span.enter();
                if count == 0 {
                    debug!("event already handled; nothing recorded");
                } else {
                    info!(count, "notifications recorded");
                }
            }
        }
        Err(failure) => {
            warn!(events = positions.len(), error = %error_chain(&failure), "could not record notifications; the events will be redelivered");
            for position in positions {
                dispositions[position] = Disposition::Retry(state.settings.event_retry);
            }
        }
    }
    dispositions
}

/// An event rendered and ready to record, with the span its lines go in.
struct Rendered {
    source: SourceEvent,
    drafts: Vec<Draft>,
    span: Span,
}

/// What one message needs: nothing more than its disposition, or recording.
enum Prepared {
    Done(Disposition),
    Record(Rendered),
}

/// Identifies and renders one message, in a span of its own that continues the trace of the
/// command that made the event.
fn prepare(state: &Notifications, max_deliver: i64, message: &jetstream::Message) -> Prepared {
    let subject = message.subject.to_string();
    let info = message.info().ok();
    let deliveries = info.as_ref().map_or(1, |info| info.delivered);
    let stream_sequence = info.as_ref().map(|info| info.stream_sequence);
    let event_id = message
        .headers
        .as_ref()
        .and_then(|map| map.get(header_name::NATS_MSG_ID))
        .map(|value| value.as_str().to_owned())
        .filter(|value| !value.is_empty())
        .or_else(|| {
            let info = info.as_ref()?;
            Some(format!("{}:{}", info.stream, info.stream_sequence))
        });
    let Some(event_id) = event_id else {
        // Without an ID a repeat could not be recognised; never guess one.
        error!(%subject, "event without a message ID or stream position; not handled");
        return Prepared::Done(Disposition::Retry(state.settings.event_retry));
    };
    let span = info_span!("event", consumer = ServiceName::Notifications.as_str(), %subject, %event_id, deliveries);
    bikestore_runtime::trace::continue_from_headers(&span, message.headers.as_ref());
    let entered = span.enter();
    let last_delivery = deliveries >= max_deliver;
    let drafts = match render(&state.subjects, message, state.settings.max_event_bytes) {
        Ok(Some(drafts)) if !drafts.is_empty() => drafts,
        Ok(Some(_)) => return Prepared::Done(Disposition::Ack),
        Ok(None) => {
            debug!("not an event this service renders; skipped");
            return Prepared::Done(Disposition::Ack);
        }
        Err(codec_error) if last_delivery => {
            error!(error = %error_chain(&codec_error), "undecodable event given up; it is now a dead letter");
            return Prepared::Done(Disposition::Retry(state.settings.event_retry));
        }
        Err(codec_error) => {
            warn!(error = %error_chain(&codec_error), "undecodable event; it will be redelivered");
            return Prepared::Done(Disposition::Retry(state.settings.event_retry));
        }
    };
    drop(entered);
    Prepared::Record(Rendered {
        source: SourceEvent {
            event_id,
            subject,
            stream_sequence,
        },
        drafts,
        span,
    })
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
    let header = |name: HeaderName| {
        message
            .headers
            .as_ref()
            .and_then(|map| map.get(name))
            .map(|value| value.as_str())
    };
    let content_type = ContentType::from_header(header(header_name::CONTENT_TYPE))?;
    let schema_version =
        bikestore_codec::schema_version_from_header(header(header_name::SCHEMA_VERSION))?;
    bikestore_codec::decode(content_type, schema_version, &message.payload, max_bytes)
}
