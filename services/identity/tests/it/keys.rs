//! Key rotation: new tokens carry the new key ID; tokens of the old key verify until they
//! expire, and a restart keeps the keys.

use bikestore_auth::AuthError;
use bikestore_contracts::identity::{PublicKeys, Role, RotateSigningKey};
use bikestore_runtime::call::CallOptions;

use crate::support::{Stack, now_ms};

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn old_tokens_verify_until_they_expire_and_new_ones_use_the_new_key() -> anyhow::Result<()> {
    let (stack, service) = Stack::with_service().await?;
    stack.staff("ivy.mora", Role::Admin, None, PASSWORD).await?;
    let (before, _) = stack.login("ivy.mora", PASSWORD).await?;
    let old_kid = stack
        .verify(&before, now_ms())
        .await?
        .expect("verifies")
        .key_id;

    let rotated = stack.caller.call(&RotateSigningKey {}).await?;
    assert_ne!(rotated.kid, old_kid.0);
    let keys = stack.caller.call(&PublicKeys {}).await?;
    assert_eq!(keys.keys.len(), 2, "current and previous");
    assert_eq!(keys.keys[0].kid, rotated.kid, "the current key comes first");
    assert_eq!(keys.keys[0].not_after_ms, None);
    assert_eq!(keys.keys[1].kid, old_kid.0);
    let not_after = keys.keys[1].not_after_ms.expect("a retired key has an end");
    assert!(
        not_after >= before.expires_at_ms,
        "the old key outlives its tokens"
    );

    let (after, _) = stack.login("ivy.mora", PASSWORD).await?;
    let verified = stack.verify(&after, now_ms()).await?.expect("verifies");
    assert_eq!(verified.key_id.0, rotated.kid);
    let old = stack
        .verify(&before, now_ms())
        .await?
        .expect("still verifies");
    assert_eq!(old.key_id, old_kid);
    assert!(matches!(
        stack.verify(&before, before.expires_at_ms).await?,
        Err(AuthError::Expired { .. })
    ));
    // A refreshed session gets a token of the new key.
    let refreshed = stack.refresh(&before.refresh_token).await?;
    let refreshed = stack.verify(&refreshed, now_ms()).await?.expect("verifies");
    assert_eq!(refreshed.key_id.0, rotated.kid);
    service.stop().await?;

    // A restart signs with the same current key and publishes the same keys.
    let service = stack.start_in_process(stack.config()).await?;
    assert_eq!(stack.caller.call(&PublicKeys {}).await?, keys);
    let (again, _) = stack.login("ivy.mora", PASSWORD).await?;
    assert_eq!(
        stack
            .verify(&again, now_ms())
            .await?
            .expect("verifies")
            .key_id
            .0,
        rotated.kid
    );
    service.stop().await
}

#[tokio::test]
async fn a_repeated_rotation_key_rotates_once() -> anyhow::Result<()> {
    let (stack, service) = Stack::with_service().await?;
    let options = CallOptions::idempotent("rotate-1");
    let first = stack
        .caller
        .call_with(&RotateSigningKey {}, &options)
        .await?;
    let again = stack
        .caller
        .call_with(&RotateSigningKey {}, &options)
        .await?;
    assert_eq!(first, again);
    let keys = stack.caller.call(&PublicKeys {}).await?;
    assert_eq!(keys.keys.len(), 2);
    let files = std::fs::read_dir(bikestore_identity::key_folder(&stack.config()))?.count();
    assert_eq!(files, 2, "no key file was left behind by the repeat");
    service.stop().await
}
