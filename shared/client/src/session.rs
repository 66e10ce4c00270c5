//! A logged-in session: signs every call with its key, keeps its tokens fresh, and logs out.
//!
//! A session [kept in a file](Session::kept_in) coordinates every refresh with the other
//! processes sharing that file: under the file's lock it first adopts tokens another process
//! saved (its refresh token is the live one), refreshes only if they too expire soon, and saves
//! the new tokens before releasing the lock.
//!
//! A refresh whose reply does not arrive (a timeout, or nobody answering while identity or the
//! connection comes back) is asked again with the same refresh token, a few times
//! ([`REFRESH_ATTEMPTS`]): identity may have rotated the token before the reply was lost, and
//! honours the same refresh presented again shortly after as a retry, so the session goes on.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_nats::HeaderMap;
use bikestore_auth::{KeyPair, sign_request};
use bikestore_contracts::identity::{
    AccessToken, LoginReply, Logout, Refresh, RefreshToken, SavedSession, SessionSecretKey,
    StaffSummary,
};
use bikestore_contracts::{ErrorCode, Request, WireError, gateway, headers};
use tokio::sync::Mutex;

use crate::saved::{lock_session_file_async, read_saved, write_saved};
use crate::{CallOptions, Client, ClientError, now_ms};

/// A token expiring within this many milliseconds is refreshed before the next call.
pub const REFRESH_MARGIN_MS: i64 = 60_000;

/// How many times a refresh is sent when no reply arrives, the first included.
pub const REFRESH_ATTEMPTS: u32 = 4;

/// The pause before the second attempt of a refresh; it doubles before each further one, so
/// every attempt falls well within identity's grace for retries (60 s by default).
const REFRESH_RETRY_PAUSE: Duration = Duration::from_millis(250);

/// The tokens of a session, replaced on every refresh.
struct Tokens {
    access: AccessToken,
    refresh: RefreshToken,
    expires_at_ms: i64,
    logged_out: bool,
}

/// A logged-in member of staff: their session key, tokens and summary. Clones share the tokens,
/// so one refresh serves them all.
#[derive(Clone)]
pub struct Session {
    client: Client,
    key: Arc<KeyPair>,
    tokens: Arc<Mutex<Tokens>>,
    staff: StaffSummary,
    /// The session file every refresh is coordinated through, if any.
    file: Option<Arc<PathBuf>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Session")
            .field("staff", &self.staff)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// The session a login or refresh answered, signed with `key`.
    pub(crate) fn new(client: Client, key: Arc<KeyPair>, reply: LoginReply) -> Session {
        Session {
            client,
            key,
            tokens: Arc::new(Mutex::new(Tokens {
                access: reply.access_token,
                refresh: reply.refresh_token,
                expires_at_ms: reply.expires_at_ms,
                logged_out: false,
            })),
            staff: reply.staff,
            file: None,
        }
    }

    /// The session, from now on coordinating every refresh through the session file at `path`
    /// (which other processes may share): see the module documentation. Save the session there
    /// first, and do not use it while this process holds the file's lock (a refresh would wait
    /// for it for ever).
    pub fn kept_in(mut self, path: &Path) -> Session {
        self.file = Some(Arc::new(path.to_owned()));
        self
    }

    /// Who is logged in, as identity said at login.
    pub fn whoami(&self) -> &StaffSummary {
        &self.staff
    }

    /// The client this session calls through.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// When the current access token expires, in milliseconds since the Unix epoch.
    pub async fn expires_at_ms(&self) -> i64 {
        self.tokens.lock().await.expires_at_ms
    }

    /// Sends `request` through the gateway, signed, in postcard, and decodes its reply.
    pub async fn call<R: Request>(&self, request: &R) -> Result<R::Reply, ClientError> {
        self.call_with(request, CallOptions::default()).await
    }

