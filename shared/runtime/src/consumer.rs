//! Durable JetStream consumers that never hang: bounded redelivery, and a consumer loop that
//! re-creates its subscription after a missed heartbeat, a lost connection or a restarted server.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, AckKind, consumer};
use bikestore_contracts::backoff::Backoff;
use futures::{FutureExt, StreamExt};
use tracing::{Instrument, debug, error, warn};

use crate::error::RuntimeError;
use crate::outage::{self, Patience};
use crate::shutdown::Shutdown;

/// How many times a message is delivered before the server gives up on it and announces it
/// with a max-deliveries advisory, which the dead-letter stream keeps.
pub const DEFAULT_MAX_DELIVER: i64 = 5;

/// The heartbeat the server sends on an idle pull; two missed ones end the subscription, which
/// the loop then re-creates.
const HEARTBEAT: Duration = Duration::from_secs(5);

/// How long to wait before asking again for a consumer that is not ready: from 50 ms, doubling
/// up to 2 s.
const NOT_READY_RETRY: Backoff = Backoff::new(Duration::from_millis(50), Duration::from_secs(2));

/// How long a message of a batch waits to come again when its handler answered nothing for it
/// (or panicked).
const UNANSWERED_RETRY: Duration = Duration::from_secs(1);

/// A durable pull consumer's definition.
#[derive(Debug, Clone)]
pub struct DurableConsumer {
    /// The stream it reads.
    pub stream: String,
    /// Its durable name, shared by every instance of the service.
    pub name: String,
    /// The subjects it wants; all of the stream when empty.
    pub filter_subjects: Vec<String>,
    /// Deliveries before the message becomes a dead letter; always bounded.
    pub max_deliver: i64,
    /// How long the server waits for an acknowledgement before redelivering.
    pub ack_wait: Duration,
    /// How many messages are handled at once; 1 keeps them in order.
    pub concurrency: usize,
    /// How many delivered messages may wait for an acknowledgement, those put back with a
    /// delay included; four per concurrent handler unless set.
    pub max_ack_pending: Option<i64>,
}

impl DurableConsumer {
    /// A consumer of `stream` named `name` with the default bounds.
    pub fn new(stream: impl Into<String>, name: impl Into<String>) -> DurableConsumer {
        DurableConsumer {
            stream: stream.into(),
            name: name.into(),
            filter_subjects: Vec::new(),
            max_deliver: DEFAULT_MAX_DELIVER,
            ack_wait: Duration::from_secs(30),
            concurrency: 1,
            max_ack_pending: None,
        }
    }

    fn config(&self) -> consumer::pull::Config {
        consumer::pull::Config {
            durable_name: Some(self.name.clone()),
            filter_subjects: self.filter_subjects.clone(),
            ack_policy: consumer::AckPolicy::Explicit,
            max_deliver: self.max_deliver.max(1),
            ack_wait: self.ack_wait,
            max_ack_pending: self
                .max_ack_pending
                .unwrap_or_else(|| i64::try_from(self.concurrency.max(1) * 4).unwrap_or(i64::MAX)),
            ..Default::default()
        }
    }

    /// Creates the consumer if it does not exist yet. One that exists with other filter
    /// subjects (made by an earlier version, before an event's subject named its store) or
    /// another acknowledgement wait is given these in place, so it keeps its position and
    /// takes the new settings from there.
    pub async fn ensure(
        &self,
        jetstream: &jetstream::Context,
    ) -> Result<consumer::PullConsumer, RuntimeError> {
        let stream = jetstream
            .get_stream(&self.stream)
            .await
            .map_err(|error| RuntimeError::nats(format!("find stream {}", self.stream), error))?;
        let found: consumer::PullConsumer = stream
            .get_or_create_consumer(&self.name, self.config())
            .await
            .map_err(|error| RuntimeError::nats(format!("create consumer {}", self.name), error))?;
        let config = &found.cached_info().config;
        let wanted = self.config();
        if filters_of(config) == self.filter_subjects
            && config.ack_wait == wanted.ack_wait
            && config.max_ack_pending == wanted.max_ack_pending
        {
            return Ok(found);
        }
        tracing::info!(
            consumer = %self.name,
            stream = %self.stream,
            filters = ?self.filter_subjects,
            ack_wait_ms = self.ack_wait.as_millis() as u64,
            "the consumer's settings changed; updating it in place"
        );
        stream
            .update_consumer(self.config())
            .await
            .map_err(|error| RuntimeError::nats(format!("update consumer {}", self.name), error))
    }
}

