//! The security suite: every forged, tampered, expired, replayed or mistimed request is refused
//! `unauthorized`, and audited when it tried to change state.

use bikestore_auth::{KeyPair, issue_access_token};
use bikestore_codec::ContentType;
use bikestore_contracts::identity::{AccessToken, Role};
use bikestore_contracts::inventory::{ListProducts, ReceiveStock, StockUpdated};
use bikestore_contracts::{ErrorCode, ProductId, StoreId, WireError, headers};

use futures::StreamExt;

use crate::support::{Session, Signed, Stack, claims_for, now_ms};

const MINUTE_MS: i64 = 60_000;

fn receive(store_id: StoreId) -> ReceiveStock {
    ReceiveStock {
        store_id,
        product_id: ProductId(1),
        quantity: 1,
    }
}

/// `session` with another token.
fn with_token(session: &Session, token: AccessToken) -> Session {
    Session {
        token,
        staff_id: session.staff_id,
        session_key: KeyPair::from_secret_text(&session.session_key.to_secret_text()).unwrap(),
    }
}

async fn refused(stack: &Stack, signed: &Signed) -> WireError {
    stack.send::<StockUpdated>(signed).await.unwrap_err()
}

#[tokio::test]
async fn forged_tampered_expired_and_mistimed_requests_are_unauthorized() {
    let stack = Stack::start().await.unwrap();
    let store = stack.store().await.unwrap();
    stack.staff("sam", Role::Sales, Some(store)).await.unwrap();
    let session = stack.login("sam").await.unwrap();
    let command = receive(store);
    let now = now_ms();
    let mut cases: Vec<(&str, &str, Signed)> = Vec::new();

    // A token signed by the wrong key, under identity's key ID.
    let rogue = KeyPair::generate().unwrap();
    let claims = claims_for(&session, Role::Admin, None, now, now + 10 * MINUTE_MS);
    let rogue_token = issue_access_token(&rogue, &claims).unwrap();
    let rogue_parts: Vec<&str> = rogue_token.expose().split('.').collect();
    let genuine_footer = session.token.expose().split('.').nth(3).unwrap().to_owned();
    let wrong_key = format!(
        "{}.{}.{}.{}",
        rogue_parts[0], rogue_parts[1], rogue_parts[2], genuine_footer
    );
    let forged = with_token(&session, AccessToken(wrong_key));
    cases.push((
        "wrong key",
        "does not verify",
        forged.sign(&stack.subjects, &command, ContentType::Json, now),
    ));

    // A token naming a key identity never had.
    let unknown = with_token(&session, rogue_token);
    cases.push((
        "unknown key id",
        "unknown key",
        unknown.sign(&stack.subjects, &command, ContentType::Json, now),
    ));

    // An expired token, signed by identity's real key.
    let identity_key = stack.identity_key();
    let expired_claims = claims_for(
        &session,
        Role::Sales,
        Some(store),
        now - 20 * MINUTE_MS,
        now - 5 * MINUTE_MS,
    );
    let expired = with_token(
        &session,
        issue_access_token(&identity_key, &expired_claims).unwrap(),
    );
    cases.push((
        "expired token",
        "expired",
        expired.sign(&stack.subjects, &command, ContentType::Json, now),
    ));

    // A tampered body: signed for store A, sent for another quantity.
    let mut tampered = session.sign(&stack.subjects, &command, ContentType::Json, now);
    tampered.body = bikestore_codec::encode(
        ContentType::Json,
        &ReceiveStock {
            quantity: 1_000,
            ..command.clone()
        },
    )
    .unwrap();
    cases.push(("tampered body", "does not verify", tampered));

    // Signed by another session's key.
    let other = stack.login("sam").await.unwrap();
    let mut cross = session.sign(&stack.subjects, &command, ContentType::Json, now);
    let by_other = other.sign(&stack.subjects, &command, ContentType::Json, now);
    cross.headers = cross
        .with_header(headers::REQUEST_SIGNATURE, &by_other.signature.signature)
        .with_header(headers::REQUEST_NONCE, &by_other.signature.nonce)
        .headers;
    cases.push(("another session's key", "does not verify", cross));

    // Stale and future timestamps.
    cases.push((
        "stale timestamp",
        "timestamp",
        session.sign(&stack.subjects, &command, ContentType::Json, now - 31_000),
    ));
    cases.push((
        "future timestamp",
        "timestamp",
        session.sign(&stack.subjects, &command, ContentType::Json, now + 31_000),
    ));

    // No token at all, and a token that is not a bearer token.
    let unsigned = session.sign(&stack.subjects, &command, ContentType::Json, now);
    let mut no_token = unsigned.clone();
    no_token.headers = async_nats::HeaderMap::new();
    cases.push(("no headers", "missing", no_token));
    cases.push((
        "basic auth",
        "missing",
        unsigned.with_header(headers::AUTHORIZATION, "Basic c2FtOnB3"),
    ));

    for (index, (case, reason, signed)) in cases.iter().enumerate() {
        let error = refused(&stack, signed).await;
        assert_eq!(error.code, ErrorCode::Unauthorized, "{case}: {error}");
        assert!(error.message.contains(reason), "{case}: {error}");
        assert!(
            !error.message.contains(session.token.expose()),
            "{case}: the token was echoed"
        );
        stack
            .audited_count("receive_stock", Some(ErrorCode::Unauthorized), index + 1)
            .await
            .unwrap();
    }
    stack.stop().await.unwrap();
}

