//! Bikestore's one client library: what the console, the CLI, the benchmark and the end-to-end
//! tests use to talk to the system through the gateway.
//!
//! A console connects with [`Client::connect_as_console`]: its Ed25519 session key is the
//! connection's NATS nkey, and identity's auth callout decides what the connection may do (the
//! public operations until it presents an access token; then the API, its own inbox and its
//! store's live feeds). [`Client::login`] logs in through the gateway's public `login`
//! operation with that key, presents the new token (reconnecting) and answers a [`Session`]. [`Session::call`] encodes a typed request
//! (postcard by default, JSON on request), signs it with the session key exactly as the gateway
//! verifies it (bearer token, timestamp, nonce, signature over subject, time, nonce and body
//! digest), sends it to the operation's `api` subject and decodes the typed reply or the typed
//! [`WireError`]. The access token is refreshed before it expires, and once more when the
//! gateway refuses it as expired.
//!
//! It depends on `contracts`, `codec` and `auth` only (plus `async-nats`, `tokio`, `thiserror`):
//! never on `runtime` or a service. Subjects come from [`Subjects`], never from literals.
//!
//! Layout: `lib` (the [`Client`] and the raw request/reply), `console` (a console connection's
//! nkey, token and reconnects), `session` (signing, refresh, logout), `saved` (the session file
//! the CLI and the console share, and its lock), `error`.
#![warn(missing_docs)]

mod console;
mod error;
mod saved;
mod session;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_nats::HeaderMap;
use async_nats::client::RequestErrorKind;
use bikestore_contracts::identity::{AccessToken, Login, Password};
use bikestore_contracts::trace_context::TraceParent;
use bikestore_contracts::{ErrorCode, Request, Subjects, WireError, headers};
use console::ConsoleIdentity;

pub use bikestore_auth::KeyPair;
pub use bikestore_codec::ContentType;
pub use error::ClientError;
pub use saved::{SessionFileLock, lock_session_file, read_saved as read_saved_session};
pub use session::{REFRESH_MARGIN_MS, Session};

/// How long a call waits for its reply unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest reply body the client decodes.
pub const MAX_REPLY_BYTES: usize = 8 * 1024 * 1024;

/// TLS to nats-server: off unless a certificate authority is named.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate authority (PEM) that signed nats-server's certificate; with it the
    /// connection must be TLS.
    pub ca: Option<std::path::PathBuf>,
    /// This client's certificate and private key (PEM), for a server that verifies clients.
    pub client_certificate: Option<(std::path::PathBuf, std::path::PathBuf)>,
}

impl TlsFiles {
    fn apply(&self, mut options: async_nats::ConnectOptions) -> async_nats::ConnectOptions {
        if let Some(ca) = &self.ca {
            options = options.add_root_certificates(ca.clone()).require_tls(true);
        }
        if let Some((cert, key)) = &self.client_certificate {
            options = options.add_client_certificate(cert.clone(), key.clone());
        }
        options
    }
}

/// How a single call is made; every field has a default.
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    /// A caller-chosen key that makes a command apply at most once.
    pub idempotency_key: Option<String>,
    /// How long to wait for the reply; [`DEFAULT_TIMEOUT`] when `None`.
    pub timeout: Option<Duration>,
    /// The request's encoding; postcard when `None`. The reply comes back in the same one.
    pub content_type: Option<ContentType>,
}

/// A connection to NATS and the subjects of one Bikestore deployment.
#[derive(Debug, Clone)]
pub struct Client {
    nats: async_nats::Client,
    subjects: Subjects,
    /// A console's session key and token, for a connection the auth callout authorizes.
    console: Option<Arc<ConsoleIdentity>>,
    /// Held shared by every request until its reply, and exclusively while a console
    /// reconnects to present a new token: a reconnect never loses a reply in flight.
    in_flight: Arc<tokio::sync::RwLock<()>>,
}

impl Client {
    /// Connects to the NATS server at `nats_url`.
    pub async fn connect(nats_url: &str, subjects: Subjects) -> Result<Client, ClientError> {
        Client::connect_with_tls(nats_url, None, &TlsFiles::default(), subjects).await
    }

