//! Starting and continuing sessions: the tokens a login or a refresh hands out.
//!
//! A session is an access token (signed by the current key, bound to the console's session
//! key) and a refresh token (random, stored only as its digest). Neither is ever logged, and
//! neither goes through the inbox: a recorded reply would keep a usable token in the database.

use std::sync::Arc;

use bikestore_auth::{KeyPair, PublicKey, issue_access_token, new_opaque_secret, secret_digest};
use bikestore_contracts::identity::{AccessClaims, LoginReply, RefreshToken, StaffSummary};

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
                    family: &digest,
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
    reply(identity, &signer, member, session_key, secret.token, now_ms)
}

/// The key that signs now.
pub async fn current_signer(
    identity: &Identity,
    kid: Option<String>,
) -> Result<Arc<KeyPair>, IdentityError> {
    let kid = kid.ok_or_else(|| IdentityError::KeyStore("no current signing key".into()))?;
    identity.keys.load(&kid).await
}

/// Signs the access token for `member` and assembles the reply.
pub fn reply(
    identity: &Identity,
    signer: &KeyPair,
    member: StaffSummary,
    session_key: &PublicKey,
    refresh_token: RefreshToken,
    now_ms: i64,
) -> Result<LoginReply, IdentityError> {
    let expires_at_ms = now_ms.saturating_add(identity.access_token_ttl_ms);
    let claims = AccessClaims {
        staff_id: member.staff_id,
        role: member.role,
        store_id: member.store_id,
        session_public_key: session_key.to_base64url(),
        issued_at_ms: now_ms,
        expires_at_ms,
    };
    let access_token = issue_access_token(signer, &claims)?;
    Ok(LoginReply {
        access_token,
        refresh_token,
        expires_at_ms,
        staff: member,
    })
}
