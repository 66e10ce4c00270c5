//! A logged-in member reaches a service through the gateway, in postcard and in JSON.

use std::time::Duration;

use bikestore_codec::ContentType;
use bikestore_contracts::identity::{Role, RotateSigningKey};
use bikestore_contracts::inventory::{ListProducts, ReceiveStock};
use bikestore_contracts::orders::GetOrder;
use bikestore_contracts::{ErrorCode, OrderId, ProductId, ServiceName, Subjects};
use bikestore_testkit::{eventually, wait_for_service};
use futures::StreamExt;

use crate::support::{Stack, WAIT};

#[tokio::test]
async fn a_signed_request_reaches_inventory_in_postcard_and_json() {
    let stack = Stack::start().await.unwrap();
    let store = stack.store().await.unwrap();
    stack.staff("sam", Role::Sales, Some(store)).await.unwrap();
    let session = stack.login("sam").await.unwrap();
    for content_type in [ContentType::Postcard, ContentType::Json] {
        let page = stack
            .call(&session, &ListProducts::default(), content_type)
            .await
            .unwrap();
        assert_eq!(page.total, 0, "{content_type:?}");
    }
    // A refusal from the service itself comes back as its own typed error, and is audited.
    let error = stack
        .call(
            &session,
            &ReceiveStock {
                store_id: store,
                product_id: ProductId(987_654),
                quantity: 1,
            },
            ContentType::Json,
        )
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::NotFound, "{error}");
    let record = stack
        .audited("receive_stock", Some(ErrorCode::NotFound))
        .await
        .unwrap();
    assert_eq!(record.staff_id, Some(session.staff_id));
    assert_eq!(record.role, Some(Role::Sales));
    assert_eq!(record.store_id, Some(store));
    assert_eq!(
        record.target_ids.get("product_id").map(String::as_str),
        Some("987654")
    );
    stack.stop().await.unwrap();
}

#[tokio::test]
async fn the_gateway_answers_ping_and_refuses_unknown_operations() {
    let stack = Stack::start().await.unwrap();
    wait_for_service(&stack.client, ServiceName::Gateway.as_str(), WAIT)
        .await
        .unwrap();
    let store = stack.store().await.unwrap();
    stack.staff("ana", Role::Admin, None).await.unwrap();
    let _ = store;
    let session = stack.login("ana").await.unwrap();
    let subjects = Subjects::default();
    for subject in [
        subjects.api(ServiceName::Inventory, "drop_tables"),
        subjects.api(ServiceName::Gateway, "list_products"),
        format!(
            "{}.extra",
            subjects.api(ServiceName::Inventory, "list_products")
        ),
    ] {
        let signed = session.sign_raw(
            subject.clone(),
            Vec::new(),
            ContentType::Json,
            crate::support::now_ms(),
        );
        let error = stack
            .send::<bikestore_contracts::inventory::ProductPage>(&signed)
            .await
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::NotFound, "{subject}: {error}");
    }
    stack.stop().await.unwrap();
}

#[tokio::test]
async fn an_unanswered_forward_is_unavailable_and_a_rotated_key_is_followed() {
    let mut stack = Stack::start().await.unwrap();
    stack.staff("ana", Role::Admin, None).await.unwrap();
    let before = stack.login("ana").await.unwrap();
    let rotated = stack
        .call(&before, &RotateSigningKey {}, ContentType::Json)
        .await
        .unwrap();
    let after = stack.login("ana").await.unwrap();
    assert!(after.token.expose() != before.token.expose());
    // Tokens of the new key (once the gateway has heard of it: the rotation event, or a fetch
    // for the unknown key ID) and of the retired one both pass.
    eventually("the new key is known", WAIT, async || {
        stack
            .call(&after, &ListProducts::default(), ContentType::Postcard)
            .await
            .ok()
    })
    .await
    .unwrap();
    stack
        .call(&before, &ListProducts::default(), ContentType::Postcard)
        .await
        .unwrap();
    assert!(!rotated.kid.is_empty());
    // With inventory gone, its operations answer `unavailable`: a command at once (its reply
    // comes back through the gateway, which hears that nobody listens), and so does a query
    // after it, which the gateway now relays instead of handing it to an absent service.
    stack
        .system
        .stop_service(ServiceName::Inventory)
        .await
        .unwrap();
    let store_id = bikestore_contracts::StoreId(1);
    let command = ReceiveStock {
        store_id,
        product_id: ProductId(1),
        quantity: 1,
    };
    let error = stack
        .call(&after, &command, ContentType::Json)
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Unavailable, "{error}");
    let error = stack
        .call(&after, &ListProducts::default(), ContentType::Json)
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Unavailable, "{error}");
    stack.stop().await.unwrap();
}

