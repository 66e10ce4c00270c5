//! [`ServerErrors`]: the errors nats-server sends one connection, such as a permissions
//! violation, for tests to await instead of guessing from silence.

use std::time::Duration;

use anyhow::bail;
use async_nats::{ConnectOptions, Event, ServerError};
use tokio::sync::mpsc;

/// The server errors of one connection, in the order they came.
pub struct ServerErrors {
    received: mpsc::Receiver<String>,
}

impl ServerErrors {
    /// `options` that also hand the connection's server errors to the returned watcher.
    pub fn watch(options: ConnectOptions) -> (ConnectOptions, ServerErrors) {
        let (sender, received) = mpsc::channel(64);
        let options = options.event_callback(move |event| {
            let sender = sender.clone();
            async move {
                if let Event::ServerError(ServerError::Other(error)) = event {
                    // A full channel only means the test stopped reading.
                    let _ = sender.try_send(error);
                }
            }
        });
        (options, ServerErrors { received })
    }

    /// Waits at most `deadline` for the permissions violation naming `subject`, and answers
    /// the server's words.
    pub async fn violation(&mut self, subject: &str, deadline: Duration) -> anyhow::Result<String> {
        let quoted = format!("\"{subject}\"");
        let found = tokio::time::timeout(deadline, async {
            while let Some(error) = self.received.recv().await {
                if error.contains(&quoted) {
                    return Some(error);
                }
            }
            None
        })
        .await;
        match found {
            Ok(Some(error)) => Ok(error),
            Ok(None) => bail!("the connection closed before a violation for {subject}"),
            Err(_) => bail!("no permissions violation for {subject} within {deadline:?}"),
        }
    }
}
