//! Starting and continuing sessions: the tokens a login or a refresh hands out.
//!
//! A session is an access token (signed by the current key, bound to the console's session
//! key) and a refresh token (random, stored only as its digest), both naming the session's
//! random ID (the refresh-token family). Neither is ever logged, and neither goes through the
//! inbox: a recorded reply would keep a usable token in the database. A session that ends
//! before its access tokens expire is announced in `sessions_ended` ([`end_sessions`]), so the
//! gateway refuses those tokens at once.

use std::sync::Arc;

use bikestore_auth::{
    KeyPair, PublicKey, issue_access_token, new_nonce, new_opaque_secret, secret_digest,
};
use bikestore_contracts::StaffId;
use bikestore_contracts::identity::{
    AccessClaims, LoginReply, RefreshToken, SessionsEnded, StaffSummary,
};
use bikestore_runtime::CommandTx;

use crate::Identity;
use crate::error::IdentityError;
use crate::store::{login_attempts, refresh_tokens, signing_keys, staff};

/// A refresh token and its digest, made before the transaction that stores the digest.
pub struct FreshSecret {
    /// The token for the client.
    pub token: RefreshToken,
    /// What is stored.
    pub digest: String,
}

impl FreshSecret {
    /// A new random refresh token.
    pub fn new() -> Result<FreshSecret, IdentityError> {
        let token = new_opaque_secret()?;
        let digest = secret_digest(&token);
        Ok(FreshSecret {
            token: RefreshToken(token),
            digest,
        })
    }
}

/// Parses a session public key from a request.
pub fn session_key(text: &str) -> Result<PublicKey, IdentityError> {
    PublicKey::from_base64url(text).map_err(|_| {
        IdentityError::invalid(
            "session_public_key",
            "must be an Ed25519 public key, 32 bytes in base64url without padding",
        )
    })
}

/// After a correct password: clears the username's failures, stores a new refresh-token
/// family for the member (if still active) and signs their access token.
pub async fn start(
    identity: &Identity,
    username_key: String,
    staff_id: bikestore_contracts::StaffId,
    session_key: &PublicKey,
) -> Result<LoginReply, IdentityError> {
    let secret = FreshSecret::new()?;
    let digest = secret.digest.clone();
    let session_id = new_nonce()?;
    let family = session_id.clone();
    let ttl_ms = identity.refresh_token_ttl_ms;
    let bound_key = session_key.to_base64url();
    let started = identity
        .db
        .transact(move |transaction| {
            let connection = transaction.connection();
            let now_ms = transaction.now_ms();
            login_attempts::clear(connection, &username_key)?;
            let member = staff::get(connection, staff_id)?;
            if !member.active {
                return Ok(None);
            }
            refresh_tokens::insert(
                connection,
                &refresh_tokens::NewToken {
                    token_hash: &digest,
                    family: &family,
                    staff_id,
                    issued_at_ms: now_ms,
                    expires_at_ms: now_ms.saturating_add(ttl_ms),
                    session_key: &bound_key,
                },
            )?;
            let kid = signing_keys::current(connection)?;
            Ok::<_, IdentityError>(Some((member, kid, now_ms)))
        })
        .await?;
    let Some((member, kid, now_ms)) = started else {
        return Err(IdentityError::InvalidCredentials);
    };
    let signer = current_signer(identity, kid).await?;
    let session = Session {
        session_id,
        session_key,
        refresh_token: secret.token,
    };
    reply(identity, &signer, member, session, now_ms)
}

/// The key that signs now.
pub async fn current_signer(
    identity: &Identity,
    kid: Option<String>,
) -> Result<Arc<KeyPair>, IdentityError> {
    let kid = kid.ok_or_else(|| IdentityError::KeyStore("no current signing key".into()))?;
    identity.keys.load(&kid).await
}

/// What a login or refresh hands out besides the access token.
pub struct Session<'a> {
    /// The session's ID (its refresh-token family).
    pub session_id: String,
    /// The console's session key, which the access token binds.
    pub session_key: &'a PublicKey,
    /// The new refresh token.
    pub refresh_token: RefreshToken,
}

/// Signs the access token for `member` in `session` and assembles the reply.
pub fn reply(
    identity: &Identity,
    signer: &KeyPair,
    member: StaffSummary,
    session: Session<'_>,
    now_ms: i64,
) -> Result<LoginReply, IdentityError> {
    let expires_at_ms = now_ms.saturating_add(identity.access_token_ttl_ms);
    let claims = AccessClaims {
        staff_id: member.staff_id,
        role: member.role,
        store_id: member.store_id,
        session_public_key: session.session_key.to_base64url(),
        issued_at_ms: now_ms,
        expires_at_ms,
        session_id: session.session_id,
    };
    let access_token = issue_access_token(signer, &claims)?;
    Ok(LoginReply {
        access_token,
        refresh_token: session.refresh_token,
        expires_at_ms,
        staff: member,
    })
}

/// Announces, in the transaction that ended them, that `session_ids` of `staff_id` ended: the
/// gateway refuses their access tokens from then on, until they would have expired anyway.
pub fn end_sessions(
    transaction: &CommandTx<'_>,
    staff_id: StaffId,
    session_ids: Vec<String>,
    access_token_ttl_ms: i64,
) -> Result<(), IdentityError> {
    if session_ids.is_empty() {
        return Ok(());
    }
    let at_ms = transaction.now_ms();
    transaction.emit(&SessionsEnded {
        staff_id,
        session_ids,
        at_ms,
        tokens_expire_by_ms: at_ms.saturating_add(access_token_ttl_ms),
    })?;
    Ok(())
}
