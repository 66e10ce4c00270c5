//! Refresh tokens: issued per login, single use, rotated, revocable by family.
//!
//! Only the SHA-256 digest of a token is stored, so a copy of the database opens no session.
//! A spent token names the digest of the token that replaced it (`replaced_by`), so a refresh
//! retried after its reply was lost can be told from a copied token presented again
//! ([`rotate`]); no token and no reply is kept to answer a retry with.

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
    /// The token was spent moments ago by a refresh whose reply never arrived, and is presented
    /// again by the same session: the token that lost reply carried, still unused, is spent in
    /// its place, and a new one of the same family is stored.
    Retried {
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

/// How long tokens live: what [`rotate`] needs besides the presentation.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    /// Milliseconds a new token may wait to be used.
    pub ttl_ms: i64,
    /// Milliseconds after a token was spent during which presenting it again may be a retry of
    /// a lost reply (see [`rotate`]).
    pub retry_grace_ms: i64,
}

/// A stored token's row.
struct StoredToken {
    family: String,
    staff_id: i64,
    expires_at_ms: i64,
    spent_at_ms: Option<i64>,
    revoked_at_ms: Option<i64>,
    session_key: Option<String>,
    replaced_by: Option<String>,
}

/// The stored row of the token with digest `token_hash`, if any.
fn stored(connection: &Connection, token_hash: &str) -> Result<Option<StoredToken>, IdentityError> {
    Ok(connection
        .prepare_cached(
            "SELECT family, staff_id, expires_at_ms, spent_at_ms, revoked_at_ms, session_key,
                    replaced_by
             FROM refresh_tokens WHERE token_hash = ?1",
        )?
        .query_row(params![token_hash], |row| {
            Ok(StoredToken {
                family: row.get(0)?,
                staff_id: row.get(1)?,
                expires_at_ms: row.get(2)?,
                spent_at_ms: row.get(3)?,
                revoked_at_ms: row.get(4)?,
                session_key: row.get(5)?,
                replaced_by: row.get(6)?,
            })
        })
        .optional()?)
}

/// Spends the presented token and stores the next one in its place, bound to the next session
/// key, if `proves` accepts the key (base64url) the presented token is bound to; see
/// [`Rotation`]. The proof is checked before anything else about the token, so a copied token
/// alone neither refreshes nor spends (nor revokes) anything.
///
/// A spent token presented again (with its proof) is a retry of a refresh whose reply was
/// lost only if it was spent less than `retry_grace_ms` ago, the token that replaced it is
/// still unused and unexpired (nobody has used the lost reply), and the retry names the key
/// that token is bound to: then that token is spent instead, its successor stored, and the
/// presented token names the successor, so a retry whose own reply is lost may be retried
/// again within the same grace. The spent replacement names none, so presenting it later
/// revokes. Any other spent token presented again is a copy: its family is revoked, and the
/// revocation is committed, so the caller must not undo it.
pub fn rotate(
    connection: &Connection,
    presented: &Presentation<'_>,
    proves: impl FnOnce(&str) -> bool,
    now_ms: i64,
    lifetimes: Lifetimes,
) -> Result<Rotation, IdentityError> {
    let Some(token) = stored(connection, presented.token_hash)? else {
        return Ok(Rotation::Refused);
    };
    let staff_id = StaffId(token.staff_id);
    if token.revoked_at_ms.is_some() {
        return Ok(Rotation::Refused);
    }
    if !token.session_key.as_deref().is_some_and(proves) {
        return Ok(Rotation::Unproven);
    }
    if let Some(spent_at_ms) = token.spent_at_ms {
        let retried = retried_token(
            connection,
            &token,
            spent_at_ms,
            presented,
            now_ms,
            lifetimes,
        )?;
        let Some(replacement) = retried else {
            let ended = revoke_family(connection, &token.family, now_ms)?.then_some(token.family);
            return Ok(Rotation::Reused { staff_id, ended });
        };
        let member = staff::get(connection, staff_id)?;
        if !member.active {
            return Ok(Rotation::Refused);
        }
        spend_and_replace(
            connection,
            &replacement,
            &token,
            presented,
            now_ms,
            lifetimes,
        )?;
        return Ok(Rotation::Retried {
            member,
            family: token.family,
        });
    }
    if now_ms >= token.expires_at_ms {
        return Ok(Rotation::Refused);
    }
    let member = staff::get(connection, staff_id)?;
    if !member.active {
        return Ok(Rotation::Refused);
    }
    spend_and_replace(
        connection,
        presented.token_hash,
        &token,
        presented,
        now_ms,
        lifetimes,
    )?;
    Ok(Rotation::Rotated {
        member,
        family: token.family,
    })
}

/// The digest of the token to spend in place of `token` (spent at `spent_at_ms`, presented
/// again), if this presentation is a retry of a lost reply: see [`rotate`].
fn retried_token(
    connection: &Connection,
    token: &StoredToken,
    spent_at_ms: i64,
    presented: &Presentation<'_>,
    now_ms: i64,
    lifetimes: Lifetimes,
) -> Result<Option<String>, IdentityError> {
    if now_ms >= spent_at_ms.saturating_add(lifetimes.retry_grace_ms) {
        return Ok(None);
    }
    let Some(replacement_hash) = token.replaced_by.as_deref() else {
        return Ok(None);
    };
    let Some(replacement) = stored(connection, replacement_hash)? else {
        return Ok(None);
    };
    let unused = replacement.family == token.family
        && replacement.spent_at_ms.is_none()
        && replacement.revoked_at_ms.is_none()
        && now_ms < replacement.expires_at_ms;
    let same_key = replacement.session_key.as_deref() == Some(presented.next_session_key);
    Ok((unused && same_key).then(|| replacement_hash.to_owned()))
}

