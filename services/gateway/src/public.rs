//! What the gateway reads from a public request's body before any member is known: the
//! username a login names (for its rate budget and its audit record) and the refresh token a
//! refresh or logout presents (for its rate budget only, as a digest: the token itself is
//! never kept, logged or audited); and from a login's reply, who logged in.
//!
//! A body that does not decode names nothing here; the service refuses it as `invalid`, and it
//! still draws from its connection's and its operation's budgets.

use bikestore_codec::ContentType;
use bikestore_contracts::identity::{Login, LoginReply, Logout, Refresh, RefreshToken, Role};
use bikestore_contracts::{Request, StaffId};

use crate::table::Rule;

/// The longest username text kept; longer text is no username (identity allows 32).
const MAX_USERNAME_CHARS: usize = 64;

/// What a public request names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicFacts {
    /// The key of the request's own rate budget: `user:<username>` for a login, `token:<digest>`
    /// for a refresh or logout, `None` for public keys.
    pub budget_key: Option<String>,
    /// The username a login names, in lower case, for the audit record.
    pub username: Option<String>,
}

/// Reads `rule`'s public request from `body`.
pub fn read(
    rule: &Rule,
    content_type: ContentType,
    version: Option<u16>,
    body: &[u8],
    max_bytes: usize,
) -> PublicFacts {
    if rule.operation == Login::OPERATION {
        let login = bikestore_codec::decode::<Login>(content_type, version, body, max_bytes);
        let username = login.ok().and_then(|login| username_of(&login.username));
        PublicFacts {
            budget_key: username.as_ref().map(|username| format!("user:{username}")),
            username,
        }
    } else if rule.operation == Refresh::OPERATION {
        let refresh = bikestore_codec::decode::<Refresh>(content_type, version, body, max_bytes);
        token_facts(refresh.ok().map(|refresh| refresh.refresh_token))
    } else if rule.operation == Logout::OPERATION {
        let logout = bikestore_codec::decode::<Logout>(content_type, version, body, max_bytes);
        token_facts(logout.ok().map(|logout| logout.refresh_token))
    } else {
        PublicFacts::default()
    }
}

/// Who a successful login's reply says logged in, for its audit record; `None` for any other
/// reply. The reply's tokens are only decoded in memory, on their way to the caller.
pub fn logged_in(rule: &Rule, reply: &async_nats::Message) -> Option<(StaffId, Role)> {
    if rule.operation != Login::OPERATION {
        return None;
    }
    let login: LoginReply = crate::forward::decode_success(reply)?;
    Some((login.staff.staff_id, login.staff.role))
}

/// The facts of a request presenting `token`: its budget is keyed by the token's digest.
fn token_facts(token: Option<RefreshToken>) -> PublicFacts {
    PublicFacts {
        budget_key: token
            .map(|token| format!("token:{}", bikestore_auth::secret_digest(token.expose()))),
        username: None,
    }
}

/// `text` folded as identity folds usernames, or `None` when it cannot be one (so text typed
/// into the wrong field, a password perhaps, never reaches the audit trail).
fn username_of(text: &str) -> Option<String> {
    let folded = text.trim().to_lowercase();
    let plausible = !folded.is_empty()
        && folded.chars().count() <= MAX_USERNAME_CHARS
        && folded
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || "._-@".contains(character));
    plausible.then_some(folded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bikestore_contracts::ServiceName;
    use bikestore_contracts::identity::Password;

    #[test]
    fn a_login_names_its_username_and_a_refresh_only_a_digest() {
        let login_rule = crate::table::lookup(ServiceName::Identity, "login").expect("listed");
        let login = Login {
            username: " Admin ".into(),
            password: Password::from("hunter2-hunter2"),
            session_public_key: "key".into(),
        };
        let body = bikestore_codec::encode(ContentType::Json, &login).expect("encodes");
        let facts = read(login_rule, ContentType::Json, None, &body, usize::MAX);
        assert_eq!(facts.username.as_deref(), Some("admin"));
        assert_eq!(facts.budget_key.as_deref(), Some("user:admin"));
        let garbage = read(login_rule, ContentType::Json, None, b"{", usize::MAX);
        assert_eq!(garbage, PublicFacts::default());
        let refresh_rule = crate::table::lookup(ServiceName::Identity, "refresh").expect("listed");
        let refresh = Refresh {
            refresh_token: RefreshToken::from("rt-secret"),
            session_public_key: "key".into(),
            session_proof: "proof".into(),
        };
        let body = bikestore_codec::encode(ContentType::Postcard, &refresh).expect("encodes");
        let facts = read(refresh_rule, ContentType::Postcard, None, &body, usize::MAX);
        let key = facts.budget_key.expect("a budget of its own");
        assert!(
            key.starts_with("token:") && !key.contains("rt-secret"),
            "{key}"
        );
        assert_eq!(facts.username, None);
    }

    #[test]
    fn text_that_is_no_username_is_not_kept() {
        assert_eq!(username_of("Ana.Lopez"), Some("ana.lopez".into()));
        assert_eq!(username_of("correct horse battery"), None);
        assert_eq!(username_of(""), None);
        assert_eq!(username_of(&"a".repeat(65)), None);
    }
}
