//! Refresh tokens: single use and rotated; a spent one presented again revokes its whole
//! family; logout revokes; a deactivated member can neither log in nor refresh.

use bikestore_contracts::ErrorCode;
use bikestore_contracts::identity::{DeactivateStaff, Logout, RefreshToken, Role};

use crate::support::{Stack, now_ms};

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn a_refresh_rotates_the_token_and_signs_a_new_access_token() -> anyhow::Result<()> {
    let (stack, service) = Stack::with_service().await?;
    let staff_id = stack
        .staff("eva.soto", Role::Manager, Some(1), PASSWORD)
        .await?;
    let (first, _) = stack.login("eva.soto", PASSWORD).await?;
    let second = stack.refresh(&first.refresh_token).await?;
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_eq!(second.staff.staff_id, staff_id);
    let verified = stack.verify(&second, now_ms()).await?.expect("verifies");
    assert_eq!(verified.claims.staff_id, staff_id);
    // The new token works once more; the chain goes on.
    let third = stack.refresh(&second.refresh_token).await?;
    assert_eq!(third.staff.staff_id, staff_id);
    service.stop().await
}

#[tokio::test]
async fn reusing_a_spent_token_revokes_the_whole_family() -> anyhow::Result<()> {
    let (stack, service) = Stack::with_service().await?;
    stack
        .staff("fay.lima", Role::Sales, Some(2), PASSWORD)
        .await?;
    let (first, _) = stack.login("fay.lima", PASSWORD).await?;
    let (other_session, _) = stack.login("fay.lima", PASSWORD).await?;
    let second = stack.refresh(&first.refresh_token).await?;
    let reuse = stack.refresh(&first.refresh_token).await.unwrap_err();
    assert_eq!(reuse.code, ErrorCode::Unauthorized);
    let newer = stack.refresh(&second.refresh_token).await.unwrap_err();
    assert_eq!(
        newer.code,
        ErrorCode::Unauthorized,
        "the newer token of the family is revoked too"
    );
    // Another login is another family, untouched.
    stack.refresh(&other_session.refresh_token).await?;
    service.stop().await
}

#[tokio::test]
async fn logout_revokes_and_unknown_tokens_are_refused() -> anyhow::Result<()> {
    let (stack, service) = Stack::with_service().await?;
    stack
        .staff("gus.pena", Role::Sales, Some(3), PASSWORD)
        .await?;
    let (first, _) = stack.login("gus.pena", PASSWORD).await?;
    let second = stack.refresh(&first.refresh_token).await?;
    stack
        .caller
        .call(&Logout {
            refresh_token: second.refresh_token.clone(),
        })
        .await?;
    let after = stack.refresh(&second.refresh_token).await.unwrap_err();
    assert_eq!(after.code, ErrorCode::Unauthorized);
    // Logging out with a token nobody has is answered the same way, and says nothing.
    stack
        .caller
        .call(&Logout {
            refresh_token: RefreshToken::from("no-such-token"),
        })
        .await?;
    let unknown = stack
        .refresh(&RefreshToken::from("no-such-token"))
        .await
        .unwrap_err();
    assert_eq!(unknown, after);
    service.stop().await
}

#[tokio::test]
async fn a_deactivated_member_can_neither_log_in_nor_refresh() -> anyhow::Result<()> {
    let (stack, service) = Stack::with_service().await?;
    let staff_id = stack
        .staff("hal.cruz", Role::Sales, Some(1), PASSWORD)
        .await?;
    let (session, _) = stack.login("hal.cruz", PASSWORD).await?;
    stack.caller.call(&DeactivateStaff { staff_id }).await?;
    let refresh = stack.refresh(&session.refresh_token).await.unwrap_err();
    assert_eq!(refresh.code, ErrorCode::Unauthorized);
    let login = stack.login("hal.cruz", PASSWORD).await.unwrap_err();
    let unknown = stack.login("nobody.at.all", PASSWORD).await.unwrap_err();
    assert_eq!(
        login, unknown,
        "a deactivated account looks like no account"
    );
    service.stop().await
}