/// A caller chooses its request's reply subject; were it not an inbox, the gateway or the
/// service would publish the answer onto an internal subject for the caller.
#[tokio::test]
async fn a_reply_subject_outside_the_inboxes_is_never_answered() {
    let stack = Stack::start().await.unwrap();
    let store = stack.store().await.unwrap();
    stack.staff("sam", Role::Sales, Some(store)).await.unwrap();
    let session = stack.login("sam").await.unwrap();
    let target = stack
        .subjects
        .svc(bikestore_contracts::ServiceName::Orders, "cancel_order");
    let mut spy = stack.client.subscribe(target.clone()).await.unwrap();
    stack.client.flush().await.unwrap();
    for request in [
        session.sign(
            &stack.subjects,
            &ListProducts::default(),
            ContentType::Json,
            now_ms(),
        ),
        session.sign(
            &stack.subjects,
            &receive(store),
            ContentType::Json,
            now_ms(),
        ),
    ] {
        stack
            .client
            .publish_with_reply_and_headers(
                request.subject.clone(),
                target.clone(),
                request.headers.clone(),
                request.body.clone().into(),
            )
            .await
            .unwrap();
    }
    // The gateway is still serving, and has had the time to take both requests.
    let page = stack
        .call(&session, &ListProducts::default(), ContentType::Json)
        .await
        .unwrap();
    assert_eq!(page.total, 0);
    let stolen = tokio::time::timeout(std::time::Duration::from_millis(300), spy.next()).await;
    assert!(stolen.is_err(), "an answer was published to {target}");
}

/// The gateway remembers tokens it has verified; a remembered token must still stop at its
/// expiry.
#[tokio::test]
async fn a_token_that_worked_is_refused_once_it_expires() {
    let stack = Stack::start().await.unwrap();
    let store = stack.store().await.unwrap();
    stack.staff("sam", Role::Sales, Some(store)).await.unwrap();
    let session = stack.login("sam").await.unwrap();
    let issued_at = now_ms();
    let expires_at = issued_at + 1_500;
    let claims = claims_for(&session, Role::Sales, Some(store), issued_at, expires_at);
    let short_lived = with_token(
        &session,
        issue_access_token(&stack.identity_key(), &claims).unwrap(),
    );
    let query = ListProducts::default();
    let before = short_lived.sign(&stack.subjects, &query, ContentType::Json, now_ms());
    stack
        .send::<bikestore_contracts::inventory::ProductPage>(&before)
        .await
        .expect("the token works before its expiry");

    // Waiting for the clock is the point here: nothing else can announce an expiry.
    let until_expired = u64::try_from(expires_at + 50 - now_ms()).unwrap_or(0);
    tokio::time::sleep(std::time::Duration::from_millis(until_expired)).await;
    let after = short_lived.sign(&stack.subjects, &query, ContentType::Json, now_ms());
    let error = stack
        .send::<bikestore_contracts::inventory::ProductPage>(&after)
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Unauthorized, "{error}");
    assert!(error.message.contains("expired"), "{error}");
}

#[tokio::test]
async fn a_replayed_request_is_refused() {
    let stack = Stack::start().await.unwrap();
    let store = stack.store().await.unwrap();
    stack.staff("sam", Role::Sales, Some(store)).await.unwrap();
    let session = stack.login("sam").await.unwrap();
    let signed = session.sign(
        &stack.subjects,
        &ListProducts::default(),
        ContentType::Json,
        now_ms(),
    );
    stack
        .send::<bikestore_contracts::inventory::ProductPage>(&signed)
        .await
        .unwrap();
    let error = stack
        .send::<bikestore_contracts::inventory::ProductPage>(&signed)
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Unauthorized, "{error}");

    // The same for a command, which is audited with its store.
    let command = session.sign(
        &stack.subjects,
        &receive(store),
        ContentType::Json,
        now_ms(),
    );
    let first = refused(&stack, &command).await;
    assert_eq!(first.code, ErrorCode::NotFound, "no such product: {first}");
    let replay = refused(&stack, &command).await;
    assert_eq!(replay.code, ErrorCode::Unauthorized, "{replay}");
    assert!(replay.message.contains("already seen"), "{replay}");
    let records = stack
        .audited_count("receive_stock", Some(ErrorCode::Unauthorized), 1)
        .await
        .unwrap();
    assert_eq!(records[0].staff_id, Some(session.staff_id));
    stack.stop().await.unwrap();
}
