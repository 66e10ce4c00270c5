//! Caller assertions: the gateway's signed word, on a request it forwards, that the request came
//! through it, for whom, to which operation and with which body, until when.
//!
//! Identity takes staff administration and logout only with one, so a process that can publish
//! to identity's subjects but does not hold the gateway's key changes nothing there. The
//! gateway's key is its own (not identity's token key), and identity knows only its public
//! half.
//!
//! The signed bytes are [`assertion_bytes`]: a domain tag, then the staff ID (empty for a
//! public operation such as logout), the internal subject and the body's SHA-256, each with
//! its length, then the expiry. The claims travel in clear beside the signature, so a refusal
//! can say what is wrong; they count only once the signature over them verifies.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bikestore_contracts::{StaffId, headers};

use crate::request::tagged_fields;
use crate::{AuthError, KeyPair, PublicKey, body_digest};

/// How long an assertion is valid after the gateway makes it: long enough for a request to
/// reach identity and for the two clocks to differ by seconds, short enough that a copied
/// assertion soon says nothing.
pub const ASSERTION_TTL_MS: i64 = 10_000;

/// The gateway's private assertion key, under the gateway's data folder unless configured.
pub const GATEWAY_KEY_FILE: &str = "assertion.key";

/// Its public half beside it, which identity reads unless configured.
pub const GATEWAY_PUBLIC_KEY_FILE: &str = "assertion.pub";

/// Longest signature text accepted (64 bytes make 86 characters).
const MAX_SIGNATURE_CHARS: usize = 128;

const DOMAIN_TAG: &[u8] = b"bikestore caller assertion v1\0";

/// What the gateway asserts about one forwarded request, as it travels in headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerAssertion {
    /// The member the gateway verified; none for a public operation (logout).
    pub staff_id: Option<StaffId>,
    /// The internal subject the request was sent to: prefix, service and operation.
    pub subject: String,
    /// The SHA-256 of the request body.
    pub body_sha256: [u8; 32],
    /// When it stops counting, in milliseconds since the Unix epoch.
    pub expires_at_ms: i64,
    /// The gateway key's Ed25519 signature of [`assertion_bytes`], base64url without padding.
    pub signature: String,
}

/// The bytes an assertion's signature covers.
pub fn assertion_bytes(
    staff_id: Option<StaffId>,
    subject: &str,
    body_sha256: &[u8; 32],
    expires_at_ms: i64,
) -> Vec<u8> {
    let staff = staff_id
        .map(|staff_id| staff_id.to_string())
        .unwrap_or_default();
    let mut bytes = tagged_fields(
        DOMAIN_TAG,
        &[staff.as_bytes(), subject.as_bytes(), body_sha256.as_slice()],
    );
    bytes.extend_from_slice(&expires_at_ms.to_be_bytes());
    bytes
}

/// The gateway's assertion that `body`, sent to `subject` at `now_ms`, comes from `staff_id`
/// (or from nobody signed in), valid for [`ASSERTION_TTL_MS`].
pub fn sign_assertion(
    gateway_key: &KeyPair,
    staff_id: Option<StaffId>,
    subject: &str,
    body: &[u8],
    now_ms: i64,
) -> CallerAssertion {
    let body_sha256 = body_digest(body);
    let expires_at_ms = now_ms.saturating_add(ASSERTION_TTL_MS);
    let bytes = assertion_bytes(staff_id, subject, &body_sha256, expires_at_ms);
    CallerAssertion {
        staff_id,
        subject: subject.to_owned(),
        body_sha256,
        expires_at_ms,
        signature: URL_SAFE_NO_PAD.encode(gateway_key.sign(&bytes)),
    }
}

