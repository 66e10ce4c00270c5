//! Identity takes staff administration, key rotation and logout only with the gateway's caller
//! assertion: without one, or with one forged, expired, or made for another operation or body,
//! the request is refused and changes nothing; through the gateway every one of them works.

use std::sync::Arc;

use bikestore_auth::{ASSERTION_TTL_MS, CallerAssertion, KeyPair, sign_assertion};
use bikestore_contracts::identity::{
    ChangeStaffRole, CreateStaff, DeactivateStaff, GetStaff, ListStaff, Logout, PublicKeys,
    ResetPassword, Role, RotateSigningKey,
};
use bikestore_contracts::{ErrorCode, ServiceName, StoreId, WireError};
use bikestore_harness::System;
use bikestore_runtime::call::Caller;

use crate::support::{login, now_ms, refresh, staff, with_service};

const PASSWORD: &str = "correct horse battery";

fn new_member(username: &str) -> CreateStaff {
    CreateStaff {
        username: username.into(),
        name: format!("Test {username}"),
        email: format!("{username}@bikes.shop"),
        role: Role::Sales,
        store_id: Some(StoreId(1)),
        password: PASSWORD.into(),
    }
}

/// A caller whose every request carries the assertion `make` builds from its subject and body.
fn asserting(
    system: &System,
    make: impl Fn(&str, &[u8]) -> CallerAssertion + Send + Sync + 'static,
) -> Caller {
    let caller = Caller::new(system.client().clone(), system.subjects().clone());
    caller.stamped(Arc::new(move |subject, body, request_headers| {
        for (name, value) in make(subject, body).header_values() {
            request_headers.insert(name, value.as_str());
        }
    }))
}

/// Checks a refusal is `unauthorized` and says what was wrong.
fn assert_refused(refusal: WireError, saying: &str) {
    assert_eq!(refusal.code, ErrorCode::Unauthorized, "{}", refusal.message);
    assert!(
        refusal.message.contains("only the gateway") && refusal.message.contains(saying),
        "{}",
        refusal.message
    );
}

#[tokio::test]
async fn every_asserted_operation_without_the_gateways_assertion_is_refused_and_changes_nothing()
-> anyhow::Result<()> {
    let system = with_service().await?;
    let staff_id = staff(&system, "lea.vega", Role::Sales, Some(1), PASSWORD).await?;
    let (session, session_key) = login(&system, "lea.vega", PASSWORD).await?;
    let direct = system.caller();

    let missing = "no caller assertion";
    assert_refused(
        direct.call(&new_member("mia.rios")).await.unwrap_err(),
        missing,
    );
    let deactivate = DeactivateStaff { staff_id };
    assert_refused(direct.call(&deactivate).await.unwrap_err(), missing);
    let reset = ResetPassword {
        staff_id,
        new_password: "a password of my choosing".into(),
    };
    assert_refused(direct.call(&reset).await.unwrap_err(), missing);
    let promote = ChangeStaffRole {
        staff_id,
        role: Some(Role::Admin),
        store_id: None,
    };
    assert_refused(direct.call(&promote).await.unwrap_err(), missing);
    assert_refused(
        direct.call(&RotateSigningKey {}).await.unwrap_err(),
        missing,
    );
    let logout = Logout {
        refresh_token: session.refresh_token.clone(),
    };
    assert_refused(direct.call(&logout).await.unwrap_err(), missing);

    // Nothing changed: one member, still sales and active, the old password, one key, and the
    // session goes on.
    let everyone = direct.call(&ListStaff::default()).await?;
    assert_eq!(everyone.total, 1);
    assert_eq!(everyone.staff[0].role, Role::Sales);
    login(&system, "lea.vega", PASSWORD).await?;
    assert_eq!(direct.call(&PublicKeys {}).await?.keys.len(), 1);
    refresh(&system, &session.refresh_token, &session_key).await?;
    system.stop().await
}

