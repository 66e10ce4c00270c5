//! Riding out JetStream outages: what a failed JetStream call means ([`Failure`], read off its
//! cause chain by [`classify`]), and retrying the transient ones with backoff for a bounded
//! time ([`Patience`], [`ride_out`]).
//!
//! On a cluster a stream is unavailable for a few seconds while it elects a new leader after a
//! node dies: calls fail at once (no responders, not leader, cluster not available, JetStream
//! not enabled yet) or time out with an unknown outcome. A single server's restart looks the
//! same from the client. Such a failure is [`Failure::Transient`]. A compare-and-set that lost
//! to another write is not: it is [`Failure::LostRace`], answered by reading again. A
//! JetStream cluster reports a lost compare-and-set as API error 10164 ("wrong last sequence",
//! constant form) as well as the single server's 10071 (nats-server issue 7281), while
//! async-nats 0.51 maps only 10071 to `WrongLastRevision` / `AlreadyExists`: 10164 arrives as
//! `UpdateErrorKind::Other` with the API error as its source, which [`classify`] finds.
//! Anything else (bad input, a payload too large, an unreadable reply) is
//! [`Failure::Permanent`]: retrying changes nothing.
//!
//! What a retry must not do is the caller's business: a publish with a `Nats-Msg-Id` may be
//! sent again (JetStream drops the duplicate); a compare-and-set whose outcome is unknown must
//! first read the record to learn whether it landed. Nothing here adds a round trip to a call
//! that succeeds.

use std::error::Error;
use std::future::Future;
use std::time::Duration;

use async_nats::jetstream::{self, ErrorCode, context, kv, stream};
use bikestore_contracts::backoff::Backoff;
use tokio::time::Instant;
use tracing::{debug, warn};

/// How long a call rides out an outage before its error is returned: a leader election takes a
/// few seconds, a restarted server about as long, so this leaves room for a slow one.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// How long to wait between tries during an outage: from 50 ms, doubling up to 2 s, so the
/// first try after an election comes within about a second of it.
pub const OUTAGE_RETRY: Backoff = Backoff::new(Duration::from_millis(50), Duration::from_secs(2));

/// What a failed JetStream call means for whoever would try it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// A compare-and-set lost to another write (10071, or 10164 on a cluster; for a create,
    /// the key exists): the same write will lose again, so read and decide anew.
    LostRace,
    /// JetStream could not take the call now; the same call may succeed in a moment. A write
    /// that failed so may or may not have landed.
    Transient,
    /// Retrying changes nothing.
    Permanent,
}

/// API error codes that mean the stream or the cluster is between leaders, still starting, or
/// busy with this very key, so the same call may succeed in a moment.
const TRANSIENT_API_CODES: [ErrorCode; 10] = [
    ErrorCode::CLUSTER_NOT_AVAILABLE,
    ErrorCode::CLUSTER_NOT_LEADER,
    ErrorCode::CLUSTER_NOT_ACTIVE,
    ErrorCode::CLUSTER_INCOMPLETE,
    ErrorCode::JETSTREAM_NOT_ENABLED,
    ErrorCode::JETSTREAM_NOT_ENABLED_FOR_ACCOUNT,
    ErrorCode::STREAM_NOT_FOUND,
    ErrorCode::STREAM_STORE_FAILED,
    ErrorCode::STREAM_DUPLICATE_MESSAGE_CONFLICT,
    ErrorCode::STREAM_EXPECTED_LAST_SEQ_PER_SUBJECT_NOT_READY,
];

/// The HTTP-like statuses of a JetStream answer that mean "not now": timed out, unavailable.
const TRANSIENT_STATUSES: [usize; 3] = [408, 503, 504];

