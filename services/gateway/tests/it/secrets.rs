//! No password, token or signature reaches the audit stream.

use bikestore_codec::ContentType;
use bikestore_contracts::identity::{CreateStaff, Password, ResetPassword, Role};
use bikestore_contracts::inventory::ReceiveStock;
use bikestore_contracts::{ErrorCode, ProductId};

use crate::support::{Stack, now_ms, password_of};

#[tokio::test]
async fn the_audit_stream_holds_no_password_token_or_signature() {
    let stack = Stack::start().await.unwrap();
    let store = stack.store().await.unwrap();
    stack.staff("ana", Role::Admin, None).await.unwrap();
    stack.staff("sam", Role::Sales, Some(store)).await.unwrap();
    let admin = stack.login("ana").await.unwrap();
    let sales = stack.login("sam").await.unwrap();
    let new_password = "brand-new-secret-passphrase";
    let reset_password = "reset-secret-passphrase-42";
    let created = stack
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
    stack
        .call(
            &admin,
            &ResetPassword {
                staff_id: created.staff_id,
                new_password: Password::from(reset_password),
            },
            ContentType::Postcard,
        )
        .await
        .unwrap();
    let signed = sales.sign(
        &stack.subjects,
        &ReceiveStock {
            store_id: store,
            product_id: ProductId(5),
            quantity: 1,
        },
        ContentType::Json,
        now_ms(),
    );
    let _ = stack.send_raw(&signed).await;
    let reset = stack.audited("reset_password", None).await.unwrap();
    assert_eq!(
        reset.target_ids.get("staff_id"),
        Some(&created.staff_id.to_string())
    );
    assert_eq!(reset.staff_id, Some(admin.staff_id));
    stack
        .audited("receive_stock", Some(ErrorCode::NotFound))
        .await
        .unwrap();
    stack.audited("login", None).await.unwrap();

    let raw: Vec<String> = stack
        .audit_payloads()
        .await
        .unwrap()
        .iter()
        .map(|payload| String::from_utf8_lossy(payload).into_owned())
        .collect();
    let joined = raw.join("\n");
    let secrets = [
        password_of("ana"),
        password_of("sam"),
        new_password.to_owned(),
        reset_password.to_owned(),
        admin.token.expose().to_owned(),
        sales.token.expose().to_owned(),
        signed.signature.signature.clone(),
        signed.signature.nonce.clone(),
    ];
    for secret in &secrets {
        assert!(
            !joined.contains(secret.as_str()),
            "a secret is in the audit stream"
        );
    }
    assert!(raw.len() >= 5, "{joined}");
    stack.stop().await.unwrap();
}
