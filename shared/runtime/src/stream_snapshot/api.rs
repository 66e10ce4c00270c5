//! The JetStream API calls of one snapshot or restore of one stream, each failure turned into
//! the [`SnapshotError`] that names the stream and the operation.

use std::time::Duration;

use async_nats::client::RequestErrorKind;
use bytes::Bytes;
use serde_json::Value;

use super::{STREAM_EXISTS_ON_RESTORE, STREAM_NOT_FOUND};
use crate::error::SnapshotError;

/// How long a restore chunk nobody receives is sent again: the time a cluster's nodes take to
/// pass on a new subscription (usually milliseconds), well under the server's patience with a
/// restore whose chunks stop (about five seconds).
const INTEREST_PROPAGATION: Duration = Duration::from_secs(2);

/// Calls to the JetStream API on behalf of one operation on one stream, turning every failure
/// into the [`SnapshotError`] that names them.
pub(super) struct Api<'a> {
    pub(super) client: &'a async_nats::Client,
    pub(super) stream: &'a str,
    pub(super) operation: &'static str,
}

impl Api<'_> {
    /// Sends a JetStream API request and answers its JSON reply, or the API error in it.
    pub(super) async fn request(
        &self,
        subject: String,
        body: Bytes,
        timeout: Duration,
    ) -> Result<Value, SnapshotError> {
        let reply =
            self.send(subject, body, timeout)
                .await
                .map_err(|error| match error.kind() {
                    RequestErrorKind::TimedOut => self.stalled(timeout),
                    _ => self.nats(error),
                })?;
        self.parse(&reply)
    }

    /// Sends one restore chunk (or the empty end marker) and answers the server's reply bytes.
    ///
    /// Nobody listening may mean the server gave the restore up, or, on a cluster, that the
    /// node holding the restore's subscription has not told this client's node of it yet
    /// (nodes pass subscriptions on asynchronously): the chunk is sent again for a moment
    /// before the restore counts as abandoned.
    pub(super) async fn chunk(
        &self,
        subject: String,
        body: Bytes,
        timeout: Duration,
    ) -> Result<Bytes, SnapshotError> {
        let started = std::time::Instant::now();
        let mut pause = Duration::from_millis(10);
        loop {
            match self.send(subject.clone(), body.clone(), timeout).await {
                Ok(reply) => return Ok(reply),
                Err(error) => match error.kind() {
                    RequestErrorKind::TimedOut => return Err(self.stalled(timeout)),
                    RequestErrorKind::NoResponders if started.elapsed() < INTEREST_PROPAGATION => {
                        tokio::time::sleep(pause).await;
                        pause = (pause * 2).min(Duration::from_millis(200));
                    }
                    RequestErrorKind::NoResponders => {
                        return Err(SnapshotError::RestoreAbandoned {
                            stream: self.stream.to_owned(),
                        });
                    }
                    _ => return Err(self.nats(error)),
                },
            }
        }
    }

    pub(super) async fn send(
        &self,
        subject: String,
        body: Bytes,
        timeout: Duration,
    ) -> Result<Bytes, async_nats::RequestError> {
        let request = async_nats::Request::new()
            .payload(body)
            .timeout(Some(timeout));
        let reply = self.client.send_request(subject, request).await?;
        Ok(reply.payload)
    }

    /// The JSON of a JetStream API reply, or the error it carries as a [`SnapshotError`].
    pub(super) fn parse(&self, reply: &[u8]) -> Result<Value, SnapshotError> {
        let response: Value = serde_json::from_slice(reply)
            .map_err(|error| self.bad_response(format!("not JSON: {error}")))?;
        let Some(error) = response.get("error") else {
            return Ok(response);
        };
        let number = |field: &str| error.get(field).and_then(Value::as_u64).unwrap_or(0);
        let description = error
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("no description")
            .to_owned();
        let stream = self.stream.to_owned();
        Err(match number("err_code") {
            STREAM_NOT_FOUND => SnapshotError::StreamNotFound { stream },
            STREAM_EXISTS_ON_RESTORE => SnapshotError::StreamExists {
                stream,
                description,
            },
            err_code => SnapshotError::Refused {
                stream,
                operation: self.operation,
                status: number("code"),
                err_code,
                description,
            },
        })
    }

    /// A field of a reply that the protocol promises.
    pub(super) fn field(&self, response: &Value, name: &str) -> Result<Value, SnapshotError> {
        response
            .get(name)
            .cloned()
            .ok_or_else(|| self.bad_response(format!("the reply has no {name}")))
    }

    pub(super) fn stalled(&self, waited: Duration) -> SnapshotError {
        SnapshotError::Stalled {
            stream: self.stream.to_owned(),
            operation: self.operation,
            waited,
        }
    }

    pub(super) fn nats(
        &self,
        error: impl std::error::Error + Send + Sync + 'static,
    ) -> SnapshotError {
        SnapshotError::Nats {
            stream: self.stream.to_owned(),
            operation: self.operation,
            source: Box::new(error),
        }
    }

    pub(super) fn io(&self, error: std::io::Error) -> SnapshotError {
        SnapshotError::Io {
            stream: self.stream.to_owned(),
            operation: self.operation,
            source: error,
        }
    }

    pub(super) fn bad_response(&self, reason: impl Into<String>) -> SnapshotError {
        SnapshotError::BadResponse {
            stream: self.stream.to_owned(),
            operation: self.operation,
            reason: reason.into(),
        }
    }
}