/// Only the gateway's pings can tell that a service stopped when no command went its way; until
/// they do, a query handed to it would go unanswered.
#[tokio::test]
async fn a_query_to_a_stopped_service_is_unavailable_once_the_gateway_has_checked() {
    let mut stack =
        Stack::start_with(|config| config.presence_interval = Duration::from_millis(50))
            .await
            .unwrap();
    stack.staff("ana", Role::Admin, None).await.unwrap();
    let session = stack.login("ana").await.unwrap();
    stack
        .call(&session, &ListProducts::default(), ContentType::Json)
        .await
        .unwrap();
    stack
        .system
        .stop_service(ServiceName::Inventory)
        .await
        .unwrap();
    let refused = eventually("queries are refused as unavailable", WAIT, async || {
        let signed = session.sign(
            &stack.subjects,
            &ListProducts::default(),
            ContentType::Json,
            crate::support::now_ms(),
        );
        let reply = stack
            .send_raw_within(&signed, Duration::from_millis(300))
            .await?;
        bikestore_runtime::call::decode_reply::<bikestore_contracts::inventory::ProductPage>(&reply)
            .err()
    })
    .await
    .unwrap();
    assert_eq!(refused.code, ErrorCode::Unavailable, "{refused}");
    stack.stop().await.unwrap();
}

/// A query's reply goes from the service straight to the caller's inbox, not back through the
/// gateway.
#[tokio::test]
async fn a_query_is_answered_by_the_service_straight_to_the_caller() {
    let stack = Stack::start().await.unwrap();
    stack.staff("ana", Role::Admin, None).await.unwrap();
    let session = stack.login("ana").await.unwrap();
    let mut spy = stack
        .client
        .subscribe(stack.subjects.request::<ListProducts>())
        .await
        .unwrap();
    let inbox = format!("_INBOX.direct-test.{}", std::process::id());
    let mut answers = stack.client.subscribe(inbox.clone()).await.unwrap();
    stack.client.flush().await.unwrap();
    // Until the gateway's first check has seen inventory, queries are relayed; wait for the
    // first one the service receives with the caller's own inbox.
    let direct = eventually(
        "a query reaches inventory with the caller's inbox",
        WAIT,
        async || {
            let signed = session.sign(
                &stack.subjects,
                &ListProducts::default(),
                ContentType::Json,
                crate::support::now_ms(),
            );
            stack
                .client
                .publish_with_reply_and_headers(
                    signed.subject.clone(),
                    inbox.clone(),
                    signed.headers.clone(),
                    signed.body.clone().into(),
                )
                .await
                .ok()?;
            let forwarded = spy.next().await?;
            let answer = answers.next().await?;
            (forwarded.reply.as_deref() == Some(inbox.as_str())).then_some(answer)
        },
    )
    .await
    .unwrap();
    let page =
        bikestore_runtime::call::decode_reply::<bikestore_contracts::inventory::ProductPage>(
            &direct,
        )
        .unwrap();
    assert_eq!(page.total, 0);
    stack.stop().await.unwrap();
}

#[tokio::test]
async fn a_service_that_never_answers_becomes_timeout() {
    let stack = Stack::start_with(|config| config.forward_timeout = Duration::from_millis(300))
        .await
        .unwrap();
    // Something takes orders' requests and never answers them.
    let _silent = stack
        .client
        .subscribe(stack.subjects.request::<GetOrder>())
        .await
        .unwrap();
    stack.client.flush().await.unwrap();
    let store = stack.store().await.unwrap();
    stack.staff("kim", Role::Sales, Some(store)).await.unwrap();
    let session = stack.login("kim").await.unwrap();
    let error = stack
        .call(
            &session,
            &GetOrder {
                order_id: OrderId(1),
            },
            ContentType::Json,
        )
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Timeout, "{error}");
    stack.stop().await.unwrap();
}