/// A consumer's filter subjects, whichever of the two settings holds them.
fn filters_of(config: &consumer::Config) -> Vec<String> {
    if config.filter_subject.is_empty() {
        config.filter_subjects.clone()
    } else {
        vec![config.filter_subject.clone()]
    }
}

/// What to do with a message once handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Done: acknowledge it.
    Ack,
    /// Failed for now: redeliver after the delay (until `max_deliver`).
    Retry(Duration),
}

/// Hands every message of `definition` to `handle`, up to `definition.concurrency` at a time
/// (one at a time, in order, by default), until shutdown; in-flight handlers finish first. Any
/// subscription failure (missed heartbeats, a restarted server, a deleted consumer) is logged
/// and the consumer and its subscription are created again after a short pause.
pub async fn run<F, Fut>(
    jetstream: jetstream::Context,
    definition: DurableConsumer,
    mut shutdown: Shutdown,
    handle: F,
) where
    F: Fn(jetstream::Message) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Disposition> + Send + 'static,
{
    let handle = Arc::new(handle);
    let slots = Arc::new(tokio::sync::Semaphore::new(definition.concurrency.max(1)));
    let mut in_flight = tokio::task::JoinSet::new();
    let mut failures: u32 = 0;
    while let Some(mut messages) =
        subscribe(&jetstream, &definition, &mut failures, &mut shutdown).await
    {
        loop {
            // A free slot first, so no message waits unacknowledged behind busy handlers.
            let slot = tokio::select! {
                slot = Arc::clone(&slots).acquire_owned() => slot,
                _ = shutdown.wait() => break,
            };
            let Ok(slot) = slot else { break };
            let next = tokio::select! {
                next = messages.next() => next,
                _ = shutdown.wait() => break,
            };
            while in_flight.try_join_next().is_some() {}
            match next {
                Some(Ok(message)) => {
                    failures = 0;
                    crate::metrics::consumer_lag(&definition.name, &definition.stream, &message);
                    let handle = Arc::clone(&handle);
                    let consumer_name = definition.name.clone();
                    // Each message is handled in a span that continues the trace of the
                    // command that made it.
                    let span = tracing::info_span!("event", consumer = %consumer_name, subject = %message.subject);
                    crate::trace::continue_from_headers(&span, message.headers.as_ref());
                    in_flight.spawn(async move {
                        let kind = match handle(message.clone()).instrument(span).await {
                            Disposition::Ack => AckKind::Ack,
                            Disposition::Retry(delay) => AckKind::Nak(Some(delay)),
                        };
                        acknowledge(&message, kind, &consumer_name).await;
                        drop(slot);
                    });
                }
                Some(Err(error)) => {
                    warn!(consumer = %definition.name, error = %error, "consumer subscription failed; re-creating it");
                    break;
                }
                None => break,
            }
        }
        if !resubscribe_after_pause(&mut failures, &mut shutdown).await {
            break;
        }
    }
    while in_flight.join_next().await.is_some() {}
}

