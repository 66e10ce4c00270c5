//! The authorization table in action: roles, stores, staff administration and deactivated
//! members.

use std::time::Duration;

use bikestore_codec::ContentType;
use bikestore_contracts::identity::{CreateStaff, DeactivateStaff, Password, Role};
use bikestore_contracts::inventory::{AdjustStock, ListProducts, ReceiveStock};
use bikestore_contracts::sagas::{RetrySaga, SagaId};
use bikestore_contracts::{ErrorCode, ProductId, headers};
use bikestore_testkit::eventually;

use crate::support::{Stack, WAIT, now_ms};

#[tokio::test]
async fn members_act_only_on_their_own_store_and_within_their_role() {
    let stack = Stack::start().await.unwrap();
    let own = stack.store().await.unwrap();
    let other = stack.store().await.unwrap();
    stack.staff("sam", Role::Sales, Some(own)).await.unwrap();
    stack.staff("meg", Role::Manager, Some(own)).await.unwrap();
    stack.staff("ana", Role::Admin, None).await.unwrap();
    let sales = stack.login("sam").await.unwrap();
    let manager = stack.login("meg").await.unwrap();
    let admin = stack.login("ana").await.unwrap();
    let receive = |store_id| ReceiveStock {
        store_id,
        product_id: ProductId(424_242),
        quantity: 2,
    };

    let error = stack
        .call(&sales, &receive(other), ContentType::Postcard)
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Forbidden, "{error}");
    let record = stack
        .audited("receive_stock", Some(ErrorCode::Forbidden))
        .await
        .unwrap();
    assert_eq!(record.staff_id, Some(sales.staff_id));
    assert_eq!(record.store_id, Some(other));

    // On their own store the request passes the gateway (the product does not exist).
    let error = stack
        .call(&sales, &receive(own), ContentType::Json)
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::NotFound, "{error}");
    // Sales may not adjust stock; a manager may, in their store only; an admin anywhere.
    let adjust = |store_id| AdjustStock {
        store_id,
        product_id: ProductId(424_242),
        delta: -1,
        reason: "count".into(),
    };
    let error = stack
        .call(&sales, &adjust(own), ContentType::Json)
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Forbidden, "{error}");
    let error = stack
        .call(&manager, &adjust(other), ContentType::Json)
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Forbidden, "{error}");
    let error = stack
        .call(&admin, &adjust(other), ContentType::Json)
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::NotFound, "{error}");
    stack.stop().await.unwrap();
}

/// Managers repair sagas from the console; sales members may not. No orchestrator runs here,
/// so a request the gateway lets through finds no one to answer it.
#[tokio::test]
async fn managers_and_admins_may_retry_a_saga_and_sales_may_not() {
    let stack = Stack::start().await.unwrap();
    let own = stack.store().await.unwrap();
    stack.staff("sue", Role::Sales, Some(own)).await.unwrap();
    stack.staff("max", Role::Manager, Some(own)).await.unwrap();
    let sales = stack.login("sue").await.unwrap();
    let manager = stack.login("max").await.unwrap();
    let retry = RetrySaga {
        saga_id: SagaId("01M8NZKTS2R9EPSKR1TFHTFYR7".into()),
    };
    let error = stack
        .call(&sales, &retry, ContentType::Json)
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Forbidden, "{error}");
    let error = stack
        .call(&manager, &retry, ContentType::Json)
        .await
        .unwrap_err();
    assert_eq!(
        error.code,
        ErrorCode::Unavailable,
        "passed the gateway: {error}"
    );
    stack.stop().await.unwrap();
}

#[tokio::test]
async fn staff_administration_is_for_admins_and_claimed_identity_headers_are_ignored() {
    let stack = Stack::start().await.unwrap();
    let store = stack.store().await.unwrap();
    stack.staff("sam", Role::Sales, Some(store)).await.unwrap();
    stack.staff("ana", Role::Admin, None).await.unwrap();
    let sales = stack.login("sam").await.unwrap();
    let admin = stack.login("ana").await.unwrap();
    let create = |username: &str| CreateStaff {
        username: username.into(),
        name: "New Member".into(),
        email: "new@bikes.shop".into(),
        role: Role::Admin,
        store_id: None,
        password: Password::from("a-new-members-password"),
    };
    let signed = sales
        .sign(&stack.subjects, &create("eve"), ContentType::Json, now_ms())
        .with_header(headers::CALLER_ROLE, "admin")
        .with_header(headers::CALLER_STAFF_ID, "1");
    let error = stack
        .send::<bikestore_contracts::identity::StaffSaved>(&signed)
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Forbidden, "{error}");
    let record = stack
        .audited("create_staff", Some(ErrorCode::Forbidden))
        .await
        .unwrap();
    assert_eq!(record.staff_id, Some(sales.staff_id));
    assert_eq!(record.role, Some(Role::Sales));
    // Any member may name another, as a receipt does: the name and nothing else.
    let names = stack
        .call(
            &sales,
            &bikestore_contracts::identity::StaffNames {
                staff_ids: vec![admin.staff_id],
            },
            ContentType::Json,
        )
        .await
        .unwrap();
    assert_eq!(names.names.len(), 1);
    assert_eq!(names.names[0].name, "Test ana");

    let saved = stack
        .call(&admin, &create("newbie"), ContentType::Postcard)
        .await
        .unwrap();
    let record = stack.audited("create_staff", None).await.unwrap();
    assert_eq!(record.staff_id, Some(admin.staff_id));
    assert!(saved.staff_id.0 > 0);
    stack.stop().await.unwrap();
}

#[tokio::test]
async fn a_deactivated_members_token_stops_working() {
    // A cache that would trust a status for an hour: only the event can make it forget.
    let stack = Stack::start_with(|config| config.staff_cache_ttl = Duration::from_secs(3600))
        .await
        .unwrap();
    let store = stack.store().await.unwrap();
    let sam = stack.staff("sam", Role::Sales, Some(store)).await.unwrap();
    let kim = stack.staff("kim", Role::Sales, Some(store)).await.unwrap();
    let sam_session = stack.login("sam").await.unwrap();
    let kim_session = stack.login("kim").await.unwrap();
    // Kim's status is cached by a first request; Sam's is not.
    stack
        .call(&kim_session, &ListProducts::default(), ContentType::Json)
        .await
        .unwrap();
    for staff_id in [sam, kim] {
        stack
            .caller
            .call(&DeactivateStaff { staff_id })
            .await
            .unwrap();
    }
    let error = stack
        .call(&sam_session, &ListProducts::default(), ContentType::Json)
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Unauthorized, "{error}");
    assert!(error.message.contains("not active"), "{error}");
    // The staff_changed event drops the cached status; no need to wait for its time to live.
    eventually("kim refused", WAIT, async || {
        let reply = stack
            .call(&kim_session, &ListProducts::default(), ContentType::Json)
            .await;
        match reply {
            Err(error) if error.code == ErrorCode::Unauthorized => Some(()),
            _ => None,
        }
    })
    .await
    .unwrap();
    let error = stack
        .call(
            &sam_session,
            &ReceiveStock {
                store_id: store,
                product_id: ProductId(1),
                quantity: 1,
            },
            ContentType::Json,
        )
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Unauthorized, "{error}");
    stack
        .audited("receive_stock", Some(ErrorCode::Unauthorized))
        .await
        .unwrap();
    stack.stop().await.unwrap();
}
