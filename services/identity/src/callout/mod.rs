//! Auth callout: nats-server asks identity, for every connection that is not one of the
//! configured service or operator users, who it is and what it may do.
//!
//! A console connects with its session key as its nkey (the server makes it sign a nonce) and,
//! once logged in, its access token as the connection token. The answer is a NATS user JWT
//! signed by the callout issuer (an account nkey nats-server trusts for this, kept in a file
//! like identity's signing keys):
//! - no token: publish only the public operations (login, refresh, public keys, and logout,
//!   which needs the refresh token and only ends a session, so a console whose access token
//!   expired can still end its session), subscribe only the connection's own inbox prefix,
//!   `_INBOX.console.<nkey>`;
//! - a valid token issued to this very session key, of an active member whose session has not
//!   ended: publish every public operation (`<prefix>.api.>`), subscribe the own inbox prefix
//!   and the live feeds of the member's store (admins: every store), until the token expires.
//!
//! Everything else is refused with a reason the server logs and identity logs too. Requests
//! are answered concurrently, up to [`MAX_IN_FLIGHT`] at once.

pub mod issuer;
pub mod jwt;

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bikestore_auth::{KeyRing, PublicKey};
use bikestore_contracts::identity::{Login, Logout, PublicKeys, Refresh, Role};
use bikestore_contracts::{Request, Subjects, subjects};
use bikestore_runtime::Shutdown;
use futures::StreamExt;
use tokio::task::JoinSet;
use tracing::{debug, warn};

use crate::Identity;
use crate::error::IdentityError;
use crate::store::{refresh_tokens, signing_keys, staff};
use jwt::{AuthorizationRequest, Grant};

/// Requests answered at once; more wait in the subscription.
pub const MAX_IN_FLIGHT: usize = 64;

/// Why a connection is refused: said to the server (which logs it) and in identity's log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(String);

impl Refusal {
    fn new(reason: impl Into<String>) -> Refusal {
        Refusal(reason.into())
    }
}

impl From<IdentityError> for Refusal {
    fn from(error: IdentityError) -> Refusal {
        Refusal(format!(
            "identity could not check the connection: {}",
            bikestore_runtime::error_chain(&error)
        ))
    }
}

/// Answers authorization requests on `requests` until `shutdown`.
pub async fn serve(
    identity: Arc<Identity>,
    issuer: Arc<nkeys::KeyPair>,
    client: async_nats::Client,
    mut requests: async_nats::Subscriber,
    mut shutdown: Shutdown,
) {
    let mut in_flight = JoinSet::new();
    loop {
        tokio::select! {
            message = requests.next(), if in_flight.len() < MAX_IN_FLIGHT => {
                let Some(message) = message else { break };
                let identity = Arc::clone(&identity);
                let issuer = Arc::clone(&issuer);
                let client = client.clone();
                in_flight.spawn(async move { answer(&identity, &issuer, &client, message).await });
            }
            Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
            _ = shutdown.wait() => break,
        }
    }
    let _ = requests.unsubscribe().await;
    while in_flight.join_next().await.is_some() {}
}

async fn answer(
    identity: &Identity,
    issuer: &nkeys::KeyPair,
    client: &async_nats::Client,
    message: async_nats::Message,
) {
    let Some(reply) = message.reply else {
        return;
    };
    let now_ms = bikestore_runtime::now_ms();
    let now_s = now_ms / 1000;
    let request = match jwt::read_request(&message.payload, now_s) {
        Ok(request) => request,
        Err(error) => {
            // Not a server's request: nothing can be answered that a server would read.
            warn!(error = %error, "ignored an authorization request");
            return;
        }
    };
    let decision = decide(identity, &request, now_ms).await;
    let response = match &decision {
        Ok(grant) => {
            debug!(connection = %grant.name, host = %request.client_info.host, "connection authorized");
            jwt::allow(issuer, &request, grant, now_s)
        }
        Err(refusal) => {
            warn!(host = %request.client_info.host, server = %request.server_id.name, reason = %refusal, "connection refused");
            jwt::refuse(issuer, &request, &refusal.0, now_s)
        }
    };
    match response {
        Ok(response) => {
            if let Err(error) = client.publish(reply, response.into()).await {
                warn!(error = %error, "could not answer an authorization request");
            }
        }
        Err(error) => warn!(error = %error, "could not sign an authorization response"),
    }
}

