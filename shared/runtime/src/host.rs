//! Hosting a service: NATS micro service registration and the request glue.
//!
//! Every endpoint runs in the service's queue group, so instances can be added, and answers
//! `$SRV.PING/INFO/STATS`. For each request the host decodes the body (postcard, or JSON when
//! asked), opens a span named after the operation, calls the handler, and encodes the typed
//! reply or the `{code, message, details}` error in the caller's format. A handler never sees
//! bytes or headers, and a panic in one becomes an `internal` reply, not a silent timeout.
//! An endpoint may have a gate ([`ServiceHost::gated_endpoint`]): a check over the raw request
//! (subject, headers, body), such as a signature only some callers hold, that runs after the
//! body decoded and before the handler, so a request it refuses changes nothing.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use async_nats::service::{Service, ServiceExt};
use async_nats::{HeaderMap, HeaderName, HeaderValue};
use bikestore_codec::{CodecError, ContentType};
use bikestore_contracts::message::OperationKind;
use bikestore_contracts::{ErrorCode, Request, ServiceName, Subjects, WireError};
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use tokio::task::JoinSet;
use tracing::{Instrument, debug, error, info, warn};

use crate::config::Fault;
use crate::error::{RuntimeError, ServiceError, error_chain};
use crate::header_name;
use crate::shutdown::Shutdown;

/// How long shutdown waits for requests already delivered to an endpoint.
const DRAIN_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

/// What the runtime read from a request's headers.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    /// The operation being served.
    pub operation: &'static str,
    /// The caller's idempotency key, if any.
    pub idempotency_key: Option<String>,
    /// The saga the request belongs to, if any.
    pub saga_id: Option<String>,
    /// The saga step, if any.
    pub saga_step: Option<String>,
    /// The request's span as a W3C `traceparent`: the parent of what handling it sends on
    /// (requests and events pick it up on their own; a saga record keeps it).
    pub traceparent: Option<String>,
    /// Marked when the request is answered from the inbox; the reply then says so
    /// (`Bikestore-Replayed`).
    pub replayed: ReplayMark,
}

/// Whether a request was answered from the inbox, set by [`crate::ServiceDb`] and read when
/// the reply is sent.
#[derive(Debug, Clone, Default)]
pub struct ReplayMark(Arc<std::sync::atomic::AtomicBool>);

