//! Refresh tokens: bound to the session key they were issued to, which must sign each refresh
//! (a copied token alone is refused and spends nothing; a family moves to a new key only by the
//! old key's signature); single use and rotated; a spent one presented again revokes its whole
//! family (unless it is a retry of a lost reply: `refresh_retry.rs`); logout revokes; a deactivated member can neither log in nor refresh; ended sessions
//! are announced by the IDs their access tokens carry.

use bikestore_auth::KeyPair;
use bikestore_contracts::identity::{
    DeactivateStaff, LoginReply, Logout, Refresh, RefreshToken, Role, SessionsEnded,
};
use bikestore_contracts::{ErrorCode, Request, ServiceName, headers};
use bikestore_runtime::call::decode_reply;
use bikestore_testkit::read_events;

use crate::support::{READY, login, now_ms, refresh, refresh_signed, staff, verify, with_service};

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn a_refresh_rotates_the_token_and_signs_a_new_access_token() -> anyhow::Result<()> {
    let system = with_service().await?;
    let staff_id = staff(&system, "eva.soto", Role::Manager, Some(1), PASSWORD).await?;
    let (first, first_key) = login(&system, "eva.soto", PASSWORD).await?;
    let (second, second_key) = refresh(&system, &first.refresh_token, &first_key).await?;
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_eq!(second.staff.staff_id, staff_id);
    let verified = verify(&system, &second, now_ms()).await?.expect("verifies");
    assert_eq!(verified.claims.staff_id, staff_id);
    // The new token works once more; the chain goes on.
    let (third, _) = refresh(&system, &second.refresh_token, &second_key).await?;
    assert_eq!(third.staff.staff_id, staff_id);
    system.stop().await
}

#[tokio::test]
async fn reusing_a_spent_token_revokes_the_whole_family() -> anyhow::Result<()> {
    let system = with_service().await?;
    staff(&system, "fay.lima", Role::Sales, Some(2), PASSWORD).await?;
    let (first, first_key) = login(&system, "fay.lima", PASSWORD).await?;
    let (other_session, other_key) = login(&system, "fay.lima", PASSWORD).await?;
    let (second, second_key) = refresh(&system, &first.refresh_token, &first_key).await?;
    // Presented again with its key's proof: a copy of token and key, so the family goes.
    let reuse = refresh(&system, &first.refresh_token, &first_key)
        .await
        .unwrap_err();
    assert_eq!(reuse.code, ErrorCode::Unauthorized);
    let newer = refresh(&system, &second.refresh_token, &second_key)
        .await
        .unwrap_err();
    assert_eq!(
        newer.code,
        ErrorCode::Unauthorized,
        "the newer token of the family is revoked too"
    );
    // Another login is another family, untouched.
    refresh(&system, &other_session.refresh_token, &other_key).await?;
    system.stop().await
}

#[tokio::test]
async fn logout_revokes_and_unknown_tokens_are_refused() -> anyhow::Result<()> {
    let system = with_service().await?;
    staff(&system, "gus.pena", Role::Sales, Some(3), PASSWORD).await?;
    let (first, first_key) = login(&system, "gus.pena", PASSWORD).await?;
    let (second, second_key) = refresh(&system, &first.refresh_token, &first_key).await?;
    system
        .as_gateway()
        .call(&Logout {
            refresh_token: second.refresh_token.clone(),
        })
        .await?;
    let after = refresh(&system, &second.refresh_token, &second_key)
        .await
        .unwrap_err();
    assert_eq!(after.code, ErrorCode::Unauthorized);
    // Logging out with a token nobody has is answered the same way, and says nothing.
    system
        .as_gateway()
        .call(&Logout {
            refresh_token: RefreshToken::from("no-such-token"),
        })
        .await?;
    let unknown = refresh(&system, &RefreshToken::from("no-such-token"), &second_key)
        .await
        .unwrap_err();
    assert_eq!(unknown, after);
    system.stop().await
}

#[tokio::test]
async fn a_deactivated_member_can_neither_log_in_nor_refresh() -> anyhow::Result<()> {
    let system = with_service().await?;
    let staff_id = staff(&system, "hal.cruz", Role::Sales, Some(1), PASSWORD).await?;
    let (session, session_key) = login(&system, "hal.cruz", PASSWORD).await?;
    system
        .as_gateway()
        .call(&DeactivateStaff { staff_id })
        .await?;
    let refreshed = refresh(&system, &session.refresh_token, &session_key)
        .await
        .unwrap_err();
    assert_eq!(refreshed.code, ErrorCode::Unauthorized);
    let deactivated = login(&system, "hal.cruz", PASSWORD).await.unwrap_err();
    let unknown = login(&system, "nobody.at.all", PASSWORD).await.unwrap_err();
    assert_eq!(
        deactivated, unknown,
        "a deactivated account looks like no account"
    );
    system.stop().await
}

