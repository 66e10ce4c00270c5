//! A refresh whose reply is lost: presented again by its session, with its key's proof, within
//! the grace period and while the lost reply's token is unused, it is a retry and the session
//! goes on (the lost reply's token is dead); later, after a newer token was used, or without a
//! valid proof, a spent token presented again is refused or revokes its family as before.

use std::time::Duration;

use bikestore_auth::KeyPair;
use bikestore_contracts::ErrorCode;
use bikestore_contracts::identity::{RefreshToken, Role};
use bikestore_harness::System;

use crate::support::{
    login, refresh, refresh_signed, staff, with_service, with_service_configured,
};

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn a_refresh_retried_after_its_reply_was_lost_keeps_the_session() -> anyhow::Result<()> {
    let system = with_service().await?;
    let staff_id = staff(&system, "lia.moss", Role::Sales, Some(1), PASSWORD).await?;
    let (first, first_key) = login(&system, "lia.moss", PASSWORD).await?;
    let next_key = KeyPair::generate()?;
    // The reply is lost: the console never sees these tokens.
    let lost = refresh_signed(&system, &first.refresh_token, &first_key, &next_key).await?;
    // It asks again with the token it holds, the same proof and the same next key.
    let retried = refresh_signed(&system, &first.refresh_token, &first_key, &next_key).await?;
    assert_eq!(retried.staff.staff_id, staff_id);
    assert_ne!(retried.refresh_token, lost.refresh_token);
    assert_ne!(retried.refresh_token, first.refresh_token);
    // The session goes on with the retry's token.
    let (after, after_key) = refresh(&system, &retried.refresh_token, &next_key).await?;
    assert_eq!(after.staff.staff_id, staff_id);
    // The lost reply's token is dead: spent by the retry, it counts as a copy, and its family
    // goes with it.
    let from_lost_reply = refresh(&system, &lost.refresh_token, &next_key)
        .await
        .unwrap_err();
    assert_eq!(from_lost_reply.code, ErrorCode::Unauthorized);
    let revoked = refresh(&system, &after.refresh_token, &after_key)
        .await
        .unwrap_err();
    assert_eq!(revoked.code, ErrorCode::Unauthorized);
    system.stop().await
}

#[tokio::test]
async fn a_retry_whose_reply_is_lost_too_may_be_retried_again() -> anyhow::Result<()> {
    let system = with_service().await?;
    staff(&system, "mia.north", Role::Sales, Some(1), PASSWORD).await?;
    let (first, first_key) = login(&system, "mia.north", PASSWORD).await?;
    let next_key = KeyPair::generate()?;
    refresh_signed(&system, &first.refresh_token, &first_key, &next_key).await?;
    refresh_signed(&system, &first.refresh_token, &first_key, &next_key).await?;
    let third = refresh_signed(&system, &first.refresh_token, &first_key, &next_key).await?;
    refresh(&system, &third.refresh_token, &next_key).await?;
    system.stop().await
}

#[tokio::test]
async fn a_retry_after_the_grace_period_revokes_the_family() -> anyhow::Result<()> {
    // No grace at all: every retry comes after it.
    let system = with_service_configured(|configs| {
        configs.identity.refresh_retry_grace = Duration::ZERO;
    })
    .await?;
    staff(&system, "ned.oak", Role::Sales, Some(1), PASSWORD).await?;
    let (first, first_key) = login(&system, "ned.oak", PASSWORD).await?;
    let next_key = KeyPair::generate()?;
    let lost = refresh_signed(&system, &first.refresh_token, &first_key, &next_key).await?;
    let late = refresh_signed(&system, &first.refresh_token, &first_key, &next_key)
        .await
        .unwrap_err();
    assert_eq!(late.code, ErrorCode::Unauthorized);
    assert_family_revoked(&system, &lost.refresh_token, &next_key).await;
    system.stop().await
}

#[tokio::test]
async fn a_retry_after_the_newer_token_was_used_revokes_the_family() -> anyhow::Result<()> {
    let system = with_service().await?;
    staff(&system, "oda.pine", Role::Sales, Some(1), PASSWORD).await?;
    let (first, first_key) = login(&system, "oda.pine", PASSWORD).await?;
    let next_key = KeyPair::generate()?;
    let second = refresh_signed(&system, &first.refresh_token, &first_key, &next_key).await?;
    let (third, third_key) = refresh(&system, &second.refresh_token, &next_key).await?;
    // The reply arrived and its token was used: the old one presented again is a copy.
    let reuse = refresh_signed(&system, &first.refresh_token, &first_key, &next_key)
        .await
        .unwrap_err();
    assert_eq!(reuse.code, ErrorCode::Unauthorized);
    assert_family_revoked(&system, &third.refresh_token, &third_key).await;
    system.stop().await
}

#[tokio::test]
async fn a_retry_onto_another_key_revokes_the_family() -> anyhow::Result<()> {
    let system = with_service().await?;
    staff(&system, "pia.quay", Role::Sales, Some(1), PASSWORD).await?;
    let (first, first_key) = login(&system, "pia.quay", PASSWORD).await?;
    let next_key = KeyPair::generate()?;
    let lost = refresh_signed(&system, &first.refresh_token, &first_key, &next_key).await?;
    // Not the same refresh: it names another key than the lost reply's token is bound to.
    let elsewhere = KeyPair::generate()?;
    let moved = refresh_signed(&system, &first.refresh_token, &first_key, &elsewhere)
        .await
        .unwrap_err();
    assert_eq!(moved.code, ErrorCode::Unauthorized);
    assert_family_revoked(&system, &lost.refresh_token, &next_key).await;
    system.stop().await
}

#[tokio::test]
async fn a_retry_without_a_valid_proof_is_refused_and_spends_nothing() -> anyhow::Result<()> {
    let system = with_service().await?;
    staff(&system, "quin.reed", Role::Sales, Some(1), PASSWORD).await?;
    let (first, first_key) = login(&system, "quin.reed", PASSWORD).await?;
    let next_key = KeyPair::generate()?;
    refresh_signed(&system, &first.refresh_token, &first_key, &next_key).await?;
    // A copy of the spent token, signed by a key that is not the session's.
    let thief = KeyPair::generate()?;
    let unproven = refresh_signed(&system, &first.refresh_token, &thief, &next_key)
        .await
        .unwrap_err();
    assert_eq!(unproven.code, ErrorCode::Unauthorized);
    // Nothing was spent or revoked: the session's own retry still goes through, and its token
    // works.
    let retried = refresh_signed(&system, &first.refresh_token, &first_key, &next_key).await?;
    refresh(&system, &retried.refresh_token, &next_key).await?;
    system.stop().await
}

/// Fails unless refreshing with `token` (bound to `key`) is refused: its family was revoked.
async fn assert_family_revoked(system: &System, token: &RefreshToken, key: &KeyPair) {
    let refused = refresh(system, token, key)
        .await
        .expect_err("the family is revoked");
    assert_eq!(
        refused.code,
        ErrorCode::Unauthorized,
        "the family is revoked"
    );
}
