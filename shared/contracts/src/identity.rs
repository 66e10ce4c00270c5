//! Requests, replies and events of the identity service: logins, refresh tokens, staff
//! administration and the signing keys, plus the claims an access token carries.
//!
//! Secrets cross the wire in [`Password`], [`AccessToken`] and [`RefreshToken`], whose `Debug`
//! prints `***`, so a `{:?}` of a request or reply never puts one in a log line.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::{StaffId, StoreId};
use crate::message;

mod staff;
pub use staff::*;

/// The longest password accepted, in bytes: long enough for any passphrase, short enough that
/// hashing one is never a denial of service.
pub const MAX_PASSWORD_BYTES: usize = 256;

/// The shortest password a new or reset account may get.
pub const MIN_PASSWORD_CHARS: usize = 10;

macro_rules! secret_text {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// The secret itself, for the one place that must use it.
            pub fn expose(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                // A secret must never reach a log line, even through `{:?}`.
                formatter.write_str("***")
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> $name {
                $name(text.to_owned())
            }
        }
    };
}

secret_text!(
    /// A password as typed; only its argon2id hash is ever stored.
    Password
);
secret_text!(
    /// A signed access token (PASETO `v4.public`), sent with every request through the gateway.
    AccessToken
);
secret_text!(
    /// An opaque refresh token: single use, stored only as its SHA-256 digest.
    RefreshToken
);
secret_text!(
    /// A console session's Ed25519 private key in its text form (as `KeyPair::to_secret_text`
    /// writes it); it never crosses the wire, only into a saved session file.
    SessionSecretKey
);

/// What a member of staff may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, in every store.
    Admin,
    /// Runs one store.
    Manager,
    /// Sells in one store.
    Sales,
}

impl Role {
    /// The snake_case name used on the wire and in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Sales => "sales",
        }
    }

    /// Parses a stored or typed name.
    pub fn from_name(name: &str) -> Option<Role> {
        [Role::Admin, Role::Manager, Role::Sales]
            .into_iter()
            .find(|role| role.as_str() == name)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

// ---------------------------------------------------------------- tokens

/// The claims of an access token, the JSON payload of a PASETO `v4.public` token signed by
/// identity. The names are private claims, so no PASETO registered claim is misused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessClaims {
    /// Who the token speaks for.
    pub staff_id: StaffId,
    /// Their role when the token was issued.
    pub role: Role,
    /// Their store; `None` only for admins without one.
    pub store_id: Option<StoreId>,
    /// The console session's Ed25519 public key (32 bytes, base64url without padding): every
    /// request must be signed by its private half.
    pub session_public_key: String,
    /// When the token was issued, in milliseconds since the Unix epoch.
    pub issued_at_ms: i64,
    /// When the token stops being valid, in milliseconds since the Unix epoch.
    pub expires_at_ms: i64,
    /// The login session (refresh-token family) the token belongs to: when it ends (logout,
    /// deactivation, a new password, a stolen refresh token), the gateway refuses the token
    /// before it expires. Empty in tokens made before sessions had IDs.
    #[serde(default)]
    pub session_id: String,
}

/// The footer of an access token: which identity key signed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenFooter {
    /// The key ID.
    pub kid: String,
}

// ---------------------------------------------------------------- sessions

/// Logs in with a password and the new session's public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// The username (case-insensitive).
    pub username: String,
    /// The password.
    pub password: Password,
    /// The session's Ed25519 public key, base64url without padding.
    pub session_public_key: String,
}

/// A member of staff as others see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffSummary {
    /// Their ID.
    pub staff_id: StaffId,
    /// Their username, lower case.
    pub username: String,
    /// Their full name.
    pub name: String,
    /// Their e-mail.
    pub email: String,
    /// Their role.
    pub role: Role,
    /// Their store; `None` only for admins.
    pub store_id: Option<StoreId>,
    /// Whether they may log in.
    pub active: bool,
}

/// A new session: the tokens and who they belong to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginReply {
    /// The access token for the gateway.
    pub access_token: AccessToken,
    /// The single-use token that buys the next access token.
    pub refresh_token: RefreshToken,
    /// When the access token expires, in milliseconds since the Unix epoch.
    pub expires_at_ms: i64,
    /// Who logged in.
    pub staff: StaffSummary,
}

/// Trades a refresh token (spent by this) for new tokens bound to `session_public_key`.
///
/// Version 2 added `session_proof`: a copied refresh token alone no longer refreshes. Version 1
/// requests are refused as an unsupported schema version (the client logs in again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Refresh {
    /// The refresh token from the last login or refresh.
    pub refresh_token: RefreshToken,
    /// The session's Ed25519 public key, base64url without padding: the key the token family
    /// moves to (usually the one it is bound to already).
    pub session_public_key: String,
    /// The signature, by the session key the token's family is bound to, of the token's digest
    /// and `session_public_key` (`bikestore_auth::sign_refresh`), base64url without padding.
    pub session_proof: String,
}

/// Ends a session: its refresh token and every token rotated from the same login stop working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Logout {
    /// The session's current refresh token.
    pub refresh_token: RefreshToken,
}

/// The session is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LoggedOut {}

/// A logged-in console session as the CLI keeps it between runs, in a file only its owner may
/// read (mode 0600): it holds secrets, the tokens and the session's private key. It never crosses
/// the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedSession {
    /// The access token for the gateway.
    pub access_token: AccessToken,
    /// The single-use token that buys the next access token.
    pub refresh_token: RefreshToken,
    /// When the access token expires, in milliseconds since the Unix epoch.
    pub expires_at_ms: i64,
    /// The session's private key, which signs every request.
    pub session_secret_key: SessionSecretKey,
    /// Who logged in.
    pub staff: StaffSummary,
}

// ---------------------------------------------------------------- signing keys

