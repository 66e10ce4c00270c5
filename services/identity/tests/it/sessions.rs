//! Refresh tokens: single use and rotated; a spent one presented again revokes its whole
//! family; logout revokes; a deactivated member can neither log in nor refresh.

use bikestore_contracts::ErrorCode;
use bikestore_contracts::identity::{DeactivateStaff, Logout, RefreshToken, Role};

use crate::support::{login, now_ms, refresh, staff, verify, with_service};

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn a_refresh_rotates_the_token_and_signs_a_new_access_token() -> anyhow::Result<()> {
    let system = with_service().await?;
    let staff_id = staff(&system, "eva.soto", Role::Manager, Some(1), PASSWORD).await?;
    let (first, _) = login(&system, "eva.soto", PASSWORD).await?;
    let second = refresh(&system, &first.refresh_token).await?;
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_eq!(second.staff.staff_id, staff_id);
    let verified = verify(&system, &second, now_ms()).await?.expect("verifies");
    assert_eq!(verified.claims.staff_id, staff_id);
    // The new token works once more; the chain goes on.
    let third = refresh(&system, &second.refresh_token).await?;
    assert_eq!(third.staff.staff_id, staff_id);
    system.stop().await
}

#[tokio::test]
async fn reusing_a_spent_token_revokes_the_whole_family() -> anyhow::Result<()> {
    let system = with_service().await?;
    staff(&system, "fay.lima", Role::Sales, Some(2), PASSWORD).await?;
    let (first, _) = login(&system, "fay.lima", PASSWORD).await?;
    let (other_session, _) = login(&system, "fay.lima", PASSWORD).await?;
    let second = refresh(&system, &first.refresh_token).await?;
    let reuse = refresh(&system, &first.refresh_token).await.unwrap_err();
    assert_eq!(reuse.code, ErrorCode::Unauthorized);
    let newer = refresh(&system, &second.refresh_token).await.unwrap_err();
    assert_eq!(
        newer.code,
        ErrorCode::Unauthorized,
        "the newer token of the family is revoked too"
    );
    // Another login is another family, untouched.
    refresh(&system, &other_session.refresh_token).await?;
    system.stop().await
}

#[tokio::test]
async fn logout_revokes_and_unknown_tokens_are_refused() -> anyhow::Result<()> {
    let system = with_service().await?;
    staff(&system, "gus.pena", Role::Sales, Some(3), PASSWORD).await?;
    let (first, _) = login(&system, "gus.pena", PASSWORD).await?;
    let second = refresh(&system, &first.refresh_token).await?;
    system
        .caller()
        .call(&Logout {
            refresh_token: second.refresh_token.clone(),
        })
        .await?;
    let after = refresh(&system, &second.refresh_token).await.unwrap_err();
    assert_eq!(after.code, ErrorCode::Unauthorized);
    // Logging out with a token nobody has is answered the same way, and says nothing.
    system
        .caller()
        .call(&Logout {
            refresh_token: RefreshToken::from("no-such-token"),
        })
        .await?;
    let unknown = refresh(&system, &RefreshToken::from("no-such-token"))
        .await
        .unwrap_err();
    assert_eq!(unknown, after);
    system.stop().await
}

#[tokio::test]
async fn a_deactivated_member_can_neither_log_in_nor_refresh() -> anyhow::Result<()> {
    let system = with_service().await?;
    let staff_id = staff(&system, "hal.cruz", Role::Sales, Some(1), PASSWORD).await?;
    let (session, _) = login(&system, "hal.cruz", PASSWORD).await?;
    system.caller().call(&DeactivateStaff { staff_id }).await?;
    let refreshed = refresh(&system, &session.refresh_token).await.unwrap_err();
    assert_eq!(refreshed.code, ErrorCode::Unauthorized);
    let deactivated = login(&system, "hal.cruz", PASSWORD).await.unwrap_err();
    let unknown = login(&system, "nobody.at.all", PASSWORD).await.unwrap_err();
    assert_eq!(
        deactivated, unknown,
        "a deactivated account looks like no account"
    );
    system.stop().await
}