/// Who the connection is, and what it may do; see the module documentation.
pub async fn decide(
    identity: &Identity,
    request: &AuthorizationRequest,
    now_ms: i64,
) -> Result<Grant, Refusal> {
    let options = &request.connect_opts;
    if options.nkey.is_empty() {
        return Err(Refusal::new(
            "a console connects with its session key as its nkey",
        ));
    }
    let session_key = PublicKey::from_nats_user_key(&options.nkey)
        .map_err(|_| Refusal::new("the connection's nkey is not a user nkey"))?;
    let signature = URL_SAFE_NO_PAD
        .decode(&options.sig)
        .or_else(|_| STANDARD.decode(&options.sig))
        .map_err(|_| Refusal::new("the connection did not sign the server's nonce"))?;
    session_key
        .verify(request.client_info.nonce.as_bytes(), &signature)
        .map_err(|_| Refusal::new("the connection's signature over the nonce does not verify"))?;
    let subjects = &identity.subjects;
    let inbox = format!("{}.>", subjects::console_inbox_prefix(&options.nkey));
    let short_key = options.nkey.get(..12).unwrap_or(&options.nkey);
    if options.auth_token.is_empty() {
        return Ok(Grant {
            name: format!("console {short_key} (not logged in)"),
            publish: public_operations(subjects),
            subscribe: vec![inbox],
            expires_s: None,
        });
    }
    let member =
        logged_in_member(identity, options.auth_token.clone(), session_key, now_ms).await?;
    let live_feeds = match member.role {
        Role::Admin => subjects.console_live_feeds(None),
        Role::Manager | Role::Sales => match member.store_id {
            Some(store) => subjects.console_live_feeds(Some(store)),
            None => return Err(Refusal::new("a member without a store follows no store")),
        },
    };
    Ok(Grant {
        name: format!("console {} {short_key}", member.username),
        publish: vec![subjects.api_all()],
        subscribe: vec![inbox, live_feeds],
        // NATS counts in seconds: round down, so the connection never outlives the token.
        expires_s: Some(member.token_expires_at_ms.div_euclid(1000)),
    })
}

/// The operations a connection that has not logged in may call.
fn public_operations(subjects: &Subjects) -> Vec<String> {
    [
        (Login::SERVICE, Login::OPERATION),
        (Refresh::SERVICE, Refresh::OPERATION),
        (Logout::SERVICE, Logout::OPERATION),
        (PublicKeys::SERVICE, PublicKeys::OPERATION),
    ]
    .into_iter()
    .map(|(service, operation)| subjects.api(service, operation))
    .collect()
}

/// The member a connection's access token speaks for, as the database says now.
struct Member {
    username: String,
    role: Role,
    store_id: Option<bikestore_contracts::StoreId>,
    token_expires_at_ms: i64,
}

/// Checks the token (signed by a key identity still trusts, not expired, issued to
/// `session_key`) and that its member is active and its session live, in one read.
async fn logged_in_member(
    identity: &Identity,
    token: String,
    session_key: PublicKey,
    now_ms: i64,
) -> Result<Member, Refusal> {
    identity
        .db
        .query(move |connection| {
            let mut ring = KeyRing::new();
            for info in signing_keys::valid(connection, now_ms)? {
                if let Ok(public) = PublicKey::from_base64(&info.public_key_base64) {
                    ring.insert(public, info.not_after_ms);
                }
            }
            let verified = match ring.verify_access_token(&token, now_ms) {
                Ok(verified) => verified,
                Err(error) => return Ok(Err(Refusal(format!("the access token: {error}")))),
            };
            if verified.session_key != session_key {
                return Ok(Err(Refusal::new(
                    "the access token was issued to another session key",
                )));
            }
            let claims = verified.claims;
            let member = staff::find(connection, claims.staff_id)?;
            let Some(member) = member.filter(|member| member.active) else {
                return Ok(Err(Refusal::new("the member is unknown or deactivated")));
            };
            if claims.session_id.is_empty()
                || !refresh_tokens::family_is_live(connection, &claims.session_id)?
            {
                return Ok(Err(Refusal::new("the login session has ended")));
            }
            Ok::<_, IdentityError>(Ok(Member {
                username: member.username,
                role: member.role,
                store_id: member.store_id,
                token_expires_at_ms: claims.expires_at_ms,
            }))
        })
        .await?
}
