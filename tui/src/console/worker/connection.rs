//! The worker's connection: connecting through the client library until it works, restoring a
//! saved session once connected, and reporting the connection state for the status line.

use std::time::Duration;

use bikestore_client::{Client, Session};
use bikestore_contracts::backoff::Backoff;

use super::Shared;
use crate::console::Options;
use crate::console::event::BackendEvent;

/// How long the worker waits before connecting again: 500 ms at first, doubling up to 10 s.
const RECONNECT: Backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(10));
/// How often the connection state is looked at for the status line. The client library owns
/// the connection and its reconnects; this only reports what it sees.
const CONNECTION_CHECK: Duration = Duration::from_millis(500);

/// Connects through the client library (which sets the console's inbox prefix and
/// credentials), retrying with backoff until it works; then restores a saved session and reports
/// the connection state whenever it changes.
pub(super) async fn connect(shared: Shared, options: Options) {
    let mut failures: u32 = 0;
    let client = loop {
        // A console connects with the saved session's key, so the session can go on over it.
        let saved_key = bikestore_client::read_saved_session(&shared.session_file)
            .ok()
            .and_then(|saved| Session::saved_key(&saved).ok());
        let connected = match &options.nats_credentials {
            Some(credentials) => {
                Client::connect_with_tls(
                    &options.nats_url,
                    Some(credentials),
                    &options.nats_tls,
                    options.subjects.clone(),
                )
                .await
            }
            None => {
                Client::connect_as_console(
                    &options.nats_url,
                    &options.nats_tls,
                    options.subjects.clone(),
                    saved_key,
                )
                .await
            }
        };
        match connected {
            Ok(client) => break client,
            Err(error) => {
                shared
                    .send(BackendEvent::Disconnected(format!(
                        "{} ({error})",
                        options.nats_url
                    )))
                    .await;
                failures = failures.saturating_add(1);
                tokio::time::sleep(RECONNECT.delay(failures)).await;
            }
        }
    };
    let _ = shared.client.set(client.clone());
    shared.send(BackendEvent::Connected).await;
    // Reading a small file; the runtime has threads to spare for it.
    match Session::load_from(client.clone(), &shared.session_file) {
        Ok(session) => {
            let staff = session.whoami().clone();
            // The CLI shares the file: every refresh is coordinated through it.
            let session = session.kept_in(&shared.session_file);
            shared.set_session(Some(session));
            shared.send(BackendEvent::SessionRestored(staff)).await;
        }
        Err(_) => shared.send(BackendEvent::NeedsLogin).await,
    }
    let mut connected = true;
    let mut checks = tokio::time::interval(CONNECTION_CHECK);
    loop {
        checks.tick().await;
        let now = client.nats().connection_state() == async_nats::connection::State::Connected;
        if now != connected {
            connected = now;
            let event = if now {
                BackendEvent::Connected
            } else {
                BackendEvent::Disconnected("connection lost; reconnecting".to_owned())
            };
            shared.send(event).await;
        }
    }
}
