//! Bad input to every endpoint gets a typed error, and the service goes on serving;
//! injection-like and very long strings are refused or stored harmlessly.

use bikestore_auth::KeyPair;
use bikestore_contracts::identity::*;
use bikestore_contracts::inventory::Page;
use bikestore_contracts::{ErrorCode, StoreId};
use bikestore_testkit::assert_survives_bad_input;

use crate::support::{login, staff, with_service};

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn every_endpoint_survives_the_bad_input_suite() -> anyhow::Result<()> {
    let system = with_service().await?;
    let limit = system.configs().identity.common.max_request_bytes;
    let (client, subjects) = (system.client(), system.subjects());
    let staff_id = staff(&system, "lea.vega", Role::Sales, Some(1), PASSWORD).await?;
    let (session, key) = login(&system, "lea.vega", PASSWORD).await?;
    let session_public_key = key.public_key().to_base64url();

    let login = Login {
        username: "lea.vega".into(),
        password: PASSWORD.into(),
        session_public_key: session_public_key.clone(),
    };
    assert_survives_bad_input(client, subjects, &login, limit).await?;
    let refresh = Refresh {
        refresh_token: session.refresh_token.clone(),
        session_public_key,
        session_proof: String::new(),
    };
    assert_survives_bad_input(client, subjects, &refresh, limit).await?;
    let logout = Logout {
        refresh_token: RefreshToken::from("not-a-token"),
    };
    assert_survives_bad_input(client, subjects, &logout, limit).await?;
    let create = CreateStaff {
        username: "mia.rios".into(),
        name: "Mia Rios".into(),
        email: "mia.rios@bikes.shop".into(),
        role: Role::Manager,
        store_id: Some(StoreId(2)),
        password: PASSWORD.into(),
    };
    assert_survives_bad_input(client, subjects, &create, limit).await?;
    assert_survives_bad_input(client, subjects, &GetStaff { staff_id }, limit).await?;
    let list = ListStaff {
        store_id: Some(StoreId(1)),
        include_inactive: true,
        page: Page::default(),
    };
    assert_survives_bad_input(client, subjects, &list, limit).await?;
    let change = ChangeStaffRole {
        staff_id,
        role: Some(Role::Manager),
        store_id: None,
    };
    assert_survives_bad_input(client, subjects, &change, limit).await?;
    let reset = ResetPassword {
        staff_id,
        new_password: "a fresh new password".into(),
    };
    assert_survives_bad_input(client, subjects, &reset, limit).await?;
    assert_survives_bad_input(client, subjects, &PublicKeys {}, limit).await?;
    assert_survives_bad_input(client, subjects, &RotateSigningKey {}, limit).await?;
    assert_survives_bad_input(client, subjects, &DeactivateStaff { staff_id }, limit).await?;
    system.stop().await
}

#[tokio::test]
async fn hostile_strings_are_refused_with_typed_errors() -> anyhow::Result<()> {
    let system = with_service().await?;
    let caller = system.as_gateway();
    let long = "x".repeat(20_000);
    let session_key = KeyPair::generate().unwrap().public_key().to_base64url();
    for username in [
        "robert'); DROP TABLE staff;--",
        "' OR '1'='1",
        long.as_str(),
        "",
    ] {
        let login = Login {
            username: username.into(),
            password: "' OR '1'='1".into(),
            session_public_key: session_key.clone(),
        };
        let error = caller.call(&login).await.unwrap_err();
        assert_eq!(error.code, ErrorCode::Unauthorized);
        let create = CreateStaff {
            username: username.into(),
            name: username.into(),
            email: username.into(),
            role: Role::Sales,
            store_id: Some(StoreId(1)),
            password: PASSWORD.into(),
        };
        assert_eq!(
            caller.call(&create).await.unwrap_err().code,
            ErrorCode::Invalid
        );
    }
    let huge_password = Login {
        username: "someone".into(),
        password: Password(long.clone()),
        session_public_key: session_key.clone(),
    };
    let error = caller.call(&huge_password).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Unauthorized);
    for bad_key in ["", "not base64 at all", long.as_str()] {
        let login = Login {
            username: "someone".into(),
            password: PASSWORD.into(),
            session_public_key: bad_key.into(),
        };
        let error = caller.call(&login).await.unwrap_err();
        assert_eq!(error.code, ErrorCode::Invalid);
        assert_eq!(error.details["field"], "session_public_key");
    }
    let refresh = Refresh {
        refresh_token: RefreshToken(long.clone()),
        session_public_key: session_key,
        session_proof: "A".repeat(10_000),
    };
    assert_eq!(
        caller.call(&refresh).await.unwrap_err().code,
        ErrorCode::Unauthorized
    );
    // The staff table survived every attempt.
    assert_eq!(caller.call(&ListStaff::default()).await?.total, 0);
    system.stop().await
}