/// Checks that `assertion` was made by `gateway_key`, has not expired at `now_ms`, and is for
/// this `subject` and `body`, in that order; answers the member it vouches for. The body's
/// digest is computed last, only for an assertion that passed everything else.
pub fn verify_assertion(
    gateway_key: &PublicKey,
    assertion: &CallerAssertion,
    subject: &str,
    body: &[u8],
    now_ms: i64,
) -> Result<Option<StaffId>, AuthError> {
    if assertion.signature.len() > MAX_SIGNATURE_CHARS {
        return Err(AuthError::malformed("caller assertion signature"));
    }
    let signature = URL_SAFE_NO_PAD
        .decode(&assertion.signature)
        .map_err(|_| AuthError::malformed("caller assertion signature"))?;
    let bytes = assertion_bytes(
        assertion.staff_id,
        &assertion.subject,
        &assertion.body_sha256,
        assertion.expires_at_ms,
    );
    gateway_key.verify(&bytes, &signature)?;
    if now_ms >= assertion.expires_at_ms {
        return Err(AuthError::AssertionExpired {
            expired_at_ms: assertion.expires_at_ms,
        });
    }
    if assertion.subject != subject {
        return Err(AuthError::AssertionForAnotherOperation);
    }
    if assertion.body_sha256 != body_digest(body) {
        return Err(AuthError::AssertionForAnotherBody);
    }
    Ok(assertion.staff_id)
}

impl CallerAssertion {
    /// The headers that carry it: the staff ID in [`headers::CALLER_STAFF_ID`] (which the
    /// assertion thereby covers), the rest in the `Bikestore-Assertion-*` headers.
    pub fn header_values(&self) -> Vec<(&'static str, String)> {
        let mut values = vec![
            (headers::ASSERTION_SUBJECT, self.subject.clone()),
            (
                headers::ASSERTION_BODY_SHA256,
                URL_SAFE_NO_PAD.encode(self.body_sha256),
            ),
            (headers::ASSERTION_EXPIRES, self.expires_at_ms.to_string()),
            (headers::ASSERTION_SIGNATURE, self.signature.clone()),
        ];
        if let Some(staff_id) = self.staff_id {
            values.push((headers::CALLER_STAFF_ID, staff_id.to_string()));
        }
        values
    }

