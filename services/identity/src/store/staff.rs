//! Reading and changing staff rows.

use bikestore_contracts::identity::{Role, StaffSummary};
use bikestore_contracts::{StaffId, StoreId};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::error::IdentityError;

/// The columns [`from_row`] reads.
pub const STAFF_COLUMNS: &str = "staff_id, username, name, email, role, store_id, active";

/// Reads a member from a row of [`STAFF_COLUMNS`].
pub fn from_row(row: &Row<'_>) -> rusqlite::Result<StaffSummary> {
    let role: String = row.get(4)?;
    let role = Role::from_name(&role).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            4,
            rusqlite::types::Type::Text,
            format!("unknown role {role:?}").into(),
        )
    })?;
    Ok(StaffSummary {
        staff_id: StaffId(row.get(0)?),
        username: row.get(1)?,
        name: row.get(2)?,
        email: row.get(3)?,
        role,
        store_id: row.get::<_, Option<i64>>(5)?.map(StoreId),
        active: row.get(6)?,
    })
}

/// One member, if they exist.
pub fn find(
    connection: &Connection,
    staff_id: StaffId,
) -> Result<Option<StaffSummary>, IdentityError> {
    let sql = format!("SELECT {STAFF_COLUMNS} FROM staff WHERE staff_id = ?1");
    Ok(connection
        .prepare_cached(&sql)?
        .query_row(params![staff_id.0], from_row)
        .optional()?)
}

/// One member, or `not_found`.
pub fn get(connection: &Connection, staff_id: StaffId) -> Result<StaffSummary, IdentityError> {
    find(connection, staff_id)?.ok_or_else(|| IdentityError::not_found("staff member", staff_id))
}

/// What a login needs: the member and their password hash.
pub struct Credentials {
    /// The member.
    pub staff: StaffSummary,
    /// Their argon2id PHC string.
    pub password_hash: String,
}

/// The credentials of a username (already folded), if it exists.
pub fn credentials(
    connection: &Connection,
    username: &str,
) -> Result<Option<Credentials>, IdentityError> {
    let sql = format!("SELECT {STAFF_COLUMNS}, password_hash FROM staff WHERE username = ?1");
    Ok(connection
        .prepare_cached(&sql)?
        .query_row(params![username], |row| {
            Ok(Credentials {
                staff: from_row(row)?,
                password_hash: row.get(7)?,
            })
        })
        .optional()?)
}

/// The conflict message for a username another member has.
pub fn username_taken(username: &str) -> String {
    format!("the username {username} is taken")
}