/// What `error` means, read off the first cause in its chain that says: the async-nats error
/// kinds first, then the JetStream API error they carry.
pub fn classify(error: &(dyn Error + 'static)) -> Failure {
    let mut cause = Some(error);
    while let Some(current) = cause {
        if let Some(failure) = classify_one(current) {
            return failure;
        }
        cause = current.source();
    }
    Failure::Permanent
}

/// Whether `error` is a compare-and-set that lost to another write, in either of the forms a
/// server or a cluster answers with.
pub fn is_lost_race(error: &(dyn Error + 'static)) -> bool {
    classify(error) == Failure::LostRace
}

/// Whether `error` is worth trying again after a pause.
pub fn is_transient(error: &(dyn Error + 'static)) -> bool {
    classify(error) == Failure::Transient
}

/// One cause's verdict, or `None` when it does not say and its source may.
fn classify_one(cause: &(dyn Error + 'static)) -> Option<Failure> {
    use Failure::{LostRace, Permanent, Transient};
    if let Some(api) = cause.downcast_ref::<jetstream::Error>() {
        return Some(classify_api(api));
    }
    if let Some(update) = cause.downcast_ref::<kv::UpdateError>() {
        return match update.kind() {
            kv::UpdateErrorKind::WrongLastRevision => Some(LostRace),
            kv::UpdateErrorKind::TimedOut => Some(Transient),
            kv::UpdateErrorKind::InvalidKey => Some(Permanent),
            kv::UpdateErrorKind::Other => None,
        };
    }
    if let Some(create) = cause.downcast_ref::<kv::CreateError>() {
        return match create.kind() {
            kv::CreateErrorKind::AlreadyExists => Some(LostRace),
            kv::CreateErrorKind::InvalidKey => Some(Permanent),
            kv::CreateErrorKind::Publish | kv::CreateErrorKind::Ack => {
                Some(create.source().map_or(Transient, classify))
            }
            kv::CreateErrorKind::Other => None,
        };
    }
    if let Some(entry) = cause.downcast_ref::<kv::EntryError>() {
        return match entry.kind() {
            kv::EntryErrorKind::TimedOut => Some(Transient),
            kv::EntryErrorKind::InvalidKey => Some(Permanent),
            kv::EntryErrorKind::Other => None,
        };
    }
    if let Some(publish) = cause.downcast_ref::<context::PublishError>() {
        return match publish.kind() {
            context::PublishErrorKind::WrongLastSequence => Some(LostRace),
            // No responders: between leaders, or the server is restarting.
            context::PublishErrorKind::StreamNotFound
            | context::PublishErrorKind::TimedOut
            | context::PublishErrorKind::BrokenPipe
            | context::PublishErrorKind::MaxAckPending => Some(Transient),
            context::PublishErrorKind::WrongLastMessageId
            | context::PublishErrorKind::MaxPayloadExceeded => Some(Permanent),
            context::PublishErrorKind::Other => None,
        };
    }
    if let Some(direct) = cause.downcast_ref::<stream::DirectGetError>() {
        return match direct.kind() {
            stream::DirectGetErrorKind::TimedOut => Some(Transient),
            stream::DirectGetErrorKind::ErrorResponse(status, _) => Some(
                if TRANSIENT_STATUSES.contains(&usize::from(status.as_u16())) {
                    Transient
                } else {
                    Permanent
                },
            ),
            stream::DirectGetErrorKind::NotFound | stream::DirectGetErrorKind::InvalidSubject => {
                Some(Permanent)
            }
            stream::DirectGetErrorKind::Request | stream::DirectGetErrorKind::Other => None,
        };
    }
    if let Some(read) = cause.downcast_ref::<stream::LastRawMessageError>() {
        return match read.kind() {
            stream::LastRawMessageErrorKind::JetStream(api) => Some(classify_api(&api)),
            stream::LastRawMessageErrorKind::NoMessageFound
            | stream::LastRawMessageErrorKind::InvalidSubject => Some(Permanent),
            stream::LastRawMessageErrorKind::Other => None,
        };
    }
    if let Some(consumer) = cause.downcast_ref::<stream::ConsumerError>() {
        return match consumer.kind() {
            stream::ConsumerErrorKind::TimedOut => Some(Transient),
            stream::ConsumerErrorKind::JetStream(api) => Some(classify_api(&api)),
            stream::ConsumerErrorKind::InvalidConsumerType
            | stream::ConsumerErrorKind::InvalidName => Some(Permanent),
            stream::ConsumerErrorKind::Request | stream::ConsumerErrorKind::Other => None,
        };
    }
    if let Some(request) = cause.downcast_ref::<context::RequestError>() {
        return match request.kind() {
            context::RequestErrorKind::NoResponders | context::RequestErrorKind::TimedOut => {
                Some(Transient)
            }
            context::RequestErrorKind::InvalidSubject => Some(Permanent),
            context::RequestErrorKind::Other => None,
        };
    }
    if let Some(request) = cause.downcast_ref::<async_nats::RequestError>() {
        return match request.kind() {
            async_nats::RequestErrorKind::TimedOut
            | async_nats::RequestErrorKind::NoResponders
            // The client's own trouble: its connection closed or its buffer is full.
            | async_nats::RequestErrorKind::Other => Some(Transient),
            async_nats::RequestErrorKind::InvalidSubject
            | async_nats::RequestErrorKind::MaxPayloadExceeded => Some(Permanent),
        };
    }
    if let Some(publish) = cause.downcast_ref::<async_nats::PublishError>() {
        return match publish.kind() {
            async_nats::PublishErrorKind::Send => Some(Transient),
            async_nats::PublishErrorKind::InvalidSubject
            | async_nats::PublishErrorKind::MaxPayloadExceeded => Some(Permanent),
        };
    }
    if let Some(io) = cause.downcast_ref::<std::io::Error>() {
        use std::io::ErrorKind;
        return Some(match io.kind() {
            ErrorKind::TimedOut
            | ErrorKind::BrokenPipe
            | ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::ConnectionRefused
            | ErrorKind::NotConnected
            | ErrorKind::UnexpectedEof => Transient,
            _ => Permanent,
        });
    }
    if cause.is::<tokio::time::error::Elapsed>() {
        return Some(Transient);
    }
    None
}

fn classify_api(api: &jetstream::Error) -> Failure {
    let code = api.error_code();
    if code == ErrorCode::STREAM_WRONG_LAST_SEQUENCE
        || code == ErrorCode::STREAM_WRONG_LAST_SEQUENCE_CONSTANT
    {
        Failure::LostRace
    } else if TRANSIENT_API_CODES.contains(&code) || TRANSIENT_STATUSES.contains(&api.code()) {
        Failure::Transient
    } else {
        Failure::Permanent
    }
}

/// The retry budget of one call through an outage: the clock starts at the first failure, and
/// each [`Patience::wait`] sleeps the next backoff delay until the limit would be passed.
#[derive(Debug)]
pub struct Patience {
    limit: Duration,
    backoff: Backoff,
    failures: u32,
    deadline: Option<Instant>,
}

impl Default for Patience {
    fn default() -> Patience {
        Patience::new(PATIENCE, OUTAGE_RETRY)
    }
}

impl Patience {
    /// A budget of `limit` from the first failure, waiting `backoff` between tries.
    pub fn new(limit: Duration, backoff: Backoff) -> Patience {
        Patience {
            limit,
            backoff,
            failures: 0,
            deadline: None,
        }
    }

    /// How many failures it has waited after.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Counts a failure to `what` and sleeps before the next try; `false` (at once) when the
    /// next try would come after the limit, so the caller returns its error instead. The
    /// returned future borrows nothing, so a caller holding a non-`Sync` error stays `Send`.
    pub fn wait(
        &mut self,
        what: &str,
        error: &(dyn Error + 'static),
    ) -> impl Future<Output = bool> + Send + use<> {
        self.failures = self.failures.saturating_add(1);
        let now = Instant::now();
        let deadline = *self.deadline.get_or_insert(now + self.limit);
        let delay = self.backoff.delay(self.failures);
        let go_on = now + delay <= deadline;
        if go_on {
            let error = crate::error_chain(error);
            // One line per outage at warn; the tries that follow at debug.
            if self.failures == 1 {
                warn!(
                    error,
                    "could not {what}; retrying while JetStream is unavailable"
                );
            } else {
                debug!(
                    error,
                    failures = self.failures,
                    "could not {what} yet; retrying"
                );
            }
        }
        async move {
            if go_on {
                tokio::time::sleep(delay).await;
            }
            go_on
        }
    }
}

/// Runs `attempt` until it succeeds, fails other than transiently, or [`PATIENCE`] has passed
/// since its first failure; `what` names it in the log. Only for calls that are safe to repeat:
/// reads, acknowledgements, publishes with a `Nats-Msg-Id`.
pub async fn ride_out<T, E, F, Fut>(what: &str, mut attempt: F) -> Result<T, E>
where
    E: Error + 'static,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut patience = Patience::default();
    loop {
        match attempt().await {
            Ok(done) => return Ok(done),
            Err(error) if is_transient(&error) && patience.wait(what, &error).await => {}
            Err(error) => return Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JetStream API error as the server sends it in a publish acknowledgement.
    fn api_error(status: u16, code: u64) -> jetstream::Error {
        serde_json::from_value(serde_json::json!({
            "code": status,
            "err_code": code,
            "description": "as the server says it",
        }))
        .expect("an API error's JSON")
    }

    /// The error a KV update gets back when the server answers its publish with `api`.
    fn update_refused(api: jetstream::Error) -> kv::UpdateError {
        kv::UpdateError::from(context::PublishError::with_source(
            context::PublishErrorKind::Other,
            api,
        ))
    }

    /// The error the runtime wraps a NATS failure in, as services do.
    fn wrapped(error: impl Error + Send + Sync + 'static) -> crate::RuntimeError {
        crate::RuntimeError::nats("write a record", error)
    }

    #[test]
    fn a_lost_compare_and_set_is_a_lost_race_in_both_of_its_codes() {
        // The single server's code, which async-nats maps itself.
        let solo = kv::UpdateError::from(context::PublishError::with_source(
            context::PublishErrorKind::WrongLastSequence,
            api_error(400, 10071),
        ));
        assert_eq!(solo.kind(), kv::UpdateErrorKind::WrongLastRevision);
        assert!(is_lost_race(&wrapped(solo)));
        // A cluster's, which async-nats 0.51 leaves as `Other`.
        let clustered = update_refused(api_error(400, 10164));
        assert_eq!(clustered.kind(), kv::UpdateErrorKind::Other);
        assert!(is_lost_race(&clustered));
        assert!(is_lost_race(&wrapped(update_refused(api_error(
            400, 10164
        )))));
        // A create that lost, through its own conversion of the update's error.
        let create = kv::CreateError::from(update_refused(api_error(400, 10164)));
        assert_eq!(create.kind(), kv::CreateErrorKind::Other);
        assert!(is_lost_race(&wrapped(create)));
        let exists = kv::CreateError::new(kv::CreateErrorKind::AlreadyExists);
        assert_eq!(classify(&exists), Failure::LostRace);
    }

    #[test]
    fn an_unavailable_stream_or_cluster_is_transient() {
        for (status, code) in [
            (503, 10008), // cluster not available
            (500, 10009), // not the leader
            (503, 10076), // JetStream not enabled (yet)
            (404, 10059), // stream not found, while it is being placed
            (400, 10163), // expected last sequence per subject not ready
            (409, 10158), // the same message ID in flight
            (503, 10999), // an unknown code with a "not now" status
        ] {
            let error = wrapped(update_refused(api_error(status, code)));
            assert_eq!(classify(&error), Failure::Transient, "{status} {code}");
        }
        let no_responders = context::PublishError::new(context::PublishErrorKind::StreamNotFound);
        assert!(is_transient(&wrapped(no_responders)));
        let timed_out = kv::UpdateError::from(context::PublishError::new(
            context::PublishErrorKind::TimedOut,
        ));
        assert_eq!(timed_out.kind(), kv::UpdateErrorKind::TimedOut);
        assert!(is_transient(&wrapped(timed_out)));
        let read_timed_out = kv::EntryError::new(kv::EntryErrorKind::TimedOut);
        assert!(is_transient(&read_timed_out));
        let read_unanswered = kv::EntryError::with_source(
            kv::EntryErrorKind::Other,
            stream::DirectGetError::new(stream::DirectGetErrorKind::ErrorResponse(
                async_nats::StatusCode::NO_RESPONDERS,
                "no responders".into(),
            )),
        );
        assert!(is_transient(&wrapped(read_unanswered)));
        let connection_closed = async_nats::PublishError::new(async_nats::PublishErrorKind::Send);
        assert!(is_transient(&connection_closed));
    }

    #[test]
    fn bad_input_and_unknown_failures_are_permanent() {
        let invalid_key = kv::UpdateError::new(kv::UpdateErrorKind::InvalidKey);
        assert_eq!(classify(&wrapped(invalid_key)), Failure::Permanent);
        let too_large = context::PublishError::new(context::PublishErrorKind::MaxPayloadExceeded);
        assert_eq!(classify(&too_large), Failure::Permanent);
        // Message too large for the stream: a refusal, not an outage.
        let refused = update_refused(api_error(400, 10054));
        assert_eq!(classify(&refused), Failure::Permanent);
        let unreadable = serde_json::from_str::<u32>("not json").expect_err("not json");
        let garbled = kv::UpdateError::from(context::PublishError::with_source(
            context::PublishErrorKind::Other,
            unreadable,
        ));
        assert_eq!(classify(&garbled), Failure::Permanent);
        assert_eq!(
            classify(&std::fmt::Error),
            Failure::Permanent,
            "a cause nobody knows"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_transient_failure_is_retried_until_the_call_succeeds() {
        let mut tries = 0;
        let result: Result<u32, context::PublishError> = ride_out("publish", || {
            tries += 1;
            let outcome = if tries < 4 {
                Err(context::PublishError::new(
                    context::PublishErrorKind::TimedOut,
                ))
            } else {
                Ok(tries)
            };
            async move { outcome }
        })
        .await;
        assert_eq!(result.expect("the fourth try succeeds"), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn a_permanent_failure_or_a_lost_race_is_returned_at_once() {
        for kind in [
            context::PublishErrorKind::MaxPayloadExceeded,
            context::PublishErrorKind::WrongLastSequence,
        ] {
            let mut tries = 0;
            let result: Result<(), context::PublishError> = ride_out("publish", || {
                tries += 1;
                async move { Err(context::PublishError::new(kind)) }
            })
            .await;
            assert!(result.is_err());
            assert_eq!(tries, 1, "{kind:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_outage_longer_than_the_patience_ends_in_its_error() {
        let started = Instant::now();
        let mut tries = 0u32;
        let result: Result<(), context::PublishError> = ride_out("publish", || {
            tries += 1;
            async move {
                Err(context::PublishError::new(
                    context::PublishErrorKind::StreamNotFound,
                ))
            }
        })
        .await;
        let waited = started.elapsed();
        assert!(result.is_err());
        assert!(
            waited <= PATIENCE && waited >= PATIENCE - OUTAGE_RETRY.max,
            "gave up after {waited:?}"
        );
        assert!(tries > 10, "tried {tries} times");
    }
}
