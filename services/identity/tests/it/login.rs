//! Logging in: a good password gets a token the published keys verify; every bad login gets
//! one answer that does not tell whether the username exists; repeated failures are slowed
//! down and then locked, for known and unknown usernames alike; a lock is lifted by an admin's
//! `unlock_username` or by `bikestore-identity unlock`, and never ends a session.

use std::time::Duration;

use bikestore_contracts::ErrorCode;
use bikestore_contracts::identity::{ResetPassword, Role, UnlockUsername};
use bikestore_contracts::{StaffId, StoreId, WireError};
use bikestore_testkit::{ChildProcess, eventually};

use bikestore_harness::System;

use crate::support::{
    FREE_ATTEMPTS, LOCK_AFTER, login, now_ms, refresh, staff, verify, with_service,
};

const PASSWORD: &str = "correct horse battery";
const INVALID: &str = "invalid username or password";
const THROTTLED: &str = "too many attempts; try again later";

#[tokio::test]
async fn a_login_gets_a_token_that_the_published_key_verifies() -> anyhow::Result<()> {
    let system = with_service().await?;
    let staff_id = staff(&system, "ana.lopez", Role::Sales, Some(2), PASSWORD).await?;
    let before = now_ms();
    let (reply, session) = login(&system, "Ana.Lopez", PASSWORD).await?;
    assert_eq!(reply.staff.staff_id, staff_id);
    assert_eq!(reply.staff.username, "ana.lopez");
    assert!(reply.access_token.expose().starts_with("v4.public."));
    assert!(reply.expires_at_ms >= before + 15 * 60 * 1000);

    let verified = verify(&system, &reply, now_ms())
        .await?
        .expect("the token verifies");
    assert_eq!(verified.claims.staff_id, staff_id);
    assert_eq!(verified.claims.role, Role::Sales);
    assert_eq!(verified.claims.store_id, Some(StoreId(2)));
    assert_eq!(verified.claims.expires_at_ms, reply.expires_at_ms);
    assert_eq!(verified.session_key, session.public_key());
    let keys = system
        .caller()
        .call(&bikestore_contracts::identity::PublicKeys {})
        .await?;
    assert_eq!(keys.keys.len(), 1);
    assert_eq!(verified.key_id.as_str(), keys.keys[0].kid);
    assert_eq!(keys.keys[0].not_after_ms, None);
    system.stop().await
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_answer() -> anyhow::Result<()> {
    let system = with_service().await?;
    staff(&system, "ben.ortiz", Role::Manager, Some(1), PASSWORD).await?;
    let wrong_password = login(&system, "ben.ortiz", "not the password")
        .await
        .unwrap_err();
    let unknown_user = login(&system, "nobody.here", PASSWORD).await.unwrap_err();
    let impossible_user = login(&system, "x", PASSWORD).await.unwrap_err();
    let expected = WireError::new(ErrorCode::Unauthorized, INVALID);
    assert_eq!(wrong_password, expected);
    assert_eq!(unknown_user, expected);
    assert_eq!(impossible_user, expected);
    system.stop().await
}

/// Fails `username` until a wrong password is answered (not throttled): waits out the delay.
async fn fail_once_more(system: &System, username: &str) -> anyhow::Result<()> {
    eventually(
        &format!("a failure of {username} to be counted again"),
        Duration::from_secs(10),
        async || {
            let error = login(system, username, "wrong password!").await.err()?;
            (error.message == INVALID).then_some(())
        },
    )
    .await
}

#[tokio::test]
async fn repeated_failures_slow_down_then_lock_known_and_unknown_users_alike() -> anyhow::Result<()>
{
    let system = with_service().await?;
    let staff_id = staff(&system, "cara.diaz", Role::Sales, Some(3), PASSWORD).await?;
    for username in ["cara.diaz", "ghost.user"] {
        for _ in 0..FREE_ATTEMPTS {
            let error = login(&system, username, "wrong password!")
                .await
                .unwrap_err();
            assert_eq!(
                error.message, INVALID,
                "{username}: the first failures are free"
            );
        }
        // Slowed down: even the right password is refused until the delay has passed.
        let error = login(&system, username, PASSWORD).await.unwrap_err();
        assert_eq!(
            error,
            WireError::new(ErrorCode::Unauthorized, THROTTLED),
            "{username}"
        );
        for _ in FREE_ATTEMPTS..LOCK_AFTER {
            fail_once_more(&system, username).await?;
        }
        // Locked for a minute: refused at once, whatever the password.
        for password in [PASSWORD, "wrong password!"] {
            let error = login(&system, username, password).await.unwrap_err();
            assert_eq!(error.message, THROTTLED, "{username} is locked");
        }
    }
    // A password reset lifts the lock.
    reset(&system, staff_id, "a brand new password").await?;
    let (reply, _) = login(&system, "cara.diaz", "a brand new password").await?;
    assert_eq!(reply.staff.staff_id, staff_id);
    system.stop().await
}

#[tokio::test]
async fn a_success_clears_the_failures() -> anyhow::Result<()> {
    let system = with_service().await?;
    staff(&system, "dan.ruiz", Role::Sales, Some(1), PASSWORD).await?;
    for _ in 0..2 {
        for _ in 0..FREE_ATTEMPTS - 1 {
            login(&system, "dan.ruiz", "wrong password!")
                .await
                .unwrap_err();
        }
        login(&system, "dan.ruiz", PASSWORD).await?;
    }
    system.stop().await
}

async fn reset(system: &System, staff_id: StaffId, password: &str) -> anyhow::Result<()> {
    system
        .as_gateway()
        .call(&ResetPassword {
            staff_id,
            new_password: password.into(),
        })
        .await?;
    Ok(())
}

/// Fails `username` until it is locked: the free failures, then each delay waited out.
async fn lock(system: &System, username: &str) -> anyhow::Result<()> {
    for _ in 0..LOCK_AFTER {
        fail_once_more(system, username).await?;
    }
    let error = login(system, username, PASSWORD).await.unwrap_err();
    assert_eq!(error.message, THROTTLED, "{username} is locked");
    Ok(())
}

#[tokio::test]
async fn a_lock_is_lifted_by_an_admin_or_on_identitys_machine_and_never_ends_a_session()
-> anyhow::Result<()> {
    let system = with_service().await?;
    staff(&system, "eve.lock", Role::Sales, Some(1), PASSWORD).await?;
    let (before_lock, session_key) = login(&system, "eve.lock", PASSWORD).await?;
    lock(&system, "eve.lock").await?;
    // The session that logged in before the lock goes on: its refresh token still refreshes.
    let (refreshed, _) = refresh(&system, &before_lock.refresh_token, &session_key).await?;
    assert_eq!(refreshed.staff.staff_id, before_lock.staff.staff_id);

    // Unlocking needs the gateway's caller assertion, like all staff administration.
    let unlock = UnlockUsername {
        username: "Eve.Lock".into(),
    };
    let refused = system.caller().call(&unlock).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::Unauthorized, "{refused}");
    let unlocked = system.as_gateway().call(&unlock).await?;
    assert_eq!(unlocked.cleared_failures, LOCK_AFTER);
    login(&system, "eve.lock", PASSWORD).await?;

    // Locked again, and lifted by `bikestore-identity unlock` run on identity's data folder
    // while the service runs.
    lock(&system, "eve.lock").await?;
    let data_dir = system.data_dir().display().to_string();
    let log = system.data_dir().join("unlock.out");
    let mut unlock_process = ChildProcess::spawn(
        &bikestore_testkit::cargo_bin("bikestore-identity")?,
        &["unlock", "eve.lock"],
        &[(bikestore_runtime::config::ENV_DATA_DIR, data_dir.as_str())],
        &log,
    )?;
    let status = unlock_process.wait().await?;
    let output = unlock_process.read_log();
    assert!(status.success(), "{output}");
    assert!(
        output.contains(&format!(
            "unlocked eve.lock: {LOCK_AFTER} failed logins forgotten"
        )),
        "{output}"
    );
    login(&system, "eve.lock", PASSWORD).await?;
    // A name no account can have is refused, and says so.
    let mut malformed = ChildProcess::spawn(
        &bikestore_testkit::cargo_bin("bikestore-identity")?,
        &["unlock", "no such name!"],
        &[(bikestore_runtime::config::ENV_DATA_DIR, data_dir.as_str())],
        &system.data_dir().join("unlock-malformed.out"),
    )?;
    assert!(
        !malformed.wait().await?.success(),
        "{}",
        malformed.read_log()
    );
    system.stop().await
}
