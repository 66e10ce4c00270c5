//! Typed requests to other services, with the error mapping every caller needs.
//!
//! A reply carrying the `Nats-Service-Error` header is a [`WireError`]; no responders becomes
//! `unavailable` and a timeout becomes `timeout`, so callers branch on codes alone.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_nats::client::RequestErrorKind;
use async_nats::{HeaderMap, HeaderName, HeaderValue};
use bikestore_codec::ContentType;
use bikestore_contracts::{ErrorCode, Message, Request, ServiceName, Subjects, WireError};

use crate::header_name;

/// The default time a caller waits for a reply.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Per-call options.
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    /// Makes a command apply at most once.
    pub idempotency_key: Option<String>,
    /// The saga and step the call belongs to.
    pub saga: Option<(String, String)>,
    /// Trace context to pass on; the current span's when absent.
    pub traceparent: Option<String>,
    /// The body format; postcard by default.
    pub content_type: ContentType,
    /// How long to wait; [`DEFAULT_TIMEOUT`] when absent.
    pub timeout: Option<Duration>,
}

impl CallOptions {
    /// Options with just an idempotency key.
    pub fn idempotent(key: impl Into<String>) -> CallOptions {
        CallOptions {
            idempotency_key: Some(key.into()),
            ..CallOptions::default()
        }
    }
}

/// Headers a [`Caller`] adds to each request from its subject and encoded body: a signature
/// over them, such as the caller assertion the test harness makes as the gateway would.
pub type Stamp = Arc<dyn Fn(&str, &[u8], &mut HeaderMap) + Send + Sync>;

/// Sends typed requests to services under one subject prefix.
#[derive(Clone)]
pub struct Caller {
    client: async_nats::Client,
    subjects: Subjects,
    stamp: Option<Stamp>,
}

impl fmt::Debug for Caller {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Caller")
            .field("subjects", &self.subjects)
            .field("stamped", &self.stamp.is_some())
            .finish_non_exhaustive()
    }
}

/// A reply as [`Caller::call_raw`] returns it.
#[derive(Debug, Clone)]
pub struct RawReply {
    /// The encoded reply.
    pub body: bytes::Bytes,
    /// Whether the participant answered from its inbox, a reply recorded before for the
    /// request's idempotency key, rather than doing the work now (`Bikestore-Replayed` on a
    /// command's reply); `None` from a service too old to say.
    pub replayed: Option<bool>,
}

impl Caller {
    /// A caller over `client`.
    pub fn new(client: async_nats::Client, subjects: Subjects) -> Caller {
        Caller {
            client,
            subjects,
            stamp: None,
        }
    }

    /// This caller, adding `stamp`'s headers to every request it sends.
    pub fn stamped(self, stamp: Stamp) -> Caller {
        Caller {
            stamp: Some(stamp),
            ..self
        }
    }

    /// The NATS client underneath.
    pub fn client(&self) -> &async_nats::Client {
        &self.client
    }

    /// Sends `request` with default options.
    pub async fn call<R: Request>(&self, request: &R) -> Result<R::Reply, WireError> {
        self.call_with(request, &CallOptions::default()).await
    }

    /// Sends `request` with `options`.
    pub async fn call_with<R: Request>(
        &self,
        request: &R,
        options: &CallOptions,
    ) -> Result<R::Reply, WireError> {
        let body = bikestore_codec::encode(options.content_type, request)
            .map_err(|error| WireError::new(error.code(), error.to_string()))?;
        let subject = self.subjects.request::<R>();
        let reply = self.send(subject, body, R::SCHEMA_VERSION, options).await?;
        decode_reply::<R::Reply>(&reply)
    }

    /// Sends an already encoded request to `subject` and returns the reply's body, or the
    /// wire error it carries: for callers that hold requests type-erased, like the saga engine.
    pub async fn call_raw(
        &self,
        service: ServiceName,
        operation: &str,
        body: Vec<u8>,
        schema_version: u16,
        options: &CallOptions,
    ) -> Result<RawReply, WireError> {
        let subject = self.subjects.svc(service, operation);
        let reply = self.send(subject, body, schema_version, options).await?;
        if let Some(error) = carried_error(&reply) {
            return Err(error);
        }
        let replayed = reply
            .headers
            .as_ref()
            .and_then(|map| map.get(header_name::REPLAYED))
            .map(|value| value.as_str() == "true");
        Ok(RawReply {
            body: reply.payload,
            replayed,
        })
    }

