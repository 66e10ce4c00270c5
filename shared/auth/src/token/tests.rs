//! Access tokens: issue and verify, every refusal, and properties over tampered and arbitrary
//! input.

use bikestore_contracts::identity::{AccessClaims, PublicKeyInfo, PublicKeySet, Role};
use bikestore_contracts::{StaffId, StoreId};
use proptest::prelude::*;

use super::*;

const NOW: i64 = 1_750_000_000_000;

fn claims(session: &KeyPair) -> AccessClaims {
    AccessClaims {
        staff_id: StaffId(7),
        role: Role::Sales,
        store_id: Some(StoreId(2)),
        session_public_key: session.public_key().to_base64url(),
        issued_at_ms: NOW,
        expires_at_ms: NOW + ACCESS_TOKEN_TTL_MS,
        session_id: "session-1".into(),
    }
}

fn ring_of(key: &KeyPair) -> KeyRing {
    let mut ring = KeyRing::new();
    ring.insert(key.public_key(), None);
    ring
}

#[test]
fn an_issued_token_verifies_with_its_claims_and_key() {
    let signer = KeyPair::generate().expect("randomness");
    let session = KeyPair::generate().expect("randomness");
    let token = issue_access_token(&signer, &claims(&session)).expect("issues");
    assert!(token.expose().starts_with("v4.public."));
    let verified = ring_of(&signer)
        .verify_access_token(token.expose(), NOW + 1)
        .expect("verifies");
    assert_eq!(verified.claims, claims(&session));
    assert_eq!(verified.key_id, signer.key_id());
    assert_eq!(verified.session_key, session.public_key());
}

#[test]
fn expiry_unknown_keys_and_foreign_keys_are_refused() {
    let signer = KeyPair::generate().expect("randomness");
    let session = KeyPair::generate().expect("randomness");
    let token = issue_access_token(&signer, &claims(&session)).expect("issues");
    let ring = ring_of(&signer);
    assert_eq!(
        ring.verify_access_token(token.expose(), NOW + ACCESS_TOKEN_TTL_MS),
        Err(AuthError::Expired {
            expired_at_ms: NOW + ACCESS_TOKEN_TTL_MS
        })
    );
    assert_eq!(
        ring.verify_access_token(token.expose(), NOW - ISSUE_CLOCK_SKEW_MS - 1),
        Err(AuthError::NotYetValid)
    );
    assert!(matches!(
        KeyRing::new().verify_access_token(token.expose(), NOW),
        Err(AuthError::UnknownKey { .. })
    ));
    // A forger who copies the footer of a real key still needs its private half.
    let forger = KeyPair::generate().expect("randomness");
    let forged = issue_access_token(&forger, &claims(&session)).expect("issues");
    let real_footer = token.expose().rsplit('.').next().expect("has a footer");
    let forged_body = forged
        .expose()
        .rsplit_once('.')
        .map(|(body, _)| body)
        .expect("has a footer");
    let spliced = format!("{forged_body}.{real_footer}");
    assert_eq!(
        ring.verify_access_token(&spliced, NOW),
        Err(AuthError::BadSignature)
    );
}

#[test]
fn a_retired_key_stops_at_its_not_after() {
    let signer = KeyPair::generate().expect("randomness");
    let session = KeyPair::generate().expect("randomness");
    let token = issue_access_token(&signer, &claims(&session)).expect("issues");
    let mut ring = KeyRing::new();
    ring.insert(signer.public_key(), Some(NOW + 10));
    assert!(ring.verify_access_token(token.expose(), NOW + 9).is_ok());
    assert!(matches!(
        ring.verify_access_token(token.expose(), NOW + 10),
        Err(AuthError::Expired { .. })
    ));
}

#[test]
fn a_verified_token_stops_counting_when_it_expires_or_its_key_goes() {
    let signer = KeyPair::generate().expect("randomness");
    let session = KeyPair::generate().expect("randomness");
    let token = issue_access_token(&signer, &claims(&session)).expect("issues");
    let mut ring = KeyRing::new();
    ring.insert(signer.public_key(), Some(NOW + 10));
    let verified = ring
        .verify_access_token(token.expose(), NOW)
        .expect("verifies");
    assert_eq!(ring.check_current(&verified, NOW + 9), Ok(()));
    assert!(matches!(
        ring.check_current(&verified, NOW + 10),
        Err(AuthError::Expired { .. })
    ));
    assert!(matches!(
        ring_of(&signer).check_current(&verified, NOW + ACCESS_TOKEN_TTL_MS),
        Err(AuthError::Expired { .. })
    ));
    assert!(matches!(
        ring_of(&KeyPair::generate().expect("randomness")).check_current(&verified, NOW),
        Err(AuthError::UnknownKey { .. })
    ));
}

