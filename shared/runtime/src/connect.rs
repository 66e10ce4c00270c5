//! A NATS connection that keeps trying: at start and after every disconnect, as the NATS user
//! of a credentials file or anonymously.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use async_nats::{Client, ConnectOptions, Event};
use bikestore_contracts::backoff::Backoff;
use tracing::{info, warn};

use crate::config::NatsTls;
use crate::error::RuntimeError;

/// How long to wait before each reconnect: fast at first (doubling from tens of milliseconds),
/// so tests and brief restarts recover quickly; at most two seconds.
const RECONNECT: Backoff = Backoff::new(Duration::from_millis(20), Duration::from_secs(2));

/// A NATS user name and password, as a credentials file holds them. `Debug` never shows the
/// password.
#[derive(Clone, PartialEq, Eq)]
pub struct NatsCredentials {
    /// The NATS user, e.g. `inventory`.
    pub user: String,
    password: String,
}

impl NatsCredentials {
    /// Parses the text of a credentials file: one line `user:password` (a final newline is
    /// allowed); `None` if it is not that.
    pub fn parse(text: &str) -> Option<NatsCredentials> {
        let line = text.strip_suffix('\n').unwrap_or(text);
        let line = line.strip_suffix('\r').unwrap_or(line);
        let (user, password) = line.split_once(':')?;
        let well_formed = !user.is_empty()
            && !password.is_empty()
            && !line.contains(['\n', '\r'])
            && !user.contains(char::is_whitespace)
            && !password.contains(char::is_whitespace);
        well_formed.then(|| NatsCredentials {
            user: user.to_owned(),
            password: password.to_owned(),
        })
    }

    /// Reads and parses the credentials file at `path`, off the async runtime.
    pub async fn read(path: &Path) -> Result<NatsCredentials, RuntimeError> {
        let owned: PathBuf = path.to_owned();
        let text = tokio::task::spawn_blocking(move || std::fs::read_to_string(owned))
            .await
            .map_err(|error| RuntimeError::Config(format!("reading credentials: {error}")))?
            .map_err(|error| {
                RuntimeError::Config(format!(
                    "cannot read the NATS credentials file {}: {error}",
                    path.display()
                ))
            })?;
        NatsCredentials::parse(&text).ok_or_else(|| {
            RuntimeError::Config(format!(
                "{} is not a NATS credentials file (one line user:password)",
                path.display()
            ))
        })
    }

    /// Connects as this user, with replies to its requests in an inbox of its own
    /// (`_INBOX.<user>.`): each NATS user may subscribe only to its own inboxes, so no service
    /// reads another's replies.
    fn options(&self) -> ConnectOptions {
        ConnectOptions::with_user_and_password(self.user.clone(), self.password.clone())
            .custom_inbox_prefix(format!("_INBOX.{}", self.user))
    }
}

impl fmt::Debug for NatsCredentials {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("NatsCredentials")
            .field("user", &self.user)
            .field("password", &"***")
            .finish()
    }
}

/// Connects to `url` anonymously as `name`; see [`connect_as`].
pub async fn connect(url: &str, name: &str) -> Result<Client, RuntimeError> {
    connect_as(url, None, &NatsTls::default(), name).await
}

/// Connects to `url` as `name`, as the NATS user of the `credentials` file when given (what
/// `--nats-credentials` names) or anonymously. The client retries the first connection in the
/// background and reconnects for ever after a loss, re-creating its subscriptions, so a restarted
/// nats-server is survived without help.
///
/// An unreadable or malformed credentials file fails at once; a password the server refuses is
/// logged (as an authorization error event) and retried like any connection failure, since
/// retrying the first connection is what lets a service start before nats-server.
pub async fn connect_as(
    url: &str,
    credentials: Option<&Path>,
    tls: &NatsTls,
    name: &str,
) -> Result<Client, RuntimeError> {
    let options = tls.apply(match credentials {
        Some(path) => NatsCredentials::read(path).await?.options(),
        None => ConnectOptions::new(),
    });
    let client_name = name.to_owned();
    options
        .name(name)
        .retry_on_initial_connect()
        .max_reconnects(None)
        .connection_timeout(Duration::from_secs(2))
        .reconnect_delay_callback(|attempts| {
            // async-nats passes 1 before the first try; one more keeps the delays this loop
            // has always had (40 ms, 80 ms, ... 2 s).
            let failures = u32::try_from(attempts)
                .unwrap_or(u32::MAX)
                .saturating_add(1);
            RECONNECT.delay(failures)
        })
        .event_callback(move |event| {
            let client_name = client_name.clone();
            async move {
                match event {
                    Event::Connected => info!(client = %client_name, "connected to NATS"),
                    Event::Disconnected => warn!(client = %client_name, "disconnected from NATS"),
                    // A permissions violation or a refused password: the deployment's NATS
                    // users do not match what this service does, which needs a human.
                    Event::ServerError(error) => {
                        tracing::error!(client = %client_name, %error, "NATS server error");
                    }
                    other => info!(client = %client_name, event = %other, "NATS event"),
                }
            }
        })
        .connect(servers(url)?.as_slice())
        .await
        .map_err(|error| RuntimeError::nats(format!("connect to {url}"), error))
}

/// The servers of `--nats-url`: one URL or a comma-separated list.
fn servers(url: &str) -> Result<Vec<String>, RuntimeError> {
    bikestore_contracts::servers::server_urls(url).map_err(RuntimeError::Config)
}

/// Connects once, for a short-lived operator command: no retries, at most `timeout`.
pub async fn connect_once(
    url: &str,
    credentials: Option<&Path>,
    tls: &NatsTls,
    timeout: Duration,
) -> Result<Client, RuntimeError> {
    let options = tls.apply(match credentials {
        Some(path) => NatsCredentials::read(path).await?.options(),
        None => ConnectOptions::new(),
    });
    let servers = servers(url)?;
    tokio::time::timeout(timeout, options.connect(servers.as_slice()))
        .await
        .map_err(|_| {
            RuntimeError::nats(
                format!("connect to {url}"),
                std::io::Error::from(std::io::ErrorKind::TimedOut),
            )
        })?
        .map_err(|error| RuntimeError::nats(format!("connect to {url}"), error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credentials_file_is_one_line_user_colon_password() {
        let parsed = NatsCredentials::parse("inventory:s3cretPassw0rd\n").expect("well formed");
        assert_eq!(parsed.user, "inventory");
        assert_eq!(parsed.password, "s3cretPassw0rd");
        assert_eq!(
            NatsCredentials::parse("console:abc"),
            Some(NatsCredentials {
                user: "console".into(),
                password: "abc".into()
            })
        );
        for bad in [
            "",
            "\n",
            "inventory",
            ":password",
            "inventory:",
            "a:b\nc:d\n",
            "in ventory:pw",
        ] {
            assert_eq!(
                NatsCredentials::parse(bad),
                None,
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn debug_never_shows_the_password() {
        let parsed = NatsCredentials::parse("orders:hunter2hunter2").expect("well formed");
        let shown = format!("{parsed:?}");
        assert!(shown.contains("orders"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
