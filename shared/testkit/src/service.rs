//! [`wait_for_service`]: readiness of a NATS micro service, by its own discovery protocol.
//!
//! Every service registered through async-nats's `service` API answers `PING` requests; a reply
//! means its endpoints are subscribed and it can take requests.

use std::time::Duration;

use anyhow::Context;
use async_nats::service::PingResponse;
use bikestore_contracts::Subjects;

use crate::eventually;

/// How long one ping waits for a reply.
const PING_TIMEOUT: Duration = Duration::from_millis(250);

/// Waits until a NATS micro service named `service_name` answers a ping on `client`'s server.
pub async fn wait_for_service(
    client: &async_nats::Client,
    service_name: &str,
    deadline: Duration,
) -> anyhow::Result<()> {
    let subject = Subjects::service_ping(service_name);
    eventually(
        &format!("service {service_name} to answer {subject}"),
        deadline,
        async || {
            // No responders, a timeout or a foreign reply all mean "not yet".
            let reply = tokio::time::timeout(
                PING_TIMEOUT,
                client.request(subject.clone(), Default::default()),
            )
            .await
            .ok()?
            .ok()?;
            let pong: PingResponse = serde_json::from_slice(&reply.payload).ok()?;
            (pong.name == service_name).then_some(())
        },
    )
    .await
    .with_context(|| {
        format!("service {service_name} is not running or not connected to this nats-server")
    })
}
