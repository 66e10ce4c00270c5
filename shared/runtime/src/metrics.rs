//! Prometheus metrics: the process's recorder, the `GET /metrics` exposition server, and the
//! series every service shares.
//!
//! Off unless a service is given `--metrics-addr` ([`CommonConfig::metrics_addr`]): then
//! [`Application::build`](crate::Application::build) installs the recorder (once per process)
//! and binds the address, failing start-up with [`RuntimeError::Metrics`] if it cannot, and the
//! server answers scrapes until shutdown. Until a recorder is installed every record here is a
//! single atomic load and nothing more, so a service without metrics pays nothing for them.
//!
//! Every series carries a `service` label, so several services in one process (as in tests)
//! stay apart; every other label takes values from a bounded set (operation names, error
//! codes, saga definitions, consumer names), never IDs or users. The series recorded here:
//!
//! - `bikestore_requests_total{service,operation,outcome}` and
//!   `bikestore_request_duration_seconds{service,operation}`: every request a service answers,
//!   `outcome` being `ok` or the error code;
//! - `bikestore_inbox_hits_total{service,operation}`: a command answered from the inbox (a
//!   repeated idempotency key);
//! - `bikestore_outbox_oldest_unrelayed_seconds{service}`: the age of the oldest outbox row the
//!   relay is about to publish, 0 once the outbox is empty;
//! - `bikestore_consumer_lag{service,consumer,stream}`: messages a durable consumer has still to
//!   receive, as the last delivered message said.
//!
//! Services record their own series (the orchestrator's sagas, the gateway's refusals) with the
//! `metrics` macros, behind [`enabled`].
//!
//! It does not speak HTTP beyond what a scraper needs: one `GET` per connection, answered and
//! closed.

use std::net::SocketAddr;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use bikestore_contracts::{ErrorCode, ServiceName};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tracing::{debug, info};

use crate::error::RuntimeError;
use crate::shutdown::Shutdown;

/// The path scrapers ask for.
pub const METRICS_PATH: &str = "/metrics";

/// Histogram buckets of every `_seconds` series, from half a millisecond (a query served from
/// memory) to five minutes (a work item that waited out an outage).
const SECONDS_BUCKETS: [f64; 17] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0, 300.0,
];

/// How often the recorder folds recorded histogram samples into its buckets when nobody
/// scrapes, so their memory stays bounded.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// How long a scraper may take to send its request and read the answer.
const SCRAPE_PATIENCE: Duration = Duration::from_secs(5);

/// The most bytes of a request head read; a scraper's fits in a few hundred.
const MAX_REQUEST_HEAD: usize = 8 * 1024;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Whether this process records metrics: false until [`install`]. Services check it before
/// building labels for a series of their own.
pub fn enabled() -> bool {
    HANDLE.get().is_some()
}

/// Installs the process's Prometheus recorder, or returns the one already installed (several
/// services in one process share it; their series differ by their `service` label).
pub fn install() -> Result<PrometheusHandle, RuntimeError> {
    // Held while installing, so two services starting at once install one recorder.
    static INSTALLING: Mutex<()> = Mutex::new(());
    let _installing = INSTALLING.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &SECONDS_BUCKETS)
        .map_err(|error| RuntimeError::Config(format!("metrics buckets: {error}")))?
        .build_recorder();
    let handle = recorder.handle();
    ::metrics::set_global_recorder(recorder).map_err(|_| {
        RuntimeError::Config("another metrics recorder is installed in this process".into())
    })?;
    Ok(HANDLE.get_or_init(|| handle).clone())
}

/// A bound exposition server, to be run with [`MetricsServer::serve`].
pub struct MetricsServer {
    listener: TcpListener,
    handle: PrometheusHandle,
}

impl MetricsServer {
    /// Installs the recorder and binds `address`; a taken or unusable address is
    /// [`RuntimeError::Metrics`].
    pub async fn bind(address: SocketAddr) -> Result<MetricsServer, RuntimeError> {
        let handle = install()?;
        let listener = TcpListener::bind(address)
            .await
            .map_err(|source| RuntimeError::Metrics { address, source })?;
        Ok(MetricsServer { listener, handle })
    }

    /// The address it listens on (the port chosen, when bound to port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Answers scrapes, one connection at a time, until shutdown.
    pub async fn serve(self, mut shutdown: Shutdown) {
        if let Ok(address) = self.listener.local_addr() {
            info!(%address, path = METRICS_PATH, "serving metrics");
        }
        let mut upkeep = tokio::time::interval(UPKEEP_INTERVAL);
        loop {
            tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        let answered = tokio::time::timeout(SCRAPE_PATIENCE, answer(stream, &self.handle)).await;
                        if !matches!(answered, Ok(Ok(()))) {
                            debug!("a metrics scrape failed or took too long");
                        }
                    }
                    Err(error) => debug!(error = %error, "could not accept a metrics connection"),
                },
                _ = upkeep.tick() => self.handle.run_upkeep(),
                _ = shutdown.wait() => break,
            }
        }
    }
}