    /// Connects to the NATS server at `nats_url` as the NATS user whose credentials file is
    /// `credentials` (one line `user:password`, as `just up` writes them), or anonymously
    /// when `None`.
    pub async fn connect_with_credentials(
        nats_url: &str,
        credentials: Option<&std::path::Path>,
        subjects: Subjects,
    ) -> Result<Client, ClientError> {
        Client::connect_with_tls(nats_url, credentials, &TlsFiles::default(), subjects).await
    }

    /// Connects as [`Client::connect_with_credentials`] does, over TLS when `tls` names a
    /// certificate authority (the server's TLS profile, `nats/server-tls.conf`).
    pub async fn connect_with_tls(
        nats_url: &str,
        credentials: Option<&std::path::Path>,
        tls: &TlsFiles,
        subjects: Subjects,
    ) -> Result<Client, ClientError> {
        let options = match credentials {
            Some(path) => {
                let (user, password) = read_credentials(path)?;
                async_nats::ConnectOptions::with_user_and_password(user, password)
            }
            None => async_nats::ConnectOptions::new(),
        };
        let nats = connect(tls.apply(options), nats_url).await?;
        Ok(Client::new(nats, subjects))
    }

    /// Connects as a console: with `session_key` (a fresh one when `None`) as the connection's
    /// nkey, authorized by identity's auth callout. Until [`Client::login`] (or a session
    /// restored from a file) presents an access token, the connection may call only the public
    /// operations; see the `console` module.
    pub async fn connect_as_console(
        nats_url: &str,
        tls: &TlsFiles,
        subjects: Subjects,
        session_key: Option<KeyPair>,
    ) -> Result<Client, ClientError> {
        let key = match session_key {
            Some(key) => key,
            None => KeyPair::generate()?,
        };
        let console = ConsoleIdentity::new(Arc::new(key))?;
        let nats = connect(tls.apply(console.options()), nats_url).await?;
        Ok(Client {
            nats,
            subjects,
            console: Some(console),
            in_flight: Arc::default(),
        })
    }

    /// A client over an existing NATS connection (which may carry a NATS user's credentials).
    pub fn new(nats: async_nats::Client, subjects: Subjects) -> Client {
        Client {
            nats,
            subjects,
            console: None,
            in_flight: Arc::default(),
        }
    }

    /// The NATS connection, for subscribing to live feeds.
    pub fn nats(&self) -> &async_nats::Client {
        &self.nats
    }

    /// The deployment's subjects.
    pub fn subjects(&self) -> &Subjects {
        &self.subjects
    }

    /// Logs in as `username` through the gateway: with the connection's session key for a
    /// console (whose connection then presents the new access token), a new one otherwise.
    pub async fn login(&self, username: &str, password: &str) -> Result<Session, ClientError> {
        let key = match &self.console {
            Some(console) => Arc::clone(console.key()),
            None => Arc::new(KeyPair::generate()?),
        };
        let login = Login {
            username: username.to_owned(),
            password: Password::from(password),
            session_public_key: key.public_key().to_base64url(),
        };
        let reply = self.call_public(&login, &CallOptions::default()).await?;
        self.present(Some((&reply.access_token, reply.expires_at_ms)))
            .await?;
        Ok(Session::new(self.clone(), key, reply))
    }

    /// The session key a console connection was made with.
    pub(crate) fn console_key(&self) -> Option<&Arc<KeyPair>> {
        self.console.as_ref().map(|console| console.key())
    }

    /// Makes a console connection present `token` (none after a logout) from now on; nothing
    /// for a connection as a NATS user.
    pub(crate) async fn present(
        &self,
        token: Option<(&AccessToken, i64)>,
    ) -> Result<(), ClientError> {
        match &self.console {
            // The common case, a token the connection presents already, waits for nothing.
            Some(console) if console.presents(token) => Ok(()),
            Some(console) => {
                let _quiet = self.in_flight.write().await;
                console.present(&self.nats, token).await
            }
            None => Ok(()),
        }
    }