#[tokio::test]
async fn a_forged_expired_or_misdirected_assertion_is_refused() -> anyhow::Result<()> {
    let system = with_service().await?;
    let gateway_key = system.gateway_key();
    let impostor = KeyPair::generate()?;
    let forged = asserting(&system, move |subject, body| {
        sign_assertion(&impostor, None, subject, body, now_ms())
    });
    let key = Arc::clone(&gateway_key);
    let expired = asserting(&system, move |subject, body| {
        sign_assertion(&key, None, subject, body, now_ms() - ASSERTION_TTL_MS - 1)
    });
    let key = Arc::clone(&gateway_key);
    let reset_subject = system.subjects().request::<ResetPassword>();
    let for_a_reset = asserting(&system, move |_, body| {
        sign_assertion(&key, None, &reset_subject, body, now_ms())
    });
    let key = Arc::clone(&gateway_key);
    let for_another_body = asserting(&system, move |subject, _| {
        sign_assertion(&key, None, subject, b"another body", now_ms())
    });

    let request = new_member("mia.rios");
    for (caller, saying) in [
        (&forged, "signature does not verify"),
        (&expired, "expired"),
        (&for_a_reset, "for another operation"),
        (&for_another_body, "for another request body"),
    ] {
        assert_refused(caller.call(&request).await.unwrap_err(), saying);
    }
    assert_eq!(system.caller().call(&ListStaff::default()).await?.total, 0);

    // The gateway's own, fresh and for this very request, is taken.
    system.as_gateway().call(&request).await?;
    assert_eq!(system.caller().call(&ListStaff::default()).await?.total, 1);
    system.stop().await
}

#[tokio::test]
async fn identity_started_before_the_gateway_had_a_key_and_following_a_new_key_needs_no_restart()
-> anyhow::Result<()> {
    // Identity as its binary, told to find the gateway's key where there is none yet.
    let mut system = System::builder().start().await?;
    let key_folder = tempfile::tempdir()?;
    let key_path = key_folder.path().join("gateway.pub");
    let key_setting = key_path.display().to_string();
    system
        .start_process(
            ServiceName::Identity,
            &[(bikestore_identity::config::ENV_GATEWAY_KEY, &key_setting)],
        )
        .await?;
    let refusal = system
        .as_gateway()
        .call(&new_member("mia.rios"))
        .await
        .unwrap_err();
    assert_eq!(refusal.code, ErrorCode::Internal, "{}", refusal.message);

    // The gateway's first start publishes its key; the next request finds it.
    let published = system.gateway_key().public_key().to_base64();
    std::fs::write(&key_path, format!("{published}\n"))?;
    system.as_gateway().call(&new_member("mia.rios")).await?;

    // A gateway that made itself a new key is followed at once, and the old key is done.
    let new_key = KeyPair::generate()?;
    std::fs::write(&key_path, new_key.public_key().to_base64())?;
    let new_gateway = asserting(&system, move |subject, body| {
        sign_assertion(&new_key, None, subject, body, now_ms())
    });
    new_gateway.call(&new_member("noa.park")).await?;
    let refusal = system
        .as_gateway()
        .call(&new_member("ira.sol"))
        .await
        .unwrap_err();
    assert_refused(refusal, "signature does not verify");
    system.stop().await
}

#[tokio::test]
async fn the_gateway_forwards_every_asserted_operation_with_the_key_its_first_start_made()
-> anyhow::Result<()> {
    // As under `just up`: identity starts first, looking for a key nobody has made yet; the
    // gateway's first start makes it there (not the key the harness made for itself).
    let key_folder = tempfile::tempdir()?;
    let secret = key_folder.path().join("gateway").join("assertion.key");
    let public = secret.with_extension("pub");
    let mut system = System::builder()
        .seeded()
        .configure(move |configs| configs.identity.gateway_key = Some(public))
        .services(&[ServiceName::Identity])
        .start()
        .await?;
    system.configs_mut().gateway.assertion_key = Some(secret);
    system.start_service(ServiceName::Gateway).await?;
    let admin = system.console("admin").await?;

    let staff_id = admin.call(&new_member("mia.rios")).await?.staff_id;
    let promote = ChangeStaffRole {
        staff_id,
        role: Some(Role::Manager),
        store_id: Some(StoreId(2)),
    };
    admin.call(&promote).await?;
    let reset = ResetPassword {
        staff_id,
        new_password: "a fresh new password".into(),
    };
    admin.call(&reset).await?;
    admin.call(&RotateSigningKey {}).await?;
    admin.call(&DeactivateStaff { staff_id }).await?;
    let member = system.caller().call(&GetStaff { staff_id }).await?;
    assert_eq!((member.role, member.active), (Role::Manager, false));
    admin.logout().await?;

    // Any other key (the harness's, here) is refused.
    let refusal = system
        .as_gateway()
        .call(&new_member("eve.sly"))
        .await
        .unwrap_err();
    assert_refused(refusal, "signature does not verify");
    system.stop().await
}