/// Spends the token with digest `spent_hash` (of `family_token`'s family and owner), stores the
/// presentation's next token, bound to its next key, and records it as what replaced the
/// presented token (which is the spent one, except for a retry).
fn spend_and_replace(
    connection: &Connection,
    spent_hash: &str,
    family_token: &StoredToken,
    presented: &Presentation<'_>,
    now_ms: i64,
    lifetimes: Lifetimes,
) -> Result<(), IdentityError> {
    connection
        .prepare_cached("UPDATE refresh_tokens SET spent_at_ms = ?2 WHERE token_hash = ?1")?
        .execute(params![spent_hash, now_ms])?;
    insert(
        connection,
        &NewToken {
            token_hash: presented.next_hash,
            family: &family_token.family,
            staff_id: StaffId(family_token.staff_id),
            issued_at_ms: now_ms,
            expires_at_ms: now_ms.saturating_add(lifetimes.ttl_ms),
            session_key: presented.next_session_key,
        },
    )?;
    connection
        .prepare_cached("UPDATE refresh_tokens SET replaced_by = ?2 WHERE token_hash = ?1")?
        .execute(params![presented.token_hash, presented.next_hash])?;
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    const LIFETIMES: Lifetimes = Lifetimes {
        ttl_ms: 3_600_000,
        retry_grace_ms: 60_000,
    };

    /// A database with one active member and one unspent token `first` bound to key `k1`.
    fn database() -> Result<Connection, IdentityError> {
        let connection = Connection::open_in_memory()?;
        for migration in crate::store::MIGRATIONS {
            connection.execute_batch(migration)?;
        }
        connection.execute(
            "INSERT INTO staff (staff_id, username, name, email, role, store_id,
                                    password_hash, created_at_ms, updated_at_ms)
                 VALUES (1, 'ana', 'Ana', 'ana@bikes.shop', 'sales', 1, 'x', 0, 0)",
            [],
        )?;
        let first = NewToken {
            token_hash: "first",
            family: "family",
            staff_id: StaffId(1),
            issued_at_ms: 0,
            expires_at_ms: LIFETIMES.ttl_ms,
            session_key: "k1",
        };
        insert(&connection, &first)?;
        Ok(connection)
    }

    fn present(
        connection: &Connection,
        token_hash: &str,
        next_hash: &str,
        next_session_key: &str,
        now_ms: i64,
    ) -> Result<Rotation, IdentityError> {
        let presentation = Presentation {
            token_hash,
            next_hash,
            next_session_key,
        };
        rotate(connection, &presentation, |_| true, now_ms, LIFETIMES)
    }

    #[test]
    fn a_retry_is_honoured_until_the_grace_ends_and_not_from_then_on() -> Result<(), IdentityError>
    {
        let connection = database()?;
        let spent_at_ms = 1_000;
        let rotated = present(&connection, "first", "lost", "k2", spent_at_ms)?;
        assert!(matches!(rotated, Rotation::Rotated { .. }), "{rotated:?}");
        let last_moment = spent_at_ms + LIFETIMES.retry_grace_ms - 1;
        let retried = present(&connection, "first", "second", "k2", last_moment)?;
        assert!(matches!(retried, Rotation::Retried { .. }), "{retried:?}");
        let too_late = spent_at_ms + LIFETIMES.retry_grace_ms;
        let reused = present(&connection, "first", "third", "k2", too_late)?;
        assert!(
            matches!(reused, Rotation::Reused { ended: Some(_), .. }),
            "{reused:?}"
        );
        assert!(!family_is_live(&connection, "family")?);
        Ok(())
    }

    #[test]
    fn the_lost_replys_token_spent_by_a_retry_revokes_when_presented() -> Result<(), IdentityError>
    {
        let connection = database()?;
        present(&connection, "first", "lost", "k2", 1_000)?;
        present(&connection, "first", "second", "k2", 2_000)?;
        let reused = present(&connection, "lost", "third", "k2", 3_000)?;
        assert!(matches!(reused, Rotation::Reused { .. }), "{reused:?}");
        assert!(!family_is_live(&connection, "family")?);
        Ok(())
    }

    #[test]
    fn an_unproven_retry_spends_nothing() -> Result<(), IdentityError> {
        let connection = database()?;
        present(&connection, "first", "lost", "k2", 1_000)?;
        let presentation = Presentation {
            token_hash: "first",
            next_hash: "second",
            next_session_key: "k2",
        };
        let unproven = rotate(&connection, &presentation, |_| false, 2_000, LIFETIMES)?;
        assert!(matches!(unproven, Rotation::Unproven), "{unproven:?}");
        let rotated = present(&connection, "lost", "second", "k3", 3_000)?;
        assert!(matches!(rotated, Rotation::Rotated { .. }), "{rotated:?}");
        Ok(())
    }
}