/// Reads one request head and answers it: the metrics for `GET /metrics`, 404 for another
/// path, 405 for another method.
async fn answer(mut stream: TcpStream, handle: &PrometheusHandle) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") && head.len() < MAX_REQUEST_HEAD {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            break;
        }
        head.extend_from_slice(&chunk[..read]);
    }
    let request_line = head.split(|byte| *byte == b'\n').next().unwrap_or_default();
    let request_line = String::from_utf8_lossy(request_line);
    let mut words = request_line.split_whitespace();
    let (method, target) = (words.next(), words.next());
    let path = target.map(|target| target.split('?').next().unwrap_or(target));
    let (status, content_type, body) = match (method, path) {
        (Some("GET"), Some(METRICS_PATH)) => (
            "200 OK",
            "text/plain; version=0.0.4; charset=utf-8",
            handle.render(),
        ),
        (Some("GET"), _) => ("404 Not Found", "text/plain", "not found\n".to_owned()),
        _ => (
            "405 Method Not Allowed",
            "text/plain",
            "only GET\n".to_owned(),
        ),
    };
    let reply_head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(reply_head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}

/// Records a request `service` answered: `error` is the code it answered with, if any.
pub fn request_served(
    service: ServiceName,
    operation: &'static str,
    error: Option<ErrorCode>,
    elapsed: Duration,
) {
    if !enabled() {
        return;
    }
    let outcome = error.map_or("ok", ErrorCode::as_str);
    ::metrics::counter!("bikestore_requests_total", "service" => service.as_str(), "operation" => operation, "outcome" => outcome)
        .increment(1);
    ::metrics::histogram!("bikestore_request_duration_seconds", "service" => service.as_str(), "operation" => operation)
        .record(elapsed.as_secs_f64());
}

/// Records a command `service` answered from its inbox: a repeat of an idempotency key.
pub fn inbox_hit(service: ServiceName, operation: &'static str) {
    if !enabled() {
        return;
    }
    ::metrics::counter!("bikestore_inbox_hits_total", "service" => service.as_str(), "operation" => operation)
        .increment(1);
}

/// Records the age of the oldest outbox row about to be relayed, from its creation time in
/// milliseconds since the Unix epoch (`None`: nothing waits, age zero).
pub fn outbox_oldest_unrelayed(service: ServiceName, oldest_created_at_ms: Option<i64>) {
    if !enabled() {
        return;
    }
    let age_ms = oldest_created_at_ms.map_or(0, |created| (crate::now_ms() - created).max(0));
    ::metrics::gauge!("bikestore_outbox_oldest_unrelayed_seconds", "service" => service.as_str())
        .set(age_ms as f64 / 1000.0);
}

/// Records how many messages durable `consumer` of `stream` has still to receive after
/// `message`, as its delivery says. A durable consumer is named after the service that reads
/// with it, which is its `service` label.
pub fn consumer_lag(consumer: &str, stream: &str, message: &async_nats::jetstream::Message) {
    if !enabled() {
        return;
    }
    let Ok(info) = message.info() else { return };
    ::metrics::gauge!("bikestore_consumer_lag", "service" => consumer.to_owned(), "consumer" => consumer.to_owned(), "stream" => stream.to_owned())
        .set(info.pending as f64);
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(address: SocketAddr, request: &str) -> String {
        let mut stream = TcpStream::connect(address)
            .await
            .expect("the metrics server listens");
        stream
            .write_all(request.as_bytes())
            .await
            .expect("the request is sent");
        let mut answer = String::new();
        stream
            .read_to_string(&mut answer)
            .await
            .expect("an answer is read");
        answer
    }

    #[tokio::test]
    async fn scrapes_are_answered_and_other_paths_are_not_found() {
        let server = MetricsServer::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("a free port binds");
        let address = server.local_addr().expect("a bound address");
        let (trigger, shutdown) = Shutdown::new();
        let serving = tokio::spawn(server.serve(shutdown));
        request_served(
            ServiceName::Inventory,
            "reserve_stock",
            Some(ErrorCode::InsufficientStock),
            Duration::from_millis(3),
        );

        let scrape = get(address, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await;
        assert!(scrape.starts_with("HTTP/1.1 200 OK\r\n"), "{scrape}");
        assert!(
            scrape.contains(
                "bikestore_requests_total{service=\"inventory\",operation=\"reserve_stock\",outcome=\"insufficient_stock\"} 1"
            ),
            "{scrape}"
        );
        assert!(
            scrape.contains("bikestore_request_duration_seconds_bucket{service=\"inventory\",operation=\"reserve_stock\",le=\"0.005\"} 1"),
            "{scrape}"
        );

        let missing = get(address, "GET /other HTTP/1.1\r\n\r\n").await;
        assert!(
            missing.starts_with("HTTP/1.1 404 Not Found\r\n"),
            "{missing}"
        );
        let posted = get(address, "POST /metrics HTTP/1.1\r\n\r\n").await;
        assert!(posted.starts_with("HTTP/1.1 405 "), "{posted}");

        trigger.trigger();
        serving.await.expect("the server stops on shutdown");
    }

    #[tokio::test]
    async fn a_taken_address_is_a_clear_error() {
        let taken = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("a free port binds");
        let address = taken.local_addr().expect("a bound address");
        let error = MetricsServer::bind(address)
            .await
            .err()
            .expect("a taken address is refused");
        let text = error.to_string();
        assert!(
            text.contains(&format!("cannot serve metrics on {address}")),
            "{text}"
        );
        assert!(matches!(error, RuntimeError::Metrics { .. }), "{error:?}");
    }
}