/// Hands the messages of `definition` to `handle` in batches, in order, one batch at a time:
/// every message already delivered, up to `max_batch`, so that the handler can record them
/// all in one transaction and they cost one commit. `handle` answers a disposition per
/// message, in the batch's order; a message it answers none for, or every message of a batch
/// whose handler panicked, is put back for [`UNANSWERED_RETRY`].
/// Subscription failures are handled as [`run`] does; `definition.max_ack_pending` should
/// leave room for a whole batch.
pub async fn run_batched<F, Fut>(
    jetstream: jetstream::Context,
    definition: DurableConsumer,
    max_batch: usize,
    mut shutdown: Shutdown,
    handle: F,
) where
    F: Fn(Arc<[jetstream::Message]>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Vec<Disposition>> + Send + 'static,
{
    let mut failures: u32 = 0;
    while let Some(mut messages) =
        subscribe(&jetstream, &definition, &mut failures, &mut shutdown).await
    {
        loop {
            let first = tokio::select! {
                next = messages.next() => next,
                _ = shutdown.wait() => break,
            };
            let mut batch = Vec::with_capacity(max_batch.max(1));
            let mut ended = match first {
                Some(Ok(message)) => {
                    batch.push(message);
                    None
                }
                other => Some(other),
            };
            // Whatever else has already arrived joins the batch; nothing waits for more.
            while ended.is_none() && batch.len() < max_batch {
                match messages.next().now_or_never() {
                    Some(Some(Ok(message))) => batch.push(message),
                    Some(other) => ended = Some(other),
                    None => break,
                }
            }
            if !batch.is_empty() {
                failures = 0;
                handle_batch(&definition, &handle, batch).await;
            }
            match ended {
                None => {}
                Some(Some(Err(error))) => {
                    warn!(consumer = %definition.name, error = %error, "consumer subscription failed; re-creating it");
                    break;
                }
                Some(_) => break,
            }
        }
        if !resubscribe_after_pause(&mut failures, &mut shutdown).await {
            break;
        }
    }
}

async fn handle_batch<F, Fut>(
    definition: &DurableConsumer,
    handle: &F,
    batch: Vec<jetstream::Message>,
) where
    F: Fn(Arc<[jetstream::Message]>) -> Fut,
    Fut: Future<Output = Vec<Disposition>>,
{
    for message in &batch {
        crate::metrics::consumer_lag(&definition.name, &definition.stream, message);
    }
    let batch: Arc<[jetstream::Message]> = batch.into();
    let span = tracing::info_span!("events", consumer = %definition.name, count = batch.len());
    // A panicking handler puts its batch back rather than ending the consumer.
    let dispositions = AssertUnwindSafe(handle(Arc::clone(&batch)).instrument(span))
        .catch_unwind()
        .await
        .unwrap_or_else(|_| {
            error!(consumer = %definition.name, count = batch.len(), "the handler of a batch panicked; its messages will be redelivered");
            Vec::new()
        });
    let kinds = dispositions
        .into_iter()
        .map(|disposition| match disposition {
            Disposition::Ack => AckKind::Ack,
            Disposition::Retry(delay) => AckKind::Nak(Some(delay)),
        })
        .chain(std::iter::repeat(AckKind::Nak(Some(UNANSWERED_RETRY))));
    let acknowledgements = batch
        .iter()
        .zip(kinds)
        .map(|(message, kind)| acknowledge(message, kind, &definition.name));
    futures::future::join_all(acknowledgements).await;
}

/// The consumer's message stream, once the consumer exists and answers; retried (with a
/// growing pause, counted in `failures`) until it does or shutdown comes (`None`).
async fn subscribe(
    jetstream: &jetstream::Context,
    definition: &DurableConsumer,
    failures: &mut u32,
    shutdown: &mut Shutdown,
) -> Option<consumer::pull::Stream> {
    while !shutdown.is_triggered() {
        let messages = match definition.ensure(jetstream).await {
            Ok(consumer) => consumer
                .stream()
                .heartbeat(HEARTBEAT)
                .messages()
                .await
                .map_err(|error| {
                    RuntimeError::nats(format!("subscribe consumer {}", definition.name), error)
                }),
            Err(error) => Err(error),
        };
        match messages {
            Ok(messages) => return Some(messages),
            Err(error) => {
                warn!(consumer = %definition.name, error = %crate::error_chain(&error), "consumer not ready; retrying");
                *failures = failures.saturating_add(1);
                if !pause(*failures, shutdown).await {
                    return None;
                }
            }
        }
    }
    None
}

/// Pauses before a subscription that ended is made again; `false` when shutdown came first.
/// A subscription that failed before its first message (the consumer has no leader yet, as
/// right after its creation on a cluster) is not asked for again at once: it was, dozens of
/// times in a few milliseconds.
async fn resubscribe_after_pause(failures: &mut u32, shutdown: &mut Shutdown) -> bool {
    *failures = failures.saturating_add(1);
    pause(*failures, shutdown).await
}

/// Waits before the consumer is asked for again after its `failures`th failure in a row;
/// `false` when shutdown came first.
async fn pause(failures: u32, shutdown: &mut Shutdown) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(NOT_READY_RETRY.delay(failures)) => true,
        _ = shutdown.wait() => false,
    }
}

/// Acknowledges (or puts back) a handled message, trying again through an outage. One lost
/// for good is only logged: the message comes back after the ack wait, and handlers are
/// idempotent, but that costs a delivery and a delay, which the retries spare.
async fn acknowledge(message: &jetstream::Message, kind: AckKind, consumer_name: &str) {
    let mut patience = Patience::default();
    loop {
        let Err(error) = message.ack_with(kind).await else {
            return;
        };
        let pause = outage::is_transient(error.as_ref())
            .then(|| patience.wait("acknowledge a message", error.as_ref()));
        let gone_on = match pause {
            Some(pause) => pause.await,
            None => false,
        };
        if !gone_on {
            debug!(consumer = %consumer_name, error = %crate::error_chain(error.as_ref()), "acknowledgement lost; the message comes back after the ack wait");
            return;
        }
    }
}
