//! Key rotation: new tokens carry the new key ID; tokens of the old key verify until they
//! expire, and a restart keeps the keys.

use bikestore_auth::AuthError;
use bikestore_contracts::ServiceName;
use bikestore_contracts::identity::{PublicKeys, Role, RotateSigningKey};
use bikestore_runtime::call::CallOptions;

use crate::support::{login, now_ms, refresh, staff, verify, with_service};

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn old_tokens_verify_until_they_expire_and_new_ones_use_the_new_key() -> anyhow::Result<()> {
    let mut system = with_service().await?;
    staff(&system, "ivy.mora", Role::Admin, None, PASSWORD).await?;
    let (before, before_key) = login(&system, "ivy.mora", PASSWORD).await?;
    let old_kid = verify(&system, &before, now_ms())
        .await?
        .expect("verifies")
        .key_id;

    let rotated = system.as_gateway().call(&RotateSigningKey {}).await?;
    assert_ne!(rotated.kid, old_kid.0);
    let keys = system.caller().call(&PublicKeys {}).await?;
    assert_eq!(keys.keys.len(), 2, "current and previous");
    assert_eq!(keys.keys[0].kid, rotated.kid, "the current key comes first");
    assert_eq!(keys.keys[0].not_after_ms, None);
    assert_eq!(keys.keys[1].kid, old_kid.0);
    let not_after = keys.keys[1].not_after_ms.expect("a retired key has an end");
    assert!(
        not_after >= before.expires_at_ms,
        "the old key outlives its tokens"
    );

    let (after, _) = login(&system, "ivy.mora", PASSWORD).await?;
    let verified = verify(&system, &after, now_ms()).await?.expect("verifies");
    assert_eq!(verified.key_id.0, rotated.kid);
    let old = verify(&system, &before, now_ms())
        .await?
        .expect("still verifies");
    assert_eq!(old.key_id, old_kid);
    assert!(matches!(
        verify(&system, &before, before.expires_at_ms).await?,
        Err(AuthError::Expired { .. })
    ));
    // A refreshed session gets a token of the new key.
    let (refreshed, _) = refresh(&system, &before.refresh_token, &before_key).await?;
    let refreshed = verify(&system, &refreshed, now_ms())
        .await?
        .expect("verifies");
    assert_eq!(refreshed.key_id.0, rotated.kid);
    system.stop_service(ServiceName::Identity).await?;

    // A restart signs with the same current key and publishes the same keys.
    system.start_service(ServiceName::Identity).await?;
    assert_eq!(system.caller().call(&PublicKeys {}).await?, keys);
    let (again, _) = login(&system, "ivy.mora", PASSWORD).await?;
    assert_eq!(
        verify(&system, &again, now_ms())
            .await?
            .expect("verifies")
            .key_id
            .0,
        rotated.kid
    );
    system.stop().await
}

#[tokio::test]
async fn a_repeated_rotation_key_rotates_once() -> anyhow::Result<()> {
    let system = with_service().await?;
    let options = CallOptions::idempotent("rotate-1");
    let first = system
        .as_gateway()
        .call_with(&RotateSigningKey {}, &options)
        .await?;
    let again = system
        .as_gateway()
        .call_with(&RotateSigningKey {}, &options)
        .await?;
    assert_eq!(first, again);
    let keys = system.caller().call(&PublicKeys {}).await?;
    assert_eq!(keys.keys.len(), 2);
    let files =
        std::fs::read_dir(bikestore_identity::key_folder(&system.configs().identity))?.count();
    assert_eq!(files, 2, "no key file was left behind by the repeat");
    system.stop().await
}
