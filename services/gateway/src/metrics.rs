//! The gateway's Prometheus series, recorded only when the runtime's recorder is installed
//! (`--metrics-addr`; see `bikestore_runtime::metrics`), each with `service="gateway"`:
//!
//! - `bikestore_requests_total{operation,outcome}` and `bikestore_request_duration_seconds`,
//!   as every service records them: every public request with a known operation, `outcome`
//!   being `ok` or the error code the caller got (a query handed over to its service is `ok`
//!   once handed over: the service answers the caller itself);
//! - `bikestore_gateway_refusals_total{reason}`: requests the gateway itself refused, by
//!   [`GatewayError::reason`];
//! - `bikestore_gateway_rate_limited_total{limit}`: refusals by a rate budget, by which bucket
//!   (`staff`, `connection`, `subject`, `operation`).

use std::time::{Duration, Instant};

use bikestore_contracts::{ErrorCode, ServiceName};
use bikestore_runtime::metrics::{enabled, request_served};
use metrics::counter;

use crate::error::GatewayError;
use crate::rate::Limit;

const SERVICE: &str = "gateway";

/// A public request being served, counted once: by [`Answered::finish`] before its answer
/// leaves (so a caller that has its answer sees it counted), or else when dropped, as a query
/// handed over to its service is.
pub struct Answered {
    operation: &'static str,
    started: Instant,
    counted: bool,
}

impl Answered {
    /// Starts timing a request to `operation`.
    pub fn start(operation: &'static str) -> Answered {
        Answered {
            operation,
            started: Instant::now(),
            counted: false,
        }
    }

    /// Counts the request, answered with `error` (if any); later calls count nothing.
    pub fn finish(&mut self, error: Option<ErrorCode>) {
        if !self.counted {
            self.counted = true;
            let elapsed: Duration = self.started.elapsed();
            request_served(ServiceName::Gateway, self.operation, error, elapsed);
        }
    }
}

impl Drop for Answered {
    fn drop(&mut self) {
        self.finish(None);
    }
}

/// The gateway refused a request with `error`.
pub fn refused(error: &GatewayError) {
    if !enabled() {
        return;
    }
    counter!("bikestore_gateway_refusals_total", "service" => SERVICE, "reason" => error.reason())
        .increment(1);
    if let GatewayError::RateLimited(refusal) = error {
        let limit = match refusal.limit {
            Limit::Staff => "staff",
            Limit::Connection => "connection",
            Limit::Subject => "subject",
            Limit::Operation => "operation",
        };
        counter!("bikestore_gateway_rate_limited_total", "service" => SERVICE, "limit" => limit)
            .increment(1);
    }
}