/// Asks for the public keys that verify access tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PublicKeys {}

/// One verifying key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicKeyInfo {
    /// Its key ID, as in a token's footer.
    pub kid: String,
    /// The Ed25519 public key, 32 bytes in standard base64.
    pub public_key_base64: String,
    /// After this, no token it signed is valid any more; `None` for the current key.
    pub not_after_ms: Option<i64>,
}

/// The keys that verify access tokens, the current one first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicKeySet {
    /// The keys.
    pub keys: Vec<PublicKeyInfo>,
}

/// Replaces the signing key; the old public key stays valid until its last token expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RotateSigningKey {}

/// The key that signs from now on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningKeyReply {
    /// The new key's ID.
    pub kid: String,
}

// ---------------------------------------------------------------- events

/// What happened to a member of staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffChange {
    /// Created.
    Created,
    /// Deactivated; their sessions are over.
    Deactivated,
    /// Given a new password; their sessions are over.
    PasswordReset,
    /// Given another role or store.
    RoleChanged,
}

/// A member of staff was created or changed; the gateway drops what it cached about them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffChanged {
    /// Who.
    pub staff_id: StaffId,
    /// What happened.
    pub change: StaffChange,
    /// Their role now.
    pub role: Role,
    /// Their store now.
    pub store_id: Option<StoreId>,
    /// Whether they may log in now.
    pub active: bool,
    /// When, in milliseconds since the Unix epoch.
    pub at_ms: i64,
}

/// Login sessions ended before their access tokens expired (logout, deactivation, a new
/// password, a spent refresh token presented again): the gateway refuses those tokens from now
/// on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionsEnded {
    /// Whose sessions.
    pub staff_id: StaffId,
    /// The ended sessions (the `session_id` of their access tokens).
    pub session_ids: Vec<String>,
    /// When, in milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// By when every access token of these sessions has expired anyway, so the gateway may
    /// forget them then.
    pub tokens_expire_by_ms: i64,
}

/// Identity signs with a new key from now on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningKeyRotated {
    /// The new key's ID.
    pub kid: String,
    /// The key it replaces, if any.
    pub previous_kid: Option<String>,
    /// When the replaced key's last token expires, in milliseconds since the Unix epoch.
    pub previous_not_after_ms: Option<i64>,
    /// When, in milliseconds since the Unix epoch.
    pub at_ms: i64,
}

message!(AccessClaims, "access_claims", v 1);
message!(TokenFooter, "token_footer", v 1);
message!(command Login => LoginReply, Identity."login", v 1);
message!(LoginReply, "login_reply", v 1);
message!(SavedSession, "saved_session", v 1);
message!(command Refresh => LoginReply, Identity."refresh", v 2);
message!(command Logout => LoggedOut, Identity."logout", v 1);
message!(LoggedOut, "logged_out", v 1);
message!(command CreateStaff => StaffSaved, Identity."create_staff", v 1);
message!(StaffSaved, "staff_saved", v 1);
message!(command DeactivateStaff => StaffSaved, Identity."deactivate_staff", v 1);
message!(command ResetPassword => StaffSaved, Identity."reset_password", v 1);
message!(command ChangeStaffRole => StaffSaved, Identity."change_staff_role", v 1);
message!(command UnlockUsername => UsernameUnlocked, Identity."unlock_username", v 1);
message!(UsernameUnlocked, "username_unlocked", v 1);
message!(query ListStaff => StaffPage, Identity."list_staff", v 1);
message!(StaffPage, "staff_page", v 1);
message!(query GetStaff => StaffSummary, Identity."get_staff", v 1);
message!(query StaffNames => StaffNameList, Identity."staff_names", v 1);
message!(StaffNameList, "staff_name_list", v 1);
message!(StaffSummary, "staff_summary", v 1);
message!(query PublicKeys => PublicKeySet, Identity."public_keys", v 1);
message!(PublicKeySet, "public_key_set", v 1);
message!(command RotateSigningKey => SigningKeyReply, Identity."rotate_signing_key", v 1);
message!(SigningKeyReply, "signing_key_reply", v 1);
message!(event StaffChanged, Identity."staff_changed", v 1);
message!(event SigningKeyRotated, Identity."signing_key_rotated", v 1);
message!(event SessionsEnded, Identity."sessions_ended", v 1);

/// Identity's operations that take a request only with the gateway's caller assertion (see
/// `bikestore_auth::CallerAssertion`): staff administration (unlocking a username too), key
/// rotation and logout. The gateway signs what it forwards to these, and identity refuses them
/// without it.
pub const ASSERTED_OPERATIONS: [&str; 7] = [
    <CreateStaff as crate::Request>::OPERATION,
    <DeactivateStaff as crate::Request>::OPERATION,
    <ResetPassword as crate::Request>::OPERATION,
    <ChangeStaffRole as crate::Request>::OPERATION,
    <RotateSigningKey as crate::Request>::OPERATION,
    <Logout as crate::Request>::OPERATION,
    <UnlockUsername as crate::Request>::OPERATION,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug() {
        let login = Login {
            username: "ana".into(),
            password: Password::from("hunter2-hunter2"),
            session_public_key: "key".into(),
        };
        let text = format!("{login:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("***"), "{text}");
        let refresh = Refresh {
            refresh_token: RefreshToken::from("rt-secret"),
            session_public_key: "key".into(),
            session_proof: "proof".into(),
        };
        assert!(!format!("{refresh:?}").contains("rt-secret"));
        assert_eq!(format!("{:?}", AccessToken::from("v4.public.x")), "***");
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in [Role::Admin, Role::Manager, Role::Sales] {
            assert_eq!(Role::from_name(role.as_str()), Some(role));
        }
        assert_eq!(Role::from_name("root"), None);
    }
}
