//! Refresh tokens: issued per login, single use, rotated, revocable by family.
//!
//! Only the SHA-256 digest of a token is stored, so a copy of the database opens no session.

use bikestore_contracts::StaffId;
use bikestore_contracts::identity::StaffSummary;
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::IdentityError;
use crate::store::staff;

/// A token to store: its digest, its family, its owner and lifetime.
pub struct NewToken<'a> {
    /// The SHA-256 of the token.
    pub token_hash: &'a str,
    /// The family: the digest of the first token of the login.
    pub family: &'a str,
    /// Whose it is.
    pub staff_id: StaffId,
    /// When it was issued.
    pub issued_at_ms: i64,
    /// When it stops working unused.
    pub expires_at_ms: i64,
    /// The session key (base64url) the family is bound to: the next refresh must be signed by it.
    pub session_key: &'a str,
}

/// Stores a new token.
pub fn insert(connection: &Connection, token: &NewToken<'_>) -> Result<(), IdentityError> {
    connection
        .prepare_cached(
            "INSERT INTO refresh_tokens
                 (token_hash, family, staff_id, issued_at_ms, expires_at_ms, session_key)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            token.token_hash,
            token.family,
            token.staff_id.0,
            token.issued_at_ms,
            token.expires_at_ms,
            token.session_key
        ])?;
    Ok(())
}

/// What presenting a refresh token led to.
#[derive(Debug)]
pub enum Rotation {
    /// The token was good: it is spent, and a new one of the same family is stored.
    Rotated {
        /// Whose it is, as they are now.
        member: StaffSummary,
        /// The family: the session the new tokens belong to.
        family: String,
    },
    /// The token had been spent already: its whole family is now revoked.
    Reused {
        /// Whose family it was.
        staff_id: StaffId,
        /// The family, if it ended now.
        ended: Option<String>,
    },
    /// Unknown, expired, revoked, or its owner is deactivated.
    Refused,
    /// Presented without a proof by the session key its family is bound to (a copied token):
    /// refused, and nothing spent, so the owner's session goes on.
    Unproven,
}

/// A refresh as presented: which token, and what replaces it.
pub struct Presentation<'a> {
    /// The SHA-256 of the presented token.
    pub token_hash: &'a str,
    /// The SHA-256 of the token that replaces it.
    pub next_hash: &'a str,
    /// The session key (base64url) the family moves to.
    pub next_session_key: &'a str,
}

/// A stored token's row.
struct StoredToken {
    family: String,
    staff_id: i64,
    expires_at_ms: i64,
    spent_at_ms: Option<i64>,
    revoked_at_ms: Option<i64>,
    session_key: Option<String>,
}

/// Spends the presented token and stores the next one in its place, bound to the next session
/// key, if `proves` accepts the key (base64url) its family is bound to; see [`Rotation`]. The
/// proof is checked before anything else about the token, so a copied token alone neither
/// refreshes nor spends (nor revokes) anything. A reuse commits the revocation, so the caller
/// must not undo it.
pub fn rotate(
    connection: &Connection,
    presented: &Presentation<'_>,
    proves: impl FnOnce(&str) -> bool,
    now_ms: i64,
    ttl_ms: i64,
) -> Result<Rotation, IdentityError> {
    let row = connection
        .prepare_cached(
            "SELECT family, staff_id, expires_at_ms, spent_at_ms, revoked_at_ms, session_key
             FROM refresh_tokens WHERE token_hash = ?1",
        )?
        .query_row(params![presented.token_hash], |row| {
            Ok(StoredToken {
                family: row.get(0)?,
                staff_id: row.get(1)?,
                expires_at_ms: row.get(2)?,
                spent_at_ms: row.get(3)?,
                revoked_at_ms: row.get(4)?,
                session_key: row.get(5)?,
            })
        })
        .optional()?;
    let Some(StoredToken {
        family,
        staff_id,
        expires_at_ms,
        spent_at_ms,
        revoked_at_ms,
        session_key,
    }) = row
    else {
        return Ok(Rotation::Refused);
    };
    let staff_id = StaffId(staff_id);
    if revoked_at_ms.is_some() {
        return Ok(Rotation::Refused);
    }
    if !session_key.as_deref().is_some_and(proves) {
        return Ok(Rotation::Unproven);
    }
    if spent_at_ms.is_some() {
        let ended = revoke_family(connection, &family, now_ms)?.then_some(family);
        return Ok(Rotation::Reused { staff_id, ended });
    }
    if now_ms >= expires_at_ms {
        return Ok(Rotation::Refused);
    }
    let member = staff::get(connection, staff_id)?;
    if !member.active {
        return Ok(Rotation::Refused);
    }
    connection
        .prepare_cached("UPDATE refresh_tokens SET spent_at_ms = ?2 WHERE token_hash = ?1")?
        .execute(params![presented.token_hash, now_ms])?;
    insert(
        connection,
        &NewToken {
            token_hash: presented.next_hash,
            family: &family,
            staff_id,
            issued_at_ms: now_ms,
            expires_at_ms: now_ms.saturating_add(ttl_ms),
            session_key: presented.next_session_key,
        },
    )?;
    Ok(Rotation::Rotated { member, family })
}