    /// Sends `request` through the gateway, signed, as `options` say, and decodes its reply.
    ///
    /// The access token is refreshed first when it expires within [`REFRESH_MARGIN_MS`]; when the
    /// gateway still refuses it as expired, it is refreshed once more and the call retried.
    pub async fn call_with<R: Request>(
        &self,
        request: &R,
        options: CallOptions,
    ) -> Result<R::Reply, ClientError> {
        let content_type = options.content_type.unwrap_or_default();
        let body = bikestore_codec::encode(content_type, request)?;
        let subject = self.client.subjects().api(R::SERVICE, R::OPERATION);
        let mut retried = false;
        loop {
            let token = self.fresh_token().await?;
            let signature = sign_request(&self.key, &subject, now_ms(), &body)?;
            let mut map = HeaderMap::new();
            map.insert(headers::CONTENT_TYPE, content_type.header_value());
            map.insert(
                headers::AUTHORIZATION,
                format!("Bearer {}", token.expose()).as_str(),
            );
            map.insert(
                headers::REQUEST_TIMESTAMP,
                signature.timestamp_ms.to_string().as_str(),
            );
            map.insert(headers::REQUEST_NONCE, signature.nonce.as_str());
            map.insert(headers::REQUEST_SIGNATURE, signature.signature.as_str());
            if let Some(key) = &options.idempotency_key {
                map.insert(headers::IDEMPOTENCY_KEY, key.as_str());
            }
            let result = self
                .client
                .send::<R::Reply>(subject.clone(), map, body.clone(), options.timeout)
                .await;
            match result {
                Err(ClientError::Wire(error)) if !retried && refused_as_expired(&error) => {
                    retried = true;
                    self.refresh_replacing(&token).await?;
                }
                other => return other,
            }
        }
    }

    /// Trades the refresh token for new tokens now (the refresh token rotates).
    pub async fn refresh(&self) -> Result<(), ClientError> {
        let mut tokens = self.tokens.lock().await;
        self.refresh_locked(&mut tokens, RefreshWhen::Always).await
    }

    /// Ends the session: identity revokes its refresh token, and this session (and its clones)
    /// refuses every further call as `unauthorized`.
    pub async fn logout(&self) -> Result<(), ClientError> {
        let mut tokens = self.tokens.lock().await;
        if tokens.logged_out {
            return Ok(());
        }
        let logout = Logout {
            refresh_token: tokens.refresh.clone(),
        };
        self.client
            .call_public(&logout, &CallOptions::default())
            .await?;
        tokens.logged_out = true;
        // The session is over: the connection goes back to the public operations.
        self.client.present(None).await
    }

    /// The session as the CLI keeps it between runs. It holds secrets: the tokens and the
    /// session's private key.
    pub async fn to_saved(&self) -> SavedSession {
        let tokens = self.tokens.lock().await;
        self.saved_with(&tokens)
    }

    /// The session `saved` describes, calling through `client`. A console connection must have
    /// been made with the saved session key ([`Session::saved_key`]).
    pub fn from_saved(client: Client, saved: SavedSession) -> Result<Session, ClientError> {
        let key = Arc::new(Session::saved_key(&saved)?);
        if let Some(connected) = client.console_key()
            && connected.public_key() != key.public_key()
        {
            return Err(ClientError::Transport(
                "this console connection was made with another session key than the saved session's"
                    .to_owned(),
            ));
        }
        Ok(Session::new(
            client,
            key,
            LoginReply {
                access_token: saved.access_token,
                refresh_token: saved.refresh_token,
                expires_at_ms: saved.expires_at_ms,
                staff: saved.staff,
            },
        ))
    }

    /// The session key of a saved session, to connect a console with.
    pub fn saved_key(saved: &SavedSession) -> Result<KeyPair, ClientError> {
        Ok(KeyPair::from_secret_text(
            saved.session_secret_key.expose(),
        )?)
    }

