//! Rules of staff accounts, as plain functions over plain values: parse at the edge.
//!
//! Usernames are folded to lower case, so `Ana` and `ana` are one account. Passwords are
//! checked for length only (at least [`MIN_PASSWORD_CHARS`] characters, at most
//! [`MAX_PASSWORD_BYTES`] bytes so hashing one is never a denial of service); a refused password
//! is never repeated in the error.

use bikestore_contracts::StoreId;
use bikestore_contracts::identity::{MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS, Password, Role};
use bikestore_contracts::inventory::{MAX_NAME_CHARS, MAX_PAGE_LIMIT, Page};

use crate::error::IdentityError;

/// The shortest username.
pub const MIN_USERNAME_CHARS: usize = 3;
/// The longest username.
pub const MAX_USERNAME_CHARS: usize = 32;
/// The longest e-mail address (RFC 5321's path limit).
pub const MAX_EMAIL_CHARS: usize = 254;

/// A username folded to lower case: 3 to 32 of `a-z`, `0-9`, `.`, `_` and `-`.
pub fn username(text: &str) -> Result<String, IdentityError> {
    let folded = text.trim().to_lowercase();
    let length = folded.chars().count();
    if !(MIN_USERNAME_CHARS..=MAX_USERNAME_CHARS).contains(&length) {
        return Err(IdentityError::invalid(
            "username",
            format!("must be {MIN_USERNAME_CHARS} to {MAX_USERNAME_CHARS} characters"),
        ));
    }
    let allowed = |character: char| {
        character.is_ascii_lowercase()
            || character.is_ascii_digit()
            || matches!(character, '.' | '_' | '-')
    };
    if !folded.chars().all(allowed) {
        return Err(IdentityError::invalid(
            "username",
            "may hold only letters a-z, digits, '.', '_' and '-'",
        ));
    }
    Ok(folded)
}

/// The key a login looks a username up by, or `None` for text no account can have. Never an
/// error: a login must not tell a malformed username from an unknown one.
pub fn login_key(text: &str) -> Option<String> {
    username(text).ok()
}

/// A trimmed, non-empty, printable name of at most [`MAX_NAME_CHARS`] characters.
pub fn name(text: &str) -> Result<String, IdentityError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(IdentityError::invalid("name", "must not be empty"));
    }
    if trimmed.chars().count() > MAX_NAME_CHARS {
        return Err(IdentityError::invalid(
            "name",
            format!("must be at most {MAX_NAME_CHARS} characters"),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(IdentityError::invalid(
            "name",
            "must not hold control characters",
        ));
    }
    Ok(trimmed.to_owned())
}

/// An e-mail address: one `@` with text on both sides, no spaces or control characters.
pub fn email(text: &str) -> Result<String, IdentityError> {
    let trimmed = text.trim();
    let well_formed = trimmed.chars().count() <= MAX_EMAIL_CHARS
        && !trimmed
            .chars()
            .any(|character| character.is_whitespace() || character.is_control())
        && matches!(trimmed.split_once('@'), Some((local, domain))
            if !local.is_empty() && domain.contains('.') && !domain.contains('@')
                && !domain.starts_with('.') && !domain.ends_with('.'));
    if well_formed {
        Ok(trimmed.to_owned())
    } else {
        Err(IdentityError::invalid(
            "email",
            "must be an e-mail address such as ana@bikes.shop",
        ))
    }
}

/// A new password: long enough to resist guessing, short enough to hash cheaply.
pub fn new_password(field: &'static str, password: &Password) -> Result<(), IdentityError> {
    let text = password.expose();
    if text.len() > MAX_PASSWORD_BYTES {
        return Err(IdentityError::invalid(
            field,
            format!("must be at most {MAX_PASSWORD_BYTES} bytes"),
        ));
    }
    if text.chars().count() < MIN_PASSWORD_CHARS {
        return Err(IdentityError::invalid(
            field,
            format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    Ok(())
}

/// Whether a login password is of a length an account could have; longer ones are refused
/// before hashing.
pub fn plausible_password(password: &Password) -> bool {
    password.expose().len() <= MAX_PASSWORD_BYTES
}

/// A role with its store: managers and sales need a store; an admin may have one.
pub fn role_and_store(
    role: Role,
    store_id: Option<StoreId>,
) -> Result<Option<StoreId>, IdentityError> {
    if let Some(store_id) = store_id
        && store_id.0 <= 0
    {
        return Err(IdentityError::invalid("store_id", "must be positive"));
    }
    if role != Role::Admin && store_id.is_none() {
        return Err(IdentityError::invalid(
            "store_id",
            format!("a {role} needs a store"),
        ));
    }
    Ok(store_id)
}

/// A page's limit and offset, bounded by [`MAX_PAGE_LIMIT`].
pub fn page(page: &Page) -> Result<(i64, i64), IdentityError> {
    if page.limit == 0 || page.limit > MAX_PAGE_LIMIT {
        return Err(IdentityError::invalid(
            "page.limit",
            format!("must be 1 to {MAX_PAGE_LIMIT}"),
        ));
    }
    Ok((i64::from(page.limit), i64::from(page.offset)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_fold_to_lower_case_and_refuse_odd_characters() {
        assert_eq!(username(" Ana.Lopez ").ok().as_deref(), Some("ana.lopez"));
        assert!(username("an").is_err());
        assert!(username("ana lopez").is_err());
        assert!(username("robert'); DROP TABLE staff;--").is_err());
        assert!(username(&"a".repeat(33)).is_err());
        assert_eq!(login_key("x"), None);
    }

    #[test]
    fn passwords_need_length_and_errors_never_repeat_them() {
        let short = Password::from("short-pw");
        let error = new_password("password", &short).expect_err("too short");
        assert!(!error.to_string().contains("short-pw"), "{error}");
        assert!(new_password("password", &Password::from("long enough pw")).is_ok());
        let huge = Password(String::from("x").repeat(MAX_PASSWORD_BYTES + 1));
        assert!(new_password("password", &huge).is_err());
        assert!(!plausible_password(&huge));
    }

    #[test]
    fn staff_below_admin_need_a_store() {
        assert!(role_and_store(Role::Sales, None).is_err());
        assert!(role_and_store(Role::Manager, Some(StoreId(0))).is_err());
        assert_eq!(role_and_store(Role::Admin, None).ok(), Some(None));
        assert_eq!(
            role_and_store(Role::Sales, Some(StoreId(2))).ok(),
            Some(Some(StoreId(2)))
        );
    }

    #[test]
    fn emails_need_a_domain() {
        assert!(email("ana@bikes.shop").is_ok());
        assert!(email("ana@bikes").is_err());
        assert!(email("ana bikes.shop").is_err());
        assert!(email("@bikes.shop").is_err());
    }
}