/// Revokes every token of `family`; whether it had any left unrevoked (a session that ended
/// now).
pub fn revoke_family(
    connection: &Connection,
    family: &str,
    now_ms: i64,
) -> Result<bool, IdentityError> {
    let revoked = connection
        .prepare_cached(
            "UPDATE refresh_tokens SET revoked_at_ms = ?2
             WHERE family = ?1 AND revoked_at_ms IS NULL",
        )?
        .execute(params![family, now_ms])?;
    Ok(revoked > 0)
}

/// Whether the login session `family` still has a token not revoked: it has not ended by
/// logout, deactivation, a new password or a reused refresh token.
pub fn family_is_live(connection: &Connection, family: &str) -> Result<bool, IdentityError> {
    Ok(connection
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM refresh_tokens
                            WHERE family = ?1 AND revoked_at_ms IS NULL)",
        )?
        .query_row(params![family], |row| row.get(0))?)
}

/// Revokes the family of the token with digest `token_hash`, if it exists: whose it was, and
/// the family if it ended now.
pub fn revoke_family_of(
    connection: &Connection,
    token_hash: &str,
    now_ms: i64,
) -> Result<Option<(StaffId, Option<String>)>, IdentityError> {
    let row: Option<(String, i64)> = connection
        .prepare_cached("SELECT family, staff_id FROM refresh_tokens WHERE token_hash = ?1")?
        .query_row(params![token_hash], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let Some((family, staff_id)) = row else {
        return Ok(None);
    };
    let ended = revoke_family(connection, &family, now_ms)?.then_some(family);
    Ok(Some((StaffId(staff_id), ended)))
}

/// Revokes every token of a member (they were deactivated or got a new password); the families
/// that ended now.
pub fn revoke_staff(
    connection: &Connection,
    staff_id: StaffId,
    now_ms: i64,
) -> Result<Vec<String>, IdentityError> {
    let families = connection
        .prepare_cached(
            "SELECT DISTINCT family FROM refresh_tokens
             WHERE staff_id = ?1 AND revoked_at_ms IS NULL",
        )?
        .query_map(params![staff_id.0], |row| row.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    connection
        .prepare_cached(
            "UPDATE refresh_tokens SET revoked_at_ms = ?2
             WHERE staff_id = ?1 AND revoked_at_ms IS NULL",
        )?
        .execute(params![staff_id.0, now_ms])?;
    Ok(families)
}

/// Deletes tokens that expired before `before_ms`; spent and revoked ones go with their family
/// once it has expired, so reuse stays detectable while any token of the family could work.
pub fn prune(connection: &Connection, before_ms: i64) -> Result<usize, IdentityError> {
    Ok(connection
        .prepare_cached(
            "DELETE FROM refresh_tokens WHERE family IN (
                 SELECT family FROM refresh_tokens GROUP BY family HAVING MAX(expires_at_ms) < ?1)",
        )?
        .execute(params![before_ms])?)
}
