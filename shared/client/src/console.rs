//! A console's own NATS identity: the connection is made with the session key as its nkey
//! (signing the server's nonce) and, once logged in, the access token as its token. nats-server
//! hands such connections to identity's auth callout, which grants a not-logged-in connection
//! the public operations only, and a logged-in one the whole API and its store's live feeds; both
//! read replies only under their own inbox prefix, derived from the session key.
//!
//! The token is read at every (re)connect, so presenting a new one (after login or a refresh)
//! means reconnecting: [`ConsoleIdentity::present`] sets it, forces the reconnect and waits until
//! the connection is back, with the subscriptions the client library restores.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bikestore_auth::KeyPair;
use bikestore_contracts::identity::AccessToken;
use bikestore_contracts::{ErrorCode, WireError, subjects};
use tokio::sync::watch;

use crate::{ClientError, now_ms};

/// How long presenting a token waits for the connection to come back.
pub const RECONNECT_PATIENCE: Duration = Duration::from_secs(10);

/// The token a connection presents, and until when it counts.
#[derive(Clone, PartialEq, Eq)]
struct Presented {
    token: AccessToken,
    expires_at_ms: i64,
}

/// What the connection presents, and what it last sent and connected with.
#[derive(Default)]
struct Tokens {
    /// The token to present from now on.
    wanted: Option<Presented>,
    /// What the latest connect attempt sent, and how many connections had been made then: an
    /// attempt that sent a token and was followed by no connection was refused (or cut short),
    /// so the next one goes without it rather than be refused for ever.
    last_sent: Option<(u64, Option<Presented>)>,
    /// What the current connection was made with.
    connected_with: Option<Presented>,
}

/// A console connection's session key and the token it presents.
pub(crate) struct ConsoleIdentity {
    key: Arc<KeyPair>,
    nkey: String,
    tokens: Mutex<Tokens>,
    /// Counts the connections made, so a reconnect can be awaited.
    connections: watch::Sender<u64>,
}

impl std::fmt::Debug for ConsoleIdentity {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ConsoleIdentity")
            .field("nkey", &self.nkey)
            .finish_non_exhaustive()
    }
}

impl ConsoleIdentity {
    /// The identity of a connection made with `key`.
    pub(crate) fn new(key: Arc<KeyPair>) -> Result<Arc<ConsoleIdentity>, ClientError> {
        let nkey = key.nats_user_key()?;
        Ok(Arc::new(ConsoleIdentity {
            key,
            nkey,
            tokens: Mutex::new(Tokens::default()),
            connections: watch::Sender::new(0),
        }))
    }

    /// The session key.
    pub(crate) fn key(&self) -> &Arc<KeyPair> {
        &self.key
    }

    /// The options that connect as this identity: nkey and signed nonce, the token while it
    /// is valid, and the inbox prefix of this session key.
    pub(crate) fn options(self: &Arc<ConsoleIdentity>) -> async_nats::ConnectOptions {
        let signer = Arc::clone(self);
        let watcher = Arc::clone(self);
        async_nats::ConnectOptions::with_auth_callback(move |nonce| {
            let auth = signer.auth(&nonce);
            async move { Ok(auth) }
        })
        .custom_inbox_prefix(subjects::console_inbox_prefix(&self.nkey))
        .event_callback(move |event| {
            if matches!(event, async_nats::Event::Connected) {
                watcher.connected();
            }
            async {}
        })
    }

    /// What a connect sends: the nkey, its signature over `nonce`, and the token unless it has
    /// expired or the previous attempt with it failed.
    fn auth(&self, nonce: &[u8]) -> async_nats::Auth {
        let mut auth = async_nats::Auth::new();
        auth.nkey = Some(self.nkey.clone());
        auth.signature = Some(self.key.sign(nonce).to_vec());
        let connections = *self.connections.borrow();
        if let Ok(mut tokens) = self.tokens.lock() {
            let refused =
                matches!(&tokens.last_sent, Some((count, Some(_))) if *count == connections);
            let sent = match refused {
                true => None,
                false => tokens
                    .wanted
                    .clone()
                    .filter(|wanted| wanted.expires_at_ms > now_ms()),
            };
            auth.token = sent
                .as_ref()
                .map(|presented| presented.token.expose().to_owned());
            tokens.last_sent = Some((connections, sent));
        }
        auth
    }

    fn connected(&self) {
        if let Ok(mut tokens) = self.tokens.lock() {
            tokens.connected_with = tokens.last_sent.take().and_then(|(_, sent)| sent);
        }
        self.connections.send_modify(|count| *count += 1);
    }

    /// Whether the connection was made with `token` (none: without one).
    pub(crate) fn presents(&self, token: Option<(&AccessToken, i64)>) -> bool {
        let wanted = token.map(|(token, expires_at_ms)| Presented {
            token: token.clone(),
            expires_at_ms,
        });
        self.tokens
            .lock()
            .is_ok_and(|tokens| tokens.connected_with == wanted)
    }

    /// Presents `token` (or none, after a logout) from now on: unless the connection was made
    /// with it already, reconnects over `nats` and waits until the connection is back. Fails as
    /// `unauthorized` when the connection came back without it (the callout refused it).
    pub(crate) async fn present(
        &self,
        nats: &async_nats::Client,
        token: Option<(&AccessToken, i64)>,
    ) -> Result<(), ClientError> {
        let wanted = token.map(|(token, expires_at_ms)| Presented {
            token: token.clone(),
            expires_at_ms,
        });
        {
            let mut tokens = self.lock()?;
            if tokens.connected_with == wanted {
                tokens.wanted = wanted;
                return Ok(());
            }
            tokens.wanted = wanted.clone();
            tokens.last_sent = None;
        }
        let mut connections = self.connections.subscribe();
        connections.mark_unchanged();
        nats.force_reconnect()
            .await
            .map_err(|error| ClientError::Transport(format!("reconnect: {error}")))?;
        tokio::time::timeout(RECONNECT_PATIENCE, connections.changed())
            .await
            .map_err(|_| {
                ClientError::Transport(format!(
                    "NATS did not take the connection back within {RECONNECT_PATIENCE:?} (is identity running?)"
                ))
            })?
            .map_err(|_| ClientError::Transport("the connection closed".into()))?;
        if self.lock()?.connected_with == wanted {
            Ok(())
        } else {
            Err(ClientError::Wire(WireError::new(
                ErrorCode::Unauthorized,
                "NATS refused the access token for this connection (expired, or its session ended)",
            )))
        }
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Tokens>, ClientError> {
        self.tokens
            .lock()
            .map_err(|_| ClientError::Transport("the console identity is poisoned".into()))
    }
}