    /// The access token to send, refreshed first if it expires soon, and presented by the
    /// connection (a console reconnects when the token is new to it).
    async fn fresh_token(&self) -> Result<AccessToken, ClientError> {
        let mut tokens = self.tokens.lock().await;
        if tokens.logged_out {
            return Err(logged_out());
        }
        if expires_soon(&tokens) {
            self.refresh_locked(&mut tokens, RefreshWhen::UnlessFresh)
                .await?;
        }
        let presented = self
            .client
            .present(Some((&tokens.access, tokens.expires_at_ms)))
            .await;
        if let Err(error) = presented {
            if error.code() != ErrorCode::Unauthorized {
                return Err(error);
            }
            // NATS refused the token (it expired sooner than this session believed, say): a
            // new one, once.
            self.refresh_locked(&mut tokens, RefreshWhen::Always)
                .await?;
            self.client
                .present(Some((&tokens.access, tokens.expires_at_ms)))
                .await?;
        }
        Ok(tokens.access.clone())
    }

    /// Refreshes unless another call already replaced `stale`.
    async fn refresh_replacing(&self, stale: &AccessToken) -> Result<(), ClientError> {
        let mut tokens = self.tokens.lock().await;
        if tokens.access == *stale {
            self.refresh_locked(&mut tokens, RefreshWhen::UnlessFresh)
                .await?;
        }
        Ok(())
    }

    /// Refreshes the tokens, coordinated through the session file when there is one.
    async fn refresh_locked(
        &self,
        tokens: &mut Tokens,
        when: RefreshWhen,
    ) -> Result<(), ClientError> {
        if tokens.logged_out {
            return Err(logged_out());
        }
        let Some(path) = self.file.as_deref() else {
            return self.trade(tokens).await;
        };
        let _lock = lock_session_file_async(path).await?;
        // Unreadable or gone (logged out, or replaced by another login): nothing to adopt,
        // and nothing of this session to write back.
        let Some(saved) = self.saved_in(path) else {
            return self.trade(tokens).await;
        };
        // Tokens issued later than these mean another process refreshed first: their refresh
        // token is the live one. (Older ones are this session's own, from a save cut short.)
        if saved.refresh_token != tokens.refresh && saved.expires_at_ms > tokens.expires_at_ms {
            tokens.access = saved.access_token;
            tokens.refresh = saved.refresh_token;
            tokens.expires_at_ms = saved.expires_at_ms;
            if when == RefreshWhen::UnlessFresh && !expires_soon(tokens) {
                return Ok(());
            }
        }
        self.trade(tokens).await?;
        write_saved(path, &self.saved_with(tokens))
    }

    /// Writes the tokens to the session file this session is [kept in](Session::kept_in),
    /// unless the file holds another session or tokens issued later: for a process about to end,
    /// whose last refresh may have been cut short before it saved.
    pub async fn save_if_newer(&self) -> Result<(), ClientError> {
        let Some(path) = self.file.as_deref() else {
            return Ok(());
        };
        let tokens = self.tokens.lock().await;
        let _lock = lock_session_file_async(path).await?;
        let ours_newer = self
            .saved_in(path)
            .is_some_and(|saved| saved.expires_at_ms < tokens.expires_at_ms);
        if ours_newer {
            write_saved(path, &self.saved_with(&tokens))?;
        }
        Ok(())
    }

    /// Trades the refresh token for new tokens, proving with the session key that the token is
    /// this session's (identity refuses a refresh token presented without that proof). When no
    /// reply arrives it asks again with the same token, up to [`REFRESH_ATTEMPTS`] times in all.
    async fn trade(&self, tokens: &mut Tokens) -> Result<(), ClientError> {
        let mut pause = REFRESH_RETRY_PAUSE;
        let mut attempt = 1;
        let reply = loop {
            let session_public_key = self.key.public_key().to_base64url();
            let session_proof = bikestore_auth::sign_refresh(
                &self.key,
                tokens.refresh.expose(),
                &session_public_key,
            );
            let refresh = Refresh {
                refresh_token: tokens.refresh.clone(),
                session_public_key,
                session_proof,
            };
            match self
                .client
                .call_public(&refresh, &CallOptions::default())
                .await
            {
                Err(error) if attempt < REFRESH_ATTEMPTS && reply_went_missing(&error) => {
                    attempt += 1;
                    tokio::time::sleep(pause).await;
                    pause = pause.saturating_mul(2);
                }
                other => break other?,
            }
        };
        tokens.access = reply.access_token;
        tokens.refresh = reply.refresh_token;
        tokens.expires_at_ms = reply.expires_at_ms;
        Ok(())
    }

