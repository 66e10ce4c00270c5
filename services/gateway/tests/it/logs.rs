//! No password, token, nonce or signature is written down by a real `bikestore-gateway`
//! process at debug level: its log files and captured output hold none of them.

use bikestore_codec::ContentType;
use bikestore_contracts::ServiceName;
use bikestore_contracts::identity::{CreateStaff, Password, Role};
use bikestore_contracts::inventory::{ListProducts, ReceiveStock};
use bikestore_contracts::{ErrorCode, ProductId};
use bikestore_testkit::{files_under, wait_for_service};

use crate::support::{Stack, WAIT, now_ms, password_of};

#[tokio::test]
async fn the_gateway_logs_no_password_token_or_signature() {
    let stack = Stack::start_without_gateway().await.unwrap();
    let mut process = stack
        .system
        .spawn_process(ServiceName::Gateway, &[("RUST_LOG", "debug")])
        .unwrap();
    wait_for_service(&stack.client, ServiceName::Gateway.as_str(), WAIT)
        .await
        .unwrap();
    let store = stack.store().await.unwrap();
    stack.staff("ana", Role::Admin, None).await.unwrap();
    stack.staff("sam", Role::Sales, Some(store)).await.unwrap();
    let admin = stack.login("ana").await.unwrap();
    let sales = stack.login("sam").await.unwrap();
    let new_password = "Walrus-Juniper-5521";
    stack
        .call(
            &admin,
            &CreateStaff {
                username: "newbie".into(),
                name: "New Member".into(),
                email: "newbie@bikes.shop".into(),
                role: Role::Sales,
                store_id: Some(store),
                password: Password::from(new_password),
            },
            ContentType::Json,
        )
        .await
        .unwrap();
    let signed = sales.sign(
        &stack.subjects,
        &ListProducts::default(),
        ContentType::Json,
        now_ms(),
    );
    let _ = stack.send_raw(&signed).await;
    // Refused twice: a replay, and another store.
    let replay = stack.send_raw(&signed).await;
    assert_eq!(
        bikestore_runtime::call::decode_reply::<bikestore_contracts::inventory::ProductPage>(
            &replay
        )
        .unwrap_err()
        .code,
        ErrorCode::Unauthorized
    );
    let other_store = stack.store().await.unwrap();
    let error = stack
        .call(
            &sales,
            &ReceiveStock {
                store_id: other_store,
                product_id: ProductId(3),
                quantity: 1,
            },
            ContentType::Json,
        )
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Forbidden);
    process.terminate().await.unwrap();

    // What the process wrote: its captured output and its log files.
    let mut written = process.read_log();
    for file in files_under(&stack.system.data_dir().join("logs")).unwrap() {
        if file
            .file_name()
            .is_some_and(|name| name.to_string_lossy().starts_with("gateway"))
        {
            written.push_str(&String::from_utf8_lossy(&std::fs::read(&file).unwrap()));
        }
    }
    assert!(
        written.contains("request refused") && written.contains("DEBUG"),
        "the logs are at debug level and cover the refusals"
    );
    for secret in [
        password_of("ana"),
        password_of("sam"),
        new_password.to_owned(),
        admin.token.expose().to_owned(),
        sales.token.expose().to_owned(),
        signed.signature.signature.clone(),
        signed.signature.nonce.clone(),
    ] {
        assert!(
            !written.contains(&secret),
            "a secret is in the gateway's files"
        );
    }
    stack.stop().await.unwrap();
}