    /// Calls a public operation (login, refresh, logout, public keys): no token, no signature.
    pub async fn call_public<R: Request>(
        &self,
        request: &R,
        options: &CallOptions,
    ) -> Result<R::Reply, ClientError> {
        let content_type = options.content_type.unwrap_or_default();
        let body = bikestore_codec::encode(content_type, request)?;
        let mut map = HeaderMap::new();
        map.insert(headers::CONTENT_TYPE, content_type.header_value());
        if let Some(key) = &options.idempotency_key {
            map.insert(headers::IDEMPOTENCY_KEY, key.as_str());
        }
        let subject = self.subjects.api(R::SERVICE, R::OPERATION);
        self.send::<R::Reply>(subject, map, body, options.timeout)
            .await
    }

    /// Sends one request and decodes its reply. Each request starts a trace of its own, which
    /// the gateway and every service it reaches continue.
    async fn send<M: bikestore_contracts::Message>(
        &self,
        subject: String,
        mut map: HeaderMap,
        body: Vec<u8>,
        timeout: Option<Duration>,
    ) -> Result<M, ClientError> {
        let timeout = timeout.unwrap_or(DEFAULT_TIMEOUT);
        map.insert(
            headers::TRACEPARENT,
            TraceParent::new_root().to_string().as_str(),
        );
        let _in_flight = self.in_flight.read().await;
        let request = async_nats::Request::new()
            .headers(map)
            .payload(body.into())
            .timeout(Some(timeout));
        let reply = self
            .nats
            .send_request(subject.clone(), request)
            .await
            .map_err(|error| {
                let (code, message) = match error.kind() {
                    RequestErrorKind::NoResponders => {
                        (ErrorCode::Unavailable, format!("no one answers {subject}"))
                    }
                    RequestErrorKind::TimedOut => (
                        ErrorCode::Timeout,
                        format!("{subject} did not answer within {timeout:?}"),
                    ),
                    RequestErrorKind::MaxPayloadExceeded => (
                        ErrorCode::TooLarge,
                        format!("the request to {subject} is larger than the server accepts"),
                    ),
                    RequestErrorKind::InvalidSubject | RequestErrorKind::Other => (
                        ErrorCode::Unavailable,
                        format!("the request to {subject} failed: {error}"),
                    ),
                };
                ClientError::Wire(WireError::new(code, message))
            })?;
        decode_reply(&reply)
    }
}

/// Decodes a reply: the typed message, or the wire error it carries (`Nats-Service-Error`).
fn decode_reply<M: bikestore_contracts::Message>(
    reply: &async_nats::Message,
) -> Result<M, ClientError> {
    let header = |name: &str| {
        reply
            .headers
            .as_ref()
            .and_then(|map| map.get(name))
            .map(|value| value.as_str())
    };
    let content_type = ContentType::from_header(header(headers::CONTENT_TYPE))?;
    if header(headers::NATS_SERVICE_ERROR).is_some() {
        return Err(ClientError::Wire(bikestore_codec::decode_error(
            content_type,
            &reply.payload,
        )));
    }
    let version = bikestore_codec::schema_version_from_header(header(headers::SCHEMA_VERSION))?;
    Ok(bikestore_codec::decode::<M>(
        content_type,
        version,
        &reply.payload,
        MAX_REPLY_BYTES,
    )?)
}

async fn connect(
    options: async_nats::ConnectOptions,
    nats_url: &str,
) -> Result<async_nats::Client, ClientError> {
    let servers =
        bikestore_contracts::servers::server_urls(nats_url).map_err(ClientError::Transport)?;
    options
        .connect(servers.as_slice())
        .await
        .map_err(|error| ClientError::Transport(error.to_string()))
}

/// Reads a NATS credentials file: one line `user:password`.
pub fn read_credentials(path: &std::path::Path) -> Result<(String, String), ClientError> {
    let text = std::fs::read_to_string(path)?;
    let line = text.trim_end_matches(['\r', '\n']);
    match line.split_once(':') {
        Some((user, password)) if !user.is_empty() && !password.is_empty() => {
            Ok((user.to_owned(), password.to_owned()))
        }
        _ => Err(ClientError::Transport(format!(
            "{} is not a NATS credentials file (one line user:password)",
            path.display()
        ))),
    }
}

/// Milliseconds since the Unix epoch, by this machine's clock.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