    /// What the file at `path` holds of this session: `None` when it is unreadable, gone, or
    /// holds another session (a later login). Call it holding the file's lock.
    fn saved_in(&self, path: &Path) -> Option<SavedSession> {
        read_saved(path)
            .ok()
            .filter(|saved| saved.session_secret_key.expose() == self.key.to_secret_text())
    }

    /// The session as saved, with `tokens`.
    fn saved_with(&self, tokens: &Tokens) -> SavedSession {
        SavedSession {
            access_token: tokens.access.clone(),
            refresh_token: tokens.refresh.clone(),
            expires_at_ms: tokens.expires_at_ms,
            session_secret_key: SessionSecretKey(self.key.to_secret_text()),
            staff: self.staff.clone(),
        }
    }
}

/// Whether a refresh must trade the refresh token even when the tokens are fresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RefreshWhen {
    /// Always (asked for explicitly).
    Always,
    /// Only if the tokens, perhaps adopted from the session file, expire soon.
    UnlessFresh,
}

/// Whether the access token expires within [`REFRESH_MARGIN_MS`].
fn expires_soon(tokens: &Tokens) -> bool {
    tokens.expires_at_ms - now_ms() <= REFRESH_MARGIN_MS
}

/// Whether a refresh failed for want of a reply (it may have been done all the same), rather
/// than by an answer: worth asking again with the same token.
fn reply_went_missing(error: &ClientError) -> bool {
    matches!(error.code(), ErrorCode::Timeout | ErrorCode::Unavailable)
}

/// Whether the gateway refused the call because the access token expired.
fn refused_as_expired(error: &WireError) -> bool {
    error.code == ErrorCode::Unauthorized
        && error
            .details
            .get(gateway::REFUSAL_DETAIL)
            .is_some_and(|refusal| refusal == gateway::REFUSAL_TOKEN_EXPIRED)
}

fn logged_out() -> ClientError {
    ClientError::Wire(WireError::new(
        ErrorCode::Unauthorized,
        "the session was logged out; log in again",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_missing_reply_asks_for_the_refresh_again() {
        let late = ClientError::Wire(WireError::new(ErrorCode::Timeout, "no answer in time"));
        assert!(reply_went_missing(&late));
        let nobody = ClientError::Wire(WireError::new(ErrorCode::Unavailable, "no responders"));
        assert!(reply_went_missing(&nobody));
        assert!(reply_went_missing(&ClientError::Transport("cut".into())));
        let refused = ClientError::Wire(WireError::new(
            ErrorCode::Unauthorized,
            "refresh token is invalid, expired or revoked",
        ));
        assert!(!reply_went_missing(&refused), "a refusal is an answer");
    }

    #[test]
    fn only_an_expiry_refusal_asks_for_a_refresh() {
        let expired = WireError::new(ErrorCode::Unauthorized, "the access token has expired")
            .with_detail(gateway::REFUSAL_DETAIL, gateway::REFUSAL_TOKEN_EXPIRED);
        assert!(refused_as_expired(&expired));
        let worded_only = WireError::new(ErrorCode::Unauthorized, "the access token has expired");
        assert!(
            !refused_as_expired(&worded_only),
            "the detail decides, not the wording"
        );
        let bad = WireError::new(
            ErrorCode::Unauthorized,
            "the token or request signature does not verify",
        );
        assert!(!refused_as_expired(&bad));
        let other = WireError::new(ErrorCode::NotFound, "expired product");
        assert!(!refused_as_expired(&other));
    }

    #[test]
    fn a_logged_out_session_is_unauthorized() {
        assert_eq!(logged_out().code(), ErrorCode::Unauthorized);
    }
}