#[tokio::test]
async fn a_copied_refresh_token_alone_is_refused_and_the_owner_goes_on() -> anyhow::Result<()> {
    let system = with_service().await?;
    staff(&system, "ida.ruiz", Role::Sales, Some(1), PASSWORD).await?;
    let (owner, owner_key) = login(&system, "ida.ruiz", PASSWORD).await?;
    // The thief holds the token but not the owner's key: signing with their own key, onto
    // their own key or the owner's, is refused.
    let thief = KeyPair::generate()?;
    let onto_thief = refresh_signed(&system, &owner.refresh_token, &thief, &thief)
        .await
        .unwrap_err();
    assert_eq!(onto_thief.code, ErrorCode::Unauthorized);
    let onto_owner = refresh_signed(&system, &owner.refresh_token, &thief, &owner_key)
        .await
        .unwrap_err();
    assert_eq!(onto_owner, onto_thief, "the refusal says nothing more");
    // Nothing was spent or revoked: the owner refreshes as usual.
    let (refreshed, _) = refresh(&system, &owner.refresh_token, &owner_key).await?;
    assert_eq!(refreshed.staff.staff_id, owner.staff.staff_id);
    system.stop().await
}

#[tokio::test]
async fn a_family_moves_to_a_new_key_only_by_the_old_keys_signature() -> anyhow::Result<()> {
    let system = with_service().await?;
    staff(&system, "joy.vega", Role::Sales, Some(1), PASSWORD).await?;
    let (first, first_key) = login(&system, "joy.vega", PASSWORD).await?;
    let (second, second_key) = refresh(&system, &first.refresh_token, &first_key).await?;
    // The family is on the new key now: the old key no longer proves its token.
    let by_old_key = refresh_signed(&system, &second.refresh_token, &first_key, &first_key)
        .await
        .unwrap_err();
    assert_eq!(by_old_key.code, ErrorCode::Unauthorized);
    let (third, _) = refresh(&system, &second.refresh_token, &second_key).await?;
    assert_eq!(third.staff.staff_id, first.staff.staff_id);
    system.stop().await
}

#[tokio::test]
async fn a_refresh_of_the_first_version_without_a_proof_is_refused_by_its_version()
-> anyhow::Result<()> {
    let system = with_service().await?;
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(headers::CONTENT_TYPE, "application/json");
    headers.insert(headers::SCHEMA_VERSION, "1");
    let body = br#"{"refresh_token":"copied","session_public_key":"key"}"#;
    let reply = system
        .client()
        .request_with_headers(
            system
                .subjects()
                .svc(ServiceName::Identity, Refresh::OPERATION),
            headers,
            body.as_slice().into(),
        )
        .await?;
    let error = decode_reply::<LoginReply>(&reply).unwrap_err();
    assert_eq!(error.code, ErrorCode::Invalid, "{error:?}");
    assert!(error.message.contains("version"), "{error:?}");
    system.stop().await
}

#[tokio::test]
async fn ending_sessions_announces_them_by_the_ids_their_access_tokens_carry() -> anyhow::Result<()>
{
    let system = with_service().await?;
    let staff_id = staff(&system, "kai.lund", Role::Sales, Some(1), PASSWORD).await?;
    let (first, _) = login(&system, "kai.lund", PASSWORD).await?;
    let (second, _) = login(&system, "kai.lund", PASSWORD).await?;
    let session_of = async |reply: &LoginReply| -> anyhow::Result<String> {
        let verified = verify(&system, reply, now_ms()).await?.expect("verifies");
        Ok(verified.claims.session_id)
    };
    let (first_id, second_id) = (session_of(&first).await?, session_of(&second).await?);
    assert!(
        !first_id.is_empty() && first_id != second_id,
        "one ID per login"
    );
    system
        .as_gateway()
        .call(&Logout {
            refresh_token: first.refresh_token.clone(),
        })
        .await?;
    system
        .as_gateway()
        .call(&DeactivateStaff { staff_id })
        .await?;
    let ended = read_events::<SessionsEnded>(system.client(), system.subjects(), 2, READY).await?;
    assert_eq!(
        ended[0].session_ids,
        vec![first_id],
        "logout ends its own session"
    );
    assert_eq!(
        ended[1].session_ids,
        vec![second_id],
        "deactivation ends the rest"
    );
    assert!(
        ended
            .iter()
            .all(|event| event.staff_id == staff_id && event.tokens_expire_by_ms > event.at_ms)
    );
    system.stop().await
}
