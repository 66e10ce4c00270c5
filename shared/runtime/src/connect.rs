//! A NATS connection that keeps trying: at start and after every disconnect.

use std::time::Duration;

use async_nats::{Client, ConnectOptions, Event};
use tracing::{info, warn};

use crate::error::RuntimeError;

/// Connects to `url` as `name`. The client retries the first connection in the background and
/// reconnects for ever after a loss, re-creating its subscriptions, so a restarted nats-server
/// is survived without help.
pub async fn connect(url: &str, name: &str) -> Result<Client, RuntimeError> {
    let client_name = name.to_owned();
    ConnectOptions::new()
        .name(name)
        .retry_on_initial_connect()
        .max_reconnects(None)
        .connection_timeout(Duration::from_secs(2))
        .reconnect_delay_callback(|attempts| {
            // Fast at first, so tests and brief restarts recover quickly; capped at two seconds.
            let millis = 20u64.saturating_mul(1 << attempts.min(7)).min(2_000);
            Duration::from_millis(millis)
        })
        .event_callback(move |event| {
            let client_name = client_name.clone();
            async move {
                match event {
                    Event::Connected => info!(client = %client_name, "connected to NATS"),
                    Event::Disconnected => warn!(client = %client_name, "disconnected from NATS"),
                    other => info!(client = %client_name, event = %other, "NATS event"),
                }
            }
        })
        .connect(url)
        .await
        .map_err(|error| RuntimeError::nats(format!("connect to {url}"), error))
}
