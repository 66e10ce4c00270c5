//! The session's life: automatic refresh, logout, and the saved session file.

use std::time::Duration;

use bikestore_client::Session;
use bikestore_contracts::ErrorCode;
use bikestore_contracts::inventory::ListProducts;

use crate::support::{ADMIN, ADMIN_PASSWORD, Stack};

#[tokio::test]
async fn a_token_near_expiry_is_refreshed_before_the_call() {
    // Every token expires within the client's refresh margin, so each call refreshes first.
    let stack = Stack::start_with_token_ttl(Duration::from_secs(30))
        .await
        .unwrap();
    let session = stack.client.login(ADMIN, ADMIN_PASSWORD).await.unwrap();
    let before = session.to_saved().await;
    session.call(&ListProducts::default()).await.unwrap();
    let after = session.to_saved().await;
    assert_ne!(before.access_token, after.access_token);
    assert_ne!(before.refresh_token, after.refresh_token, "rotated");
    // The spent refresh token is gone from the session; the new one works.
    session.call(&ListProducts::default()).await.unwrap();
    stack.stop().await.unwrap();
}

#[tokio::test]
async fn a_token_refused_as_expired_is_refreshed_once_and_the_call_retried() {
    let stack = Stack::start_with_token_ttl(Duration::from_secs(2))
        .await
        .unwrap();
    let session = stack.client.login(ADMIN, ADMIN_PASSWORD).await.unwrap();
    // A session that believes its token lasts: only the gateway's refusal can tell it.
    let mut saved = session.to_saved().await;
    saved.expires_at_ms = i64::MAX / 2;
    let believer = Session::from_saved(stack.client.clone(), saved.clone()).unwrap();
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    believer.call(&ListProducts::default()).await.unwrap();
    let after = believer.to_saved().await;
    assert_ne!(saved.access_token, after.access_token);
    assert!(after.expires_at_ms < i64::MAX / 2);
    stack.stop().await.unwrap();
}

#[tokio::test]
async fn after_logout_calls_and_refreshes_are_unauthorized() {
    let stack = Stack::start().await.unwrap();
    let session = stack.client.login(ADMIN, ADMIN_PASSWORD).await.unwrap();
    let copy = Session::from_saved(stack.client.clone(), session.to_saved().await).unwrap();
    session.logout().await.unwrap();

    let error = session.call(&ListProducts::default()).await.unwrap_err();
    assert_eq!(error.code(), ErrorCode::Unauthorized, "{error}");
    // Identity revoked the refresh token: a copy of the session cannot buy a new access token.
    let error = copy.refresh().await.unwrap_err();
    assert_eq!(error.code(), ErrorCode::Unauthorized, "{error}");
    stack.stop().await.unwrap();
}

#[tokio::test]
async fn a_saved_session_round_trips_through_a_private_file() {
    let stack = Stack::start().await.unwrap();
    let session = stack.client.login(ADMIN, ADMIN_PASSWORD).await.unwrap();
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("session.json");
    session.save_to(&path).await.unwrap();

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    let loaded = Session::load_from(stack.client.clone(), &path).unwrap();
    assert_eq!(loaded.to_saved().await, session.to_saved().await);
    assert_eq!(loaded.whoami(), session.whoami());
    loaded.call(&ListProducts::default()).await.unwrap();
    stack.stop().await.unwrap();
}

#[tokio::test]
async fn saving_over_a_readable_file_makes_it_private() {
    let stack = Stack::start().await.unwrap();
    let session = stack.client.login(ADMIN, ADMIN_PASSWORD).await.unwrap();
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("session.json");
    std::fs::write(&path, b"old").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        session.save_to(&path).await.unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    let loaded = Session::load_from(stack.client.clone(), &path).unwrap();
    assert_eq!(loaded.whoami(), session.whoami());
    stack.stop().await.unwrap();
}

#[test]
fn a_saved_session_never_shows_its_secrets_in_debug() {
    use bikestore_contracts::identity::SessionSecretKey;
    let key = SessionSecretKey::from("very-secret-key-text");
    assert_eq!(format!("{key:?}"), "***");
}

#[tokio::test]
async fn concurrent_calls_near_expiry_refresh_without_spending_a_token_twice() {
    // Spending one refresh token twice would revoke the whole session: the lock prevents it.
    let stack = Stack::start_with_token_ttl(Duration::from_secs(30))
        .await
        .unwrap();
    let session = stack.client.login(ADMIN, ADMIN_PASSWORD).await.unwrap();
    let calls: Vec<_> = (0..4)
        .map(|_| {
            let session = session.clone();
            tokio::spawn(async move { session.call(&ListProducts::default()).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    session.call(&ListProducts::default()).await.unwrap();
    stack.stop().await.unwrap();
}

#[tokio::test]
async fn sessions_sharing_a_file_never_spend_one_refresh_token_twice() {
    // Every token expires within the client's refresh margin, so every call refreshes.
    let stack = Stack::start_with_token_ttl(Duration::from_secs(30))
        .await
        .unwrap();
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("session.json");
    let login = stack.client.login(ADMIN, ADMIN_PASSWORD).await.unwrap();
    login.save_to(&path).await.unwrap();
    // As a console and a CLI run do: each reads the file once and keeps the tokens in memory.
    let console = Session::load_from(stack.client.clone(), &path)
        .unwrap()
        .kept_in(&path);
    let cli = Session::load_from(stack.client.clone(), &path)
        .unwrap()
        .kept_in(&path);
    console.call(&ListProducts::default()).await.unwrap();
    // The refresh token `cli` read is spent: presenting it would make identity end the session.
    cli.call(&ListProducts::default()).await.unwrap();
    console.call(&ListProducts::default()).await.unwrap();
    let on_disk = Session::load_from(stack.client.clone(), &path)
        .unwrap()
        .to_saved()
        .await;
    assert_eq!(
        on_disk,
        console.to_saved().await,
        "the last refresh is saved"
    );
    assert_ne!(on_disk.refresh_token, login.to_saved().await.refresh_token);
    stack.stop().await.unwrap();
}

#[tokio::test]
async fn a_session_whose_refresh_reply_was_lost_refreshes_again_and_goes_on() {
    let stack = Stack::start().await.unwrap();
    let session = stack.client.login(ADMIN, ADMIN_PASSWORD).await.unwrap();
    // The session as it was before a refresh whose reply it never saw: identity rotated the
    // refresh token, but this copy still holds the spent one.
    let before = session.to_saved().await;
    session.refresh().await.unwrap();
    let lost_reply = session.to_saved().await;
    let unaware = Session::from_saved(stack.client.clone(), before.clone()).unwrap();
    // Asking again with the spent token is a retry: the session goes on.
    unaware.refresh().await.unwrap();
    let retried = unaware.to_saved().await;
    assert_ne!(retried.refresh_token, before.refresh_token);
    assert_ne!(retried.refresh_token, lost_reply.refresh_token);
    unaware.call(&ListProducts::default()).await.unwrap();
    unaware.refresh().await.unwrap();
    unaware.call(&ListProducts::default()).await.unwrap();
    stack.stop().await.unwrap();
}
