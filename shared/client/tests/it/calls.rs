//! Signed calls through the gateway: both encodings, typed errors, no responders.

use bikestore_client::{CallOptions, Client, ClientError, ContentType};
use bikestore_contracts::identity::Role;
use bikestore_contracts::inventory::{CreateStore, GetProduct, ListProducts, ListStores};
use bikestore_contracts::{ErrorCode, ProductId, Subjects};

use crate::support::{ADMIN, ADMIN_PASSWORD, Stack};

#[tokio::test]
async fn a_logged_in_session_queries_through_the_gateway_in_postcard_and_json() {
    let stack = Stack::start().await.unwrap();
    let session = stack.client.login(ADMIN, ADMIN_PASSWORD).await.unwrap();
    assert_eq!(session.whoami().username, ADMIN);
    assert_eq!(session.whoami().role, Role::Admin);

    let postcard = session.call(&ListProducts::default()).await.unwrap();
    let json = session
        .call_with(
            &ListProducts::default(),
            CallOptions {
                content_type: Some(ContentType::Json),
                ..CallOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(postcard, json);
    stack.stop().await.unwrap();
}

#[tokio::test]
async fn the_console_nats_user_logs_in_and_calls_through_the_gateway() {
    // Only the console user's permissions and credentials file: no anonymous access, replies in
    // the console inbox prefix, the only inbox that user may read.
    let stack = Stack::start_secured().await.unwrap();
    let session = stack.client.login(ADMIN, ADMIN_PASSWORD).await.unwrap();
    assert_eq!(session.whoami().username, ADMIN);
    let created = session
        .call(&CreateStore {
            name: "Console Cycles".into(),
            city: "Santa Cruz".into(),
            state: "CA".into(),
            ..CreateStore::default()
        })
        .await
        .unwrap();
    let stores = session.call(&ListStores::default()).await.unwrap();
    assert!(
        stores
            .stores
            .iter()
            .any(|store| store.store_id == created.store_id),
        "{stores:?}"
    );
    stack.stop().await.unwrap();
}

#[tokio::test]
async fn a_service_error_comes_back_typed() {
    let stack = Stack::start().await.unwrap();
    let session = stack.client.login(ADMIN, ADMIN_PASSWORD).await.unwrap();
    for content_type in [ContentType::Postcard, ContentType::Json] {
        let error = session
            .call_with(
                &GetProduct {
                    product_id: ProductId(987_654),
                },
                CallOptions {
                    content_type: Some(content_type),
                    ..CallOptions::default()
                },
            )
            .await
            .unwrap_err();
        assert_eq!(error.code(), ErrorCode::NotFound, "{error}");
        assert!(matches!(error, ClientError::Wire(_)), "{error:?}");
    }
    stack.stop().await.unwrap();
}

#[tokio::test]
async fn a_wrong_password_is_unauthorized() {
    let stack = Stack::start().await.unwrap();
    let error = stack
        .client
        .login(ADMIN, "not-the-password-at-all")
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::Unauthorized, "{error}");
    stack.stop().await.unwrap();
}

#[tokio::test]
async fn nobody_listening_is_unavailable() {
    let stack = Stack::start().await.unwrap();
    // Another deployment's subjects: no gateway answers them.
    let elsewhere = Client::new(
        stack.client.nats().clone(),
        Subjects::new("elsewhere").unwrap(),
    );
    let error = elsewhere.login(ADMIN, ADMIN_PASSWORD).await.unwrap_err();
    assert_eq!(error.code(), ErrorCode::Unavailable, "{error}");
    stack.stop().await.unwrap();
}

#[tokio::test]
async fn a_command_with_an_idempotency_key_applies_once() {
    let stack = Stack::start().await.unwrap();
    let session = stack.client.login(ADMIN, ADMIN_PASSWORD).await.unwrap();
    let create = CreateStore {
        name: "Idempotent Cycles".into(),
        city: "Santa Cruz".into(),
        state: "CA".into(),
        ..CreateStore::default()
    };
    let options = CallOptions {
        idempotency_key: Some("create-idempotent-cycles".into()),
        ..CallOptions::default()
    };
    let first = session.call_with(&create, options.clone()).await.unwrap();
    let second = session.call_with(&create, options).await.unwrap();
    assert_eq!(first.store_id, second.store_id);
    stack.stop().await.unwrap();
}

#[tokio::test]
async fn clones_of_a_session_call_concurrently() {
    let stack = Stack::start().await.unwrap();
    let session = stack.client.login(ADMIN, ADMIN_PASSWORD).await.unwrap();
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let session = session.clone();
            tokio::spawn(async move { session.call(&ListProducts::default()).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    stack.stop().await.unwrap();
}