    /// Reads an assertion from a request's headers, through `header` (a header's value by
    /// name): [`AuthError::AssertionMissing`] without a signature, `Malformed` when a part is
    /// missing or unreadable.
    pub fn from_headers<'a>(
        header: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<CallerAssertion, AuthError> {
        let signature = header(headers::ASSERTION_SIGNATURE).ok_or(AuthError::AssertionMissing)?;
        let part = |name: &str| {
            header(name)
                .map(str::trim)
                .ok_or(AuthError::malformed("caller assertion"))
        };
        let staff_id = header(headers::CALLER_STAFF_ID)
            .map(|text| text.trim().parse().map(StaffId))
            .transpose()
            .map_err(|_| AuthError::malformed("caller assertion staff ID"))?;
        let body_sha256 = URL_SAFE_NO_PAD
            .decode(part(headers::ASSERTION_BODY_SHA256)?)
            .ok()
            .and_then(|digest| <[u8; 32]>::try_from(digest).ok())
            .ok_or(AuthError::malformed("caller assertion body digest"))?;
        let expires_at_ms = part(headers::ASSERTION_EXPIRES)?
            .parse()
            .map_err(|_| AuthError::malformed("caller assertion expiry"))?;
        Ok(CallerAssertion {
            staff_id,
            subject: part(headers::ASSERTION_SUBJECT)?.to_owned(),
            body_sha256,
            expires_at_ms,
            signature: signature.trim().to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    const NOW: i64 = 1_750_000_000_000;

    fn identity(operation: &str) -> String {
        bikestore_contracts::Subjects::default()
            .svc(bikestore_contracts::ServiceName::Identity, operation)
    }

    fn gateway() -> KeyPair {
        KeyPair::generate().expect("randomness")
    }

    #[test]
    fn the_gateways_assertion_verifies_for_its_request_and_names_the_member() {
        let subject = identity("create_staff");
        let gateway = gateway();
        let assertion = sign_assertion(&gateway, Some(StaffId(7)), &subject, b"body", NOW);
        let verified = verify_assertion(&gateway.public_key(), &assertion, &subject, b"body", NOW);
        assert_eq!(verified, Ok(Some(StaffId(7))));
        let anonymous = sign_assertion(&gateway, None, &subject, b"", NOW);
        let verified = verify_assertion(&gateway.public_key(), &anonymous, &subject, b"", NOW);
        assert_eq!(verified, Ok(None));
    }

    #[test]
    fn each_wrong_part_is_refused_with_its_own_error() {
        let subject = identity("create_staff");
        let gateway = gateway();
        let key = gateway.public_key();
        let assertion = sign_assertion(&gateway, Some(StaffId(7)), &subject, b"body", NOW);
        let forged = sign_assertion(
            &KeyPair::generate().expect("randomness"),
            Some(StaffId(7)),
            &subject,
            b"body",
            NOW,
        );
        assert_eq!(
            verify_assertion(&key, &forged, &subject, b"body", NOW),
            Err(AuthError::BadSignature)
        );
        assert_eq!(
            verify_assertion(&key, &assertion, &subject, b"body", NOW + ASSERTION_TTL_MS),
            Err(AuthError::AssertionExpired {
                expired_at_ms: NOW + ASSERTION_TTL_MS
            })
        );
        let other_subject = &identity("reset_password");
        assert_eq!(
            verify_assertion(&key, &assertion, other_subject, b"body", NOW),
            Err(AuthError::AssertionForAnotherOperation)
        );
        assert_eq!(
            verify_assertion(&key, &assertion, &subject, b"bodY", NOW),
            Err(AuthError::AssertionForAnotherBody)
        );
    }

    #[test]
    fn claims_changed_in_transit_fail_the_signature() {
        let subject = identity("create_staff");
        let gateway = gateway();
        let key = gateway.public_key();
        let assertion = sign_assertion(&gateway, Some(StaffId(7)), &subject, b"body", NOW);
        let changes = [
            CallerAssertion {
                staff_id: Some(StaffId(8)),
                ..assertion.clone()
            },
            CallerAssertion {
                staff_id: None,
                ..assertion.clone()
            },
            CallerAssertion {
                expires_at_ms: NOW + 3_600_000,
                ..assertion.clone()
            },
            CallerAssertion {
                subject: identity("logout"),
                ..assertion.clone()
            },
            CallerAssertion {
                body_sha256: body_digest(b"another body"),
                ..assertion.clone()
            },
        ];
        for changed in changes {
            let subject = changed.subject.clone();
            assert_eq!(
                verify_assertion(&key, &changed, &subject, b"another body", NOW),
                Err(AuthError::BadSignature),
                "{changed:?}"
            );
        }
    }

    #[test]
    fn an_assertion_survives_its_headers_and_missing_or_garbled_ones_are_refused() {
        let subject = identity("create_staff");
        let assertion = sign_assertion(&gateway(), Some(StaffId(7)), &subject, b"body", NOW);
        let mut carried: HashMap<&str, String> = assertion.header_values().into_iter().collect();
        let read = |carried: &HashMap<&str, String>| {
            CallerAssertion::from_headers(|name| carried.get(name).map(String::as_str))
        };
        assert_eq!(read(&carried), Ok(assertion));
        for (name, garbage) in [
            (headers::CALLER_STAFF_ID, "seven"),
            (headers::ASSERTION_BODY_SHA256, "AAAA"),
            (headers::ASSERTION_EXPIRES, "tomorrow"),
        ] {
            let mut garbled = carried.clone();
            garbled.insert(name, garbage.to_owned());
            assert!(
                matches!(read(&garbled), Err(AuthError::Malformed { .. })),
                "{name}"
            );
        }
        carried.remove(headers::ASSERTION_SUBJECT);
        assert!(matches!(read(&carried), Err(AuthError::Malformed { .. })));
        assert_eq!(read(&HashMap::new()), Err(AuthError::AssertionMissing));
    }

    #[test]
    fn any_flipped_byte_of_a_signature_fails() {
        let subject = identity("create_staff");
        let gateway = gateway();
        let assertion = sign_assertion(&gateway, None, &subject, b"", NOW);
        let mut bytes = URL_SAFE_NO_PAD
            .decode(&assertion.signature)
            .expect("base64url");
        for index in 0..bytes.len() {
            bytes[index] ^= 0x01;
            let flipped = CallerAssertion {
                signature: URL_SAFE_NO_PAD.encode(&bytes),
                ..assertion.clone()
            };
            let verified = verify_assertion(&gateway.public_key(), &flipped, &subject, b"", NOW);
            assert_eq!(verified, Err(AuthError::BadSignature));
            bytes[index] ^= 0x01;
        }
        let long = CallerAssertion {
            signature: "A".repeat(500),
            ..assertion
        };
        let verified = verify_assertion(&gateway.public_key(), &long, &subject, b"", NOW);
        assert!(matches!(verified, Err(AuthError::Malformed { .. })));
    }
}
