//! A session that ends stops its access tokens at once, not when they expire: after a logout,
//! a new password or a deactivation the gateway refuses the session's token within a second,
//! saying the session ended, and a restarted gateway still does.

use std::time::Duration;

use bikestore_codec::ContentType;
use bikestore_contracts::identity::{DeactivateStaff, Logout, ResetPassword, Role};
use bikestore_contracts::inventory::ListProducts;
use bikestore_contracts::{ErrorCode, ServiceName, gateway};
use bikestore_testkit::eventually;

use crate::support::{Session, Stack};

/// How soon an ended session's token must be refused.
const WITHIN: Duration = Duration::from_secs(1);

/// Waits (at most [`WITHIN`]) until `session`'s token is refused as belonging to an ended
/// session.
async fn refused_as_ended(stack: &Stack, session: &Session) -> anyhow::Result<()> {
    eventually(
        "the ended session's token to be refused",
        WITHIN,
        async || {
            let error = stack
                .call(session, &ListProducts::default(), ContentType::Json)
                .await
                .err()?;
            (error.code == ErrorCode::Unauthorized
                && error
                    .details
                    .get(gateway::REFUSAL_DETAIL)
                    .map(String::as_str)
                    == Some(gateway::REFUSAL_SESSION_ENDED))
            .then_some(())
        },
    )
    .await
}

#[tokio::test]
async fn a_logged_out_sessions_token_is_refused_within_a_second_even_after_a_restart() {
    // Secured, so reading the ended sessions back runs with the gateway's own permissions.
    let mut stack = Stack::start_secured().await.unwrap();
    stack.staff("ana", Role::Admin, None).await.unwrap();
    let (session, refresh_token) = stack.login_keeping_refresh("ana").await.unwrap();
    let (other, _) = stack.login_keeping_refresh("ana").await.unwrap();
    stack
        .call(&session, &ListProducts::default(), ContentType::Json)
        .await
        .unwrap();
    stack.caller.call(&Logout { refresh_token }).await.unwrap();
    refused_as_ended(&stack, &session).await.unwrap();
    // Only that session ended: another login of the same member goes on.
    stack
        .call(&other, &ListProducts::default(), ContentType::Json)
        .await
        .unwrap();
    // A gateway started afresh reads the ended sessions back before it serves.
    stack
        .system
        .stop_service(ServiceName::Gateway)
        .await
        .unwrap();
    stack
        .system
        .start_service(ServiceName::Gateway)
        .await
        .unwrap();
    let error = stack
        .call(&session, &ListProducts::default(), ContentType::Json)
        .await
        .unwrap_err();
    assert_eq!(
        error
            .details
            .get(gateway::REFUSAL_DETAIL)
            .map(String::as_str),
        Some(gateway::REFUSAL_SESSION_ENDED),
        "{error:?}"
    );
    stack.stop().await.unwrap();
}

#[tokio::test]
async fn a_new_password_or_a_deactivation_ends_every_session_within_a_second() {
    let stack = Stack::start().await.unwrap();
    let store = stack.store().await.unwrap();
    let reset_id = stack.staff("sam", Role::Sales, Some(store)).await.unwrap();
    let deactivated_id = stack.staff("sue", Role::Sales, Some(store)).await.unwrap();
    let reset = stack.login("sam").await.unwrap();
    let deactivated = stack.login("sue").await.unwrap();
    stack
        .caller
        .call(&ResetPassword {
            staff_id: reset_id,
            new_password: "Another-Good-Password-1".into(),
        })
        .await
        .unwrap();
    refused_as_ended(&stack, &reset).await.unwrap();
    stack
        .caller
        .call(&DeactivateStaff {
            staff_id: deactivated_id,
        })
        .await
        .unwrap();
    // A deactivated member is refused as inactive, which says more than that the session ended.
    eventually(
        "the deactivated member's token to be refused",
        WITHIN,
        async || {
            let error = stack
                .call(&deactivated, &ListProducts::default(), ContentType::Json)
                .await
                .err()?;
            (error.code == ErrorCode::Unauthorized).then_some(())
        },
    )
    .await
    .unwrap();
    stack.stop().await.unwrap();
}
