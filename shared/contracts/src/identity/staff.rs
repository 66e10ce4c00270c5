//! Staff administration: creating, changing, deactivating and listing members, and naming them.

use serde::{Deserialize, Serialize};

use super::{Password, Role, StaffSummary};
use crate::ids::{StaffId, StoreId};
use crate::inventory::Page;

/// Adds a member of staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateStaff {
    /// Login name: 3 to 32 of `a-z`, `0-9`, `.`, `_` and `-` (stored lower case, unique).
    pub username: String,
    /// Full name.
    pub name: String,
    /// E-mail.
    pub email: String,
    /// Role.
    pub role: Role,
    /// Store; required for managers and sales.
    #[serde(default)]
    pub store_id: Option<StoreId>,
    /// The first password.
    pub password: Password,
}

/// The member of staff a command created or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffSaved {
    /// Their ID.
    pub staff_id: StaffId,
}

/// Stops a member of staff from logging in, and revokes their refresh tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeactivateStaff {
    /// Who.
    pub staff_id: StaffId,
}

/// Sets a new password, revoking the member's refresh tokens and any login lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    /// Who.
    pub staff_id: StaffId,
    /// The new password.
    pub new_password: Password,
}

/// Changes a member's role, store, or both; an absent field keeps its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeStaffRole {
    /// Who.
    pub staff_id: StaffId,
    /// The new role.
    #[serde(default)]
    pub role: Option<Role>,
    /// The new store.
    #[serde(default)]
    pub store_id: Option<StoreId>,
}

/// Lifts the login lock of a username: its failed logins are forgotten, so it may log in at
/// once. Locks are per username, whether an account has it or not, and never end a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnlockUsername {
    /// The username (case-insensitive).
    pub username: String,
}

/// What an unlock found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsernameUnlocked {
    /// The failed logins that counted against the username and are now forgotten (0: it was
    /// neither locked nor slowed down).
    pub cleared_failures: u32,
}

/// Lists staff by username; every filter optional.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ListStaff {
    /// Only this store's staff.
    #[serde(default)]
    pub store_id: Option<StoreId>,
    /// Also deactivated members.
    #[serde(default)]
    pub include_inactive: bool,
    /// Which page.
    #[serde(default)]
    pub page: Page,
}

/// One page of staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffPage {
    /// The members, by username.
    pub staff: Vec<StaffSummary>,
    /// How many match in all.
    pub total: u64,
}

/// Reads one member of staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetStaff {
    /// Who.
    pub staff_id: StaffId,
}

/// The most members [`StaffNames`] names at once.
pub const MAX_STAFF_NAMES: usize = 100;

/// Names members of staff by number, so a screen can say who took an order. Any member may
/// ask about any member, deactivated ones too: a seller's name is printed on every receipt.
/// It answers the name and nothing else (no username, role, store or state).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct StaffNames {
    /// Whom to name: 1 to [`MAX_STAFF_NAMES`] numbers.
    pub staff_ids: Vec<StaffId>,
}

/// The names found; a number nobody has is left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct StaffNameList {
    /// One per member found, by number.
    pub names: Vec<StaffName>,
}

/// A member's number and display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffName {
    /// Who.
    pub staff_id: StaffId,
    /// Their display name.
    pub name: String,
}