    async fn send(
        &self,
        subject: String,
        body: Vec<u8>,
        schema_version: u16,
        options: &CallOptions,
    ) -> Result<async_nats::Message, WireError> {
        let mut request_headers = HeaderMap::new();
        request_headers.insert(
            header_name::CONTENT_TYPE,
            options.content_type.header_value(),
        );
        request_headers.insert(
            header_name::SCHEMA_VERSION,
            HeaderValue::from(schema_version),
        );
        if let Some(key) = &options.idempotency_key {
            request_headers.insert(header_name::IDEMPOTENCY_KEY, key.as_str());
        }
        if let Some((saga_id, step)) = &options.saga {
            request_headers.insert(header_name::SAGA_ID, saga_id.as_str());
            request_headers.insert(header_name::SAGA_STEP, step.as_str());
        }
        if let Some(traceparent) = options.traceparent.clone().or_else(crate::trace::current) {
            request_headers.insert(header_name::TRACEPARENT, traceparent.as_str());
        }
        if let Some(stamp) = &self.stamp {
            stamp(&subject, &body, &mut request_headers);
        }
        let timeout = options.timeout.unwrap_or(DEFAULT_TIMEOUT);
        let request = async_nats::Request::new()
            .headers(request_headers)
            .payload(body.into())
            .timeout(Some(timeout));
        self.client
            .send_request(subject.clone(), request)
            .await
            .map_err(|error| match error.kind() {
                RequestErrorKind::NoResponders => WireError::new(
                    ErrorCode::Unavailable,
                    format!("no service answers {subject}"),
                ),
                RequestErrorKind::TimedOut => WireError::new(
                    ErrorCode::Timeout,
                    format!("{subject} did not answer within {timeout:?}"),
                ),
                RequestErrorKind::MaxPayloadExceeded => WireError::new(
                    ErrorCode::TooLarge,
                    format!("the request to {subject} is larger than the server accepts"),
                ),
                RequestErrorKind::InvalidSubject | RequestErrorKind::Other => WireError::new(
                    ErrorCode::Unavailable,
                    format!("request to {subject} failed: {error}"),
                ),
            })
    }
}

/// The wire error a reply carries, if it is an error reply.
fn carried_error(reply: &async_nats::Message) -> Option<WireError> {
    let reply_headers = reply.headers.as_ref()?;
    reply_headers.get(header_name::NATS_SERVICE_ERROR)?;
    let content_type = ContentType::from_header(
        reply_headers
            .get(header_name::CONTENT_TYPE)
            .map(|value| value.as_str()),
    )
    .unwrap_or_default();
    Some(bikestore_codec::decode_error(content_type, &reply.payload))
}

/// Decodes a reply message: the typed reply, or the wire error it carries.
pub fn decode_reply<M: Message>(reply: &async_nats::Message) -> Result<M, WireError> {
    let header = |name: HeaderName| {
        reply
            .headers
            .as_ref()
            .and_then(|map| map.get(name))
            .map(|value| value.as_str())
    };
    let content_type = ContentType::from_header(header(header_name::CONTENT_TYPE))
        .map_err(|error| WireError::new(ErrorCode::Internal, error.to_string()))?;
    if let Some(error) = carried_error(reply) {
        return Err(error);
    }
    let version = bikestore_codec::schema_version_from_header(header(header_name::SCHEMA_VERSION))
        .map_err(|error| WireError::new(ErrorCode::Internal, error.to_string()))?;
    bikestore_codec::decode::<M>(content_type, version, &reply.payload, usize::MAX).map_err(
        |error| {
            WireError::new(
                ErrorCode::Internal,
                format!("the reply could not be read: {error}"),
            )
        },
    )
}
