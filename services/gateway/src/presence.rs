//! Which services answer right now, so a query is handed straight to its service only while the
//! service is there.
//!
//! A handed-over query names the caller's inbox as its reply subject, and NATS tells only the
//! publisher, never that inbox, when nobody listens: a query handed to a stopped service would
//! leave the caller waiting out its timeout instead of hearing `unavailable` at once. So the
//! gateway asks each service's micro-service description (`$SRV.INFO`) every interval, counts it
//! present only when it lists the ready endpoint (added after every other, so all take
//! requests), and relays queries (request and reply through the gateway, which answers
//! `unavailable` at once) to a service that is not. Every relayed call updates the view too:
//! `no responders` marks the service absent at once, an answer marks it present.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bikestore_contracts::{ServiceName, Subjects};
use bikestore_runtime::Shutdown;
use tokio::time::MissedTickBehavior;
use tracing::info;

use crate::Gateway;

/// How long a description may take before the service counts as absent for now.
const INFO_PATIENCE: Duration = Duration::from_millis(500);

/// Whether each service was ready at its last check or answered its last relayed call.
pub struct Presence {
    present: [AtomicBool; ServiceName::ALL.len()],
}

impl Presence {
    /// Every service absent until it answers: until then queries take the relayed path, which is
    /// slower but always answers.
    pub fn new() -> Presence {
        Presence {
            present: [const { AtomicBool::new(false) }; ServiceName::ALL.len()],
        }
    }

    fn slot(&self, service: ServiceName) -> &AtomicBool {
        // `ALL` lists every service, so its length covers every discriminant.
        &self.present[service as usize]
    }

    /// Whether `service` was last seen ready to answer.
    pub fn is_present(&self, service: ServiceName) -> bool {
        self.slot(service).load(Ordering::Relaxed)
    }

    /// Records whether `service` is ready to answer; logs when that changes.
    pub fn set(&self, service: ServiceName, present: bool) {
        let was = self.slot(service).swap(present, Ordering::Relaxed);
        if was != present {
            info!(%service, present, "service presence changed");
        }
    }
}

/// Asks every service behind the gateway whether it is ready, each `interval`, until shutdown.
pub async fn watch(gateway: Arc<Gateway>, interval: Duration, mut shutdown: Shutdown) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = shutdown.wait() => return,
        }
        for service in ServiceName::ALL {
            if service == ServiceName::Gateway {
                continue;
            }
            let ask = async_nats::Request::new().timeout(Some(INFO_PATIENCE));
            let answered = gateway
                .client
                .send_request(Subjects::service_info(service), ask)
                .await;
            // Any failure counts as absent: the relayed path is always safe.
            let ready = answered.ok().is_some_and(|reply| {
                bikestore_runtime::ops::is_ready_info(&reply.payload, service.as_str())
            });
            gateway.presence.set(service, ready);
        }
    }
}