#[test]
fn a_published_key_set_builds_a_ring_and_a_wrong_kid_is_refused() {
    let signer = KeyPair::generate().expect("randomness");
    let info = PublicKeyInfo {
        kid: signer.key_id().0,
        public_key_base64: signer.public_key().to_base64(),
        not_after_ms: None,
    };
    let set = PublicKeySet {
        keys: vec![info.clone()],
    };
    let ring = KeyRing::from_public_keys(&set).expect("builds");
    assert_eq!(ring.get(&signer.key_id()), Some(signer.public_key()));
    let wrong = PublicKeySet {
        keys: vec![PublicKeyInfo {
            kid: "ed25519-other".into(),
            ..info
        }],
    };
    assert!(KeyRing::from_public_keys(&wrong).is_err());
}

#[test]
fn claims_with_a_bad_session_key_are_not_signed() {
    let signer = KeyPair::generate().expect("randomness");
    let session = KeyPair::generate().expect("randomness");
    let mut bad = claims(&session);
    bad.session_public_key = "not a key".into();
    assert!(issue_access_token(&signer, &bad).is_err());
}

#[test]
fn every_single_bit_flip_of_a_token_fails() {
    let signer = KeyPair::generate().expect("randomness");
    let session = KeyPair::generate().expect("randomness");
    let token = issue_access_token(&signer, &claims(&session)).expect("issues");
    let ring = ring_of(&signer);
    let original = token.expose().as_bytes();
    for index in 0..original.len() {
        for bit in 0..8 {
            let mut bytes = original.to_vec();
            bytes[index] ^= 1 << bit;
            if let Ok(text) = std::str::from_utf8(&bytes) {
                assert!(
                    ring.verify_access_token(text, NOW).is_err(),
                    "flipping bit {bit} of byte {index} still verifies"
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_flipped_byte_of_a_token_fails(position in any::<prop::sample::Index>(), mask in 1_u8..=255) {
        let signer = KeyPair::generate().expect("randomness");
        let session = KeyPair::generate().expect("randomness");
        let token = issue_access_token(&signer, &claims(&session)).expect("issues");
        let mut bytes = token.expose().as_bytes().to_vec();
        let index = position.index(bytes.len());
        bytes[index] ^= mask;
        // A flip that leaves no UTF-8 cannot even be offered as a header value.
        if let Ok(text) = std::str::from_utf8(&bytes) {
            prop_assert!(ring_of(&signer).verify_access_token(text, NOW).is_err());
        }
    }

    #[test]
    fn any_flipped_byte_of_a_request_signature_fails(
        position in any::<prop::sample::Index>(),
        mask in 1_u8..=255,
        body in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let session = KeyPair::generate().expect("randomness");
        let subject = &bikestore_contracts::Subjects::default()
            .api(bikestore_contracts::ServiceName::Inventory, "receive_stock");
        let signed = crate::sign_request(&session, subject, NOW, &body).expect("signs");
        let mut bytes = signed.signature.as_bytes().to_vec();
        let index = position.index(bytes.len());
        bytes[index] ^= mask;
        if let Ok(text) = String::from_utf8(bytes) {
            let tampered = crate::RequestSignature { signature: text, ..signed.clone() };
            prop_assert!(crate::verify_request(&session.public_key(), subject, &body, &tampered, NOW).is_err());
        }
        if !body.is_empty() {
            let mut changed = body.clone();
            let index = position.index(changed.len());
            changed[index] ^= mask;
            prop_assert_eq!(
                crate::verify_request(&session.public_key(), subject, &changed, &signed, NOW),
                Err(AuthError::BadSignature)
            );
        }
    }

    #[test]
    fn arbitrary_text_never_panics_the_verifier(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let signer = KeyPair::generate().expect("randomness");
        let ring = ring_of(&signer);
        let text = String::from_utf8_lossy(&bytes);
        prop_assert!(ring.verify_access_token(&text, NOW).is_err());
        let shaped = format!("v4.public.{}", text.replace('.', ""));
        prop_assert!(ring.verify_access_token(&shaped, NOW).is_err());
        let signature = crate::RequestSignature {
            session_public_key: text.to_string(),
            timestamp_ms: NOW,
            nonce: text.to_string(),
            signature: text.to_string(),
        };
        prop_assert!(crate::verify_request(&signer.public_key(), "s", &bytes, &signature, NOW).is_err());
        let _ = KeyPair::from_secret_text(&text);
        let _ = crate::PublicKey::from_base64(&text);
    }

    #[test]
    fn arbitrary_base64_after_the_header_never_panics(body in "[A-Za-z0-9_-]{0,400}", footer in "[A-Za-z0-9_-]{0,80}") {
        let signer = KeyPair::generate().expect("randomness");
        let ring = ring_of(&signer);
        let with_footer = format!("v4.public.{body}.{footer}");
        let without_footer = format!("v4.public.{body}");
        prop_assert!(ring.verify_access_token(&with_footer, NOW).is_err());
        prop_assert!(ring.verify_access_token(&without_footer, NOW).is_err());
    }
}