impl ReplayMark {
    /// The request is answered with a reply recorded before.
    pub fn mark(&self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether [`ReplayMark::mark`] was called.
    pub fn is_marked(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// What a handler receives beside its request: the service's state and the request's metadata.
pub struct Ctx<S> {
    /// The service's shared state.
    pub state: Arc<S>,
    /// The request's metadata.
    pub meta: RequestMeta,
}

impl<S> std::ops::Deref for Ctx<S> {
    type Target = S;

    fn deref(&self) -> &S {
        &self.state
    }
}

/// A gate as the host keeps it: the service's state and the raw request in, admitted or the
/// refusal's wire form out.
type Gate<S> = Arc<
    dyn Fn(Arc<S>, async_nats::Message) -> BoxFuture<'static, Result<(), WireError>> + Send + Sync,
>;

/// A running NATS micro service with its endpoints.
pub struct ServiceHost<S> {
    client: async_nats::Client,
    subjects: Subjects,
    name: ServiceName,
    state: Arc<S>,
    service: Service,
    max_request_bytes: usize,
    shutdown: Shutdown,
    endpoints: JoinSet<()>,
    failing_operation: Option<Arc<str>>,
}

impl<S: Send + Sync + 'static> ServiceHost<S> {
    /// Registers the micro service `name` (also its queue group).
    pub async fn start(
        client: async_nats::Client,
        subjects: Subjects,
        name: ServiceName,
        description: &str,
        state: Arc<S>,
        max_request_bytes: usize,
        shutdown: Shutdown,
    ) -> Result<ServiceHost<S>, RuntimeError> {
        let service = client
            .service_builder()
            .description(description)
            .queue_group(name.as_str())
            .start(name.as_str(), env!("CARGO_PKG_VERSION"))
            .await
            .map_err(|error| RuntimeError::Nats {
                context: format!("register micro service {name}"),
                source: error,
            })?;
        Ok(ServiceHost {
            client,
            subjects,
            name,
            state,
            service,
            max_request_bytes,
            shutdown,
            endpoints: JoinSet::new(),
            failing_operation: None,
        })
    }

    /// Applies a fault-injection setting: with [`Fault::FailOperation`], that operation answers
    /// every request with `unavailable`. Register endpoints after calling this.
    pub fn with_fault(mut self, fault: Option<&Fault>) -> ServiceHost<S> {
        if let Some(Fault::FailOperation(operation)) = fault {
            self.failing_operation = Some(Arc::from(operation.as_str()));
        }
        self
    }

    /// Serves request type `R` with `handler` until shutdown.
    pub async fn endpoint<R, E, F, Fut>(&mut self, handler: F) -> Result<(), RuntimeError>
    where
        R: Request,
        E: ServiceError,
        F: Fn(Ctx<S>, R) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R::Reply, E>> + Send + 'static,
    {
        self.serve_endpoint(handler, None).await
    }

    /// Serves request type `R` with `handler` until shutdown, but only the requests `gate`
    /// admits: it sees the raw request once its body has decoded, and its refusal is the
    /// answer, logged like a handler's.
    pub async fn gated_endpoint<R, E, F, Fut, G, GateFut>(
        &mut self,
        gate: G,
        handler: F,
    ) -> Result<(), RuntimeError>
    where
        R: Request,
        E: ServiceError,
        F: Fn(Ctx<S>, R) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R::Reply, E>> + Send + 'static,
        G: Fn(Arc<S>, async_nats::Message) -> GateFut + Send + Sync + 'static,
        GateFut: Future<Output = Result<(), E>> + Send + 'static,
    {
        let gate: Gate<S> = Arc::new(move |state, message| {
            let admitted = gate(state, message);
            async move { admitted.await.map_err(|error| report(&error)) }.boxed()
        });
        self.serve_endpoint(handler, Some(gate)).await
    }

    async fn serve_endpoint<R, E, F, Fut>(
        &mut self,
        handler: F,
        gate: Option<Gate<S>>,
    ) -> Result<(), RuntimeError>
    where
        R: Request,
        E: ServiceError,
        F: Fn(Ctx<S>, R) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R::Reply, E>> + Send + 'static,
    {
        let mut endpoint = self.add_endpoint(R::OPERATION).await?;
        let handler = Arc::new(handler);
        let state = Arc::clone(&self.state);
        let service_name = self.name;
        let max_request_bytes = self.max_request_bytes;
        let failing = self.failing_operation.as_deref() == Some(R::OPERATION);
        let mut shutdown = self.shutdown.clone();
        self.endpoints.spawn(async move {
            let mut in_flight = JoinSet::new();
            let serve = |in_flight: &mut JoinSet<()>, request| {
                let exchange = Exchange {
                    request,
                    service: service_name,
                    max_request_bytes,
                    failing,
                    gate: gate.clone(),
                };
                in_flight.spawn(exchange.serve::<R, E, F, Fut>(
                    Arc::clone(&handler),
                    Arc::clone(&state),
                ));
            };
            loop {
                tokio::select! {
                    request = endpoint.next() => match request {
                        Some(request) => serve(&mut in_flight, request),
                        None => break,
                    },
                    Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
                    _ = shutdown.wait() => {
                        // Stop taking new requests, but serve those the server already
                        // delivered: unsubscribing ends the stream after them.
                        let _ = endpoint.stop().await;
                        while let Ok(Some(request)) = tokio::time::timeout(DRAIN_PATIENCE, endpoint.next()).await {
                            serve(&mut in_flight, request);
                        }
                        break;
                    }
                }
            }
            while in_flight.join_next().await.is_some() {}
        });
        Ok(())
    }

    /// Subscribes the micro-service endpoint `operation` on `<prefix>.svc.<service>.<operation>`.
    async fn add_endpoint(
        &self,
        operation: &str,
    ) -> Result<async_nats::service::endpoint::Endpoint, RuntimeError> {
        let subject = self.subjects.svc(self.name, operation);
        self.service
            .endpoint_builder()
            .name(operation)
            .add(subject.clone())
            .await
            .map_err(|error| RuntimeError::Nats {
                context: format!("add endpoint {subject}"),
                source: error,
            })
    }

    /// Adds the [`Subjects::READY_ENDPOINT`] endpoint (`<prefix>.svc.<service>.ready`, answering
    /// an empty body), after every other endpoint.
    async fn add_ready_endpoint(&mut self) -> Result<(), RuntimeError> {
        let mut endpoint = self.add_endpoint(Subjects::READY_ENDPOINT).await?;
        let mut shutdown = self.shutdown.clone();
        self.endpoints.spawn(async move {
            loop {
                tokio::select! {
                    request = endpoint.next() => match request {
                        Some(request) => {
                            let _ = request.respond(Ok(bytes::Bytes::new())).await;
                        }
                        None => break,
                    },
                    _ = shutdown.wait() => {
                        let _ = endpoint.stop().await;
                        break;
                    }
                }
            }
        });
        Ok(())
    }

    /// Marks the service ready (see [`Subjects::READY_ENDPOINT`]), waits for shutdown, then
    /// stops every endpoint after its in-flight requests finish. Call it after adding every
    /// endpoint.
    pub async fn serve(mut self) -> Result<(), RuntimeError> {
        self.add_ready_endpoint().await?;
        self.shutdown.wait().await;
        while self.endpoints.join_next().await.is_some() {}
        self.service
            .stop()
            .await
            .map_err(|error| RuntimeError::Nats {
                context: "stop micro service".into(),
                source: error,
            })?;
        // Make sure every reply has left before the process goes.
        self.client
            .flush()
            .await
            .map_err(|error| RuntimeError::nats("flush replies", error))
    }
}

struct Exchange<S> {
    request: async_nats::service::Request,
    failing: bool,
    service: ServiceName,
    max_request_bytes: usize,
    gate: Option<Gate<S>>,
}

impl<S: Send + Sync + 'static> Exchange<S> {
    async fn serve<R, E, F, Fut>(self, handler: Arc<F>, state: Arc<S>)
    where
        R: Request,
        E: ServiceError,
        F: Fn(Ctx<S>, R) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R::Reply, E>> + Send + 'static,
    {
        let started = std::time::Instant::now();
        let headers = self.request.message.headers.as_ref();
        let header = |name: HeaderName| {
            headers
                .and_then(|map| map.get(name))
                .map(|value| value.as_str())
        };
        // Read once, for the span and for the handler's meta.
        let idempotency_key = header(header_name::IDEMPOTENCY_KEY).map(str::to_owned);
        let saga_id = header(header_name::SAGA_ID).map(str::to_owned);
        let saga_step = header(header_name::SAGA_STEP).map(str::to_owned);
        // Given at creation, not recorded after: the JSON log layer re-parses a span's fields
        // on every later record, which the profile showed on every request.
        let span = tracing::info_span!(
            "request",
            otel.name = R::OPERATION,
            service = %self.service,
            subject = %self.request.message.subject,
            idempotency_key = idempotency_key.as_deref(),
            saga_id = saga_id.as_deref(),
            saga_step = saga_step.as_deref(),
        );
        crate::trace::continue_from_headers(&span, headers);
        let replayed = ReplayMark::default();
        let outcome = async {
            // An unreadable content type is answered in JSON, the format a human is most likely
            // to be typing.
            let content_type = match ContentType::from_header(header(header_name::CONTENT_TYPE)) {
                Ok(content_type) => content_type,
                Err(error) => return (ContentType::Json, Err(codec_error(&error))),
            };
            let meta = RequestMeta {
                operation: R::OPERATION,
                idempotency_key,
                saga_id,
                saga_step,
                traceparent: crate::trace::current(),
                replayed: replayed.clone(),
            };
            let request =
                bikestore_codec::schema_version_from_header(header(header_name::SCHEMA_VERSION))
                    .and_then(|version| {
                        bikestore_codec::decode::<R>(
                            content_type,
                            version,
                            &self.request.message.payload,
                            self.max_request_bytes,
                        )
                    });
            let request = match request {
                Ok(request) => request,
                Err(error) => return (content_type, Err(codec_error(&error))),
            };
            if let Some(gate) = &self.gate
                && let Err(refusal) = gate(Arc::clone(&state), self.request.message.clone()).await
            {
                return (content_type, Err(refusal));
            }
            if self.failing {
                warn!(
                    operation = R::OPERATION,
                    "fault injection: answering unavailable"
                );
                return (content_type, Err(Fault::refusal(R::OPERATION)));
            }
            let context = Ctx { state, meta };
            let result = AssertUnwindSafe(handler(context, request))
                .catch_unwind()
                .await;
            let reply = match result {
                Ok(Ok(reply)) => Ok(reply),
                Ok(Err(error)) => Err(report(&error)),
                Err(_) => {
                    error!(operation = R::OPERATION, "handler panicked");
                    Err(WireError::new(
                        ErrorCode::Internal,
                        "internal error; the service log has the details",
                    ))
                }
            };
            (content_type, reply)
        }
        .instrument(span.clone())
        .await;
        let _entered = span.enter();
        // Counted before the reply leaves, so a caller that has its answer sees it counted.
        let error_code = outcome.1.as_ref().err().map(|refusal| refusal.code);
        crate::metrics::request_served(self.service, R::OPERATION, error_code, started.elapsed());
        self.respond::<R>(outcome.0, outcome.1, replayed.is_marked())
            .await;
    }

    async fn respond<R: Request>(
        &self,
        content_type: ContentType,
        reply: Result<R::Reply, WireError>,
        replayed: bool,
    ) {
        if self.request.message.reply.is_none() {
            debug!("request without a reply subject; nothing to answer");
            return;
        }
        let mut reply_headers = HeaderMap::new();
        reply_headers.insert(header_name::CONTENT_TYPE, content_type.header_value());
        if R::KIND == OperationKind::Command {
            reply_headers.insert(
                header_name::REPLAYED,
                if replayed { "true" } else { "false" },
            );
        }
        let body = match reply.and_then(|reply| {
            bikestore_codec::encode(content_type, &reply).map_err(|error| codec_error(&error))
        }) {
            Ok(body) => {
                reply_headers.insert(
                    header_name::SCHEMA_VERSION,
                    HeaderValue::from(<R::Reply as bikestore_contracts::Message>::SCHEMA_VERSION),
                );
                body
            }
            Err(wire_error) => {
                reply_headers.insert(header_name::NATS_SERVICE_ERROR, wire_error.message.as_str());
                reply_headers.insert(
                    header_name::NATS_SERVICE_ERROR_CODE,
                    wire_error.code.status().to_string().as_str(),
                );
                bikestore_codec::encode_error(content_type, &wire_error)
            }
        };
        // The error travels in our own headers and body, so the framework's `Err` path (which
        // sends an empty body) is not used; replying through the request keeps `$SRV.STATS` counts.
        if let Err(error) = self
            .request
            .respond_with_headers(Ok(body.into()), reply_headers)
            .await
        {
            warn!(error = %error, "could not send the reply");
        }
        if R::KIND == OperationKind::Command {
            debug!("command answered");
        }
    }
}

fn codec_error(error: &CodecError) -> WireError {
    debug!(error = %error, "refused an unreadable request");
    WireError::new(error.code(), error.to_string())
}

/// Logs a handler error once, where it becomes a reply, and returns its wire form.
fn report<E: ServiceError>(error: &E) -> WireError {
    let wire_error = error.to_wire();
    match wire_error.code {
        ErrorCode::Internal => {
            error!(code = %wire_error.code, error = %error_chain(error), "request failed")
        }
        ErrorCode::Unavailable | ErrorCode::Timeout => {
            warn!(code = %wire_error.code, error = %error_chain(error), "request failed")
        }
        _ => info!(code = %wire_error.code, error = %wire_error.message, "request refused"),
    }
    wire_error
}
