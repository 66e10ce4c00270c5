//! [`wait_for_service`]: readiness of a NATS micro service, by its own discovery protocol.
//!
//! A service answers `$SRV.PING` from the moment it registers, before its endpoints subscribe;
//! it adds the endpoint [`Subjects::READY_ENDPOINT`] after all the others, so an `$SRV.INFO`
//! answer listing that one means every endpoint takes requests.

use std::time::Duration;

use anyhow::Context;
use bikestore_contracts::Subjects;

use crate::eventually;

/// How long one ping waits for a reply.
const PING_TIMEOUT: Duration = Duration::from_millis(250);

/// Waits until a NATS micro service named `service_name` on `client`'s server lists its ready
/// endpoint.
pub async fn wait_for_service(
    client: &async_nats::Client,
    service_name: &str,
    deadline: Duration,
) -> anyhow::Result<()> {
    let subject = Subjects::service_info(service_name);
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
            bikestore_runtime::ops::is_ready_info(&reply.payload, service_name).then_some(())
        },
    )
    .await
    .with_context(|| {
        format!("service {service_name} is not running or not connected to this nats-server")
    })
}
