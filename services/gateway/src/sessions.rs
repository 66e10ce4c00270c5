//! Login sessions that ended before their access tokens expired (identity's `sessions_ended`:
//! logout, deactivation, a new password, a stolen refresh token): their tokens are refused from
//! the moment the event arrives.
//!
//! The memory holds each ended session until its tokens would have expired anyway. It is fed
//! live by the gateway's subscription to the event, and at start by reading the events still
//! within an access token's lifetime back from identity's event stream, so a restarted gateway
//! does not forget a logout.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use async_nats::jetstream::{self, consumer};
use bikestore_codec::ContentType;
use bikestore_contracts::identity::SessionsEnded;
use bikestore_contracts::{ServiceName, Subjects};
use futures::StreamExt;
use tracing::{debug, warn};

/// How long the catch-up at start waits for the next stored event; it stops earlier, at the
/// newest one, and this only bounds a stream that stops answering.
const CATCH_UP_PATIENCE: Duration = Duration::from_millis(500);

/// The ended sessions, each with when its tokens expire anyway.
#[derive(Default)]
pub struct EndedSessions {
    ended: Mutex<HashMap<String, i64>>,
}

impl EndedSessions {
    /// An empty memory.
    pub fn new() -> EndedSessions {
        EndedSessions::default()
    }

    /// Remembers the sessions `event` ended, and forgets those whose tokens expired by `now_ms`.
    pub fn apply(&self, event: &SessionsEnded, now_ms: i64) {
        let mut ended = self
            .ended
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        ended.retain(|_, expire_by_ms| *expire_by_ms > now_ms);
        if event.tokens_expire_by_ms <= now_ms {
            return;
        }
        for session_id in &event.session_ids {
            let expire_by_ms = ended.entry(session_id.clone()).or_insert(0);
            *expire_by_ms = (*expire_by_ms).max(event.tokens_expire_by_ms);
        }
    }

    /// Whether `session_id` ended. Tokens made before sessions had IDs (an empty one) never
    /// count as ended.
    pub fn has_ended(&self, session_id: &str) -> bool {
        !session_id.is_empty()
            && self
                .ended
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .contains_key(session_id)
    }
}

/// Decodes a `sessions_ended` event, or says why not.
pub fn decode(payload: &[u8]) -> Option<SessionsEnded> {
    match bikestore_codec::decode::<SessionsEnded>(ContentType::Json, None, payload, usize::MAX) {
        Ok(event) => Some(event),
        Err(error) => {
            warn!(error = %error, "unreadable sessions_ended event");
            None
        }
    }
}

/// Reads the `sessions_ended` events of the last `lookback` back from identity's event stream
/// into `memory`. Subscribe to the live events first, so none falls between the two. A stream
/// not there yet (identity never ran) has nothing to catch up.
pub async fn catch_up(
    jetstream: &jetstream::Context,
    subjects: &Subjects,
    memory: &EndedSessions,
    lookback: Duration,
) {
    let stream_name = subjects.event_stream(ServiceName::Identity);
    let Ok(stream) = jetstream.get_stream(&stream_name).await else {
        debug!(stream = %stream_name, "no identity event stream yet; no ended session to catch up");
        return;
    };
    let subject = subjects.event_of::<SessionsEnded>();
    // The newest such event says where reading back ends, so a start never waits for events
    // that are not there.
    let newest = match stream.get_last_raw_message_by_subject(&subject).await {
        Ok(newest) => newest,
        Err(error) => {
            // Usually "no message": no session ended yet.
            debug!(error = %error, "no ended session to read back");
            return;
        }
    };
    let start = time::OffsetDateTime::now_utc() - lookback;
    if newest.time < start {
        return;
    }
    let config = consumer::pull::OrderedConfig {
        filter_subject: subject,
        deliver_policy: consumer::DeliverPolicy::ByStartTime { start_time: start },
        ..Default::default()
    };
    let messages = match stream.create_consumer(config).await {
        Ok(consumer) => consumer.messages().await,
        Err(error) => {
            warn!(error = %error, "could not read ended sessions back; only new ones count");
            return;
        }
    };
    let mut messages = match messages {
        Ok(messages) => messages,
        Err(error) => {
            warn!(error = %error, "could not read ended sessions back; only new ones count");
            return;
        }
    };
    let mut caught_up = 0_usize;
    while let Ok(Some(Ok(message))) = tokio::time::timeout(CATCH_UP_PATIENCE, messages.next()).await
    {
        if let Some(event) = decode(&message.payload) {
            memory.apply(&event, bikestore_runtime::now_ms());
            caught_up += 1;
        }
        if message
            .info()
            .is_ok_and(|info| info.stream_sequence >= newest.sequence)
        {
            break;
        }
    }
    debug!(events = caught_up, "caught up with ended sessions");
}

#[cfg(test)]
mod tests {
    use bikestore_contracts::StaffId;

    use super::*;

    fn ended(session_ids: &[&str], tokens_expire_by_ms: i64) -> SessionsEnded {
        SessionsEnded {
            staff_id: StaffId(1),
            session_ids: session_ids.iter().map(|id| (*id).to_owned()).collect(),
            at_ms: 0,
            tokens_expire_by_ms,
        }
    }

    #[test]
    fn an_ended_session_counts_until_its_tokens_expire_anyway() {
        let memory = EndedSessions::new();
        memory.apply(&ended(&["a", "b"], 1_000), 100);
        assert!(memory.has_ended("a") && memory.has_ended("b"));
        assert!(!memory.has_ended("c"));
        assert!(!memory.has_ended(""), "tokens without a session ID");
        // Past their tokens' expiry they are forgotten as later events come.
        memory.apply(&ended(&["c"], 5_000), 1_000);
        assert!(!memory.has_ended("a"));
        assert!(memory.has_ended("c"));
        // An event whose tokens have all expired adds nothing.
        memory.apply(&ended(&["d"], 900), 1_000);
        assert!(!memory.has_ended("d"));
    }
}
