//! NATS users and permissions as `just up` runs them (nats/users.conf): each service connected
//! as its own user, and the console user able to reach the gateway on the public subjects and
//! nothing else. What the console may not do, NATS itself refuses with a permissions violation,
//! before any service could see it.

use std::time::Duration;

use async_nats::{ConnectErrorKind, ConnectOptions};
use bikestore_codec::ContentType;
use bikestore_contracts::identity::{Login, LoginReply, Password, Role};
use bikestore_contracts::inventory::ListProducts;
use bikestore_contracts::subjects::CONSOLE_INBOX_PREFIX;
use bikestore_contracts::{Request, ServiceName, StoreId, WireError};
use bikestore_runtime::call::decode_reply;
use bikestore_testkit::ServerErrors;
use futures::{FutureExt, StreamExt};

use crate::support::{Session, Stack, WAIT, now_ms, password_of};

/// The user consoles connect as.
const CONSOLE: &str = "console";

/// A connection as the console user, as the client library makes it (replies in the console
/// inbox prefix), and the server errors it receives.
async fn console(stack: &Stack) -> (async_nats::Client, ServerErrors) {
    let options = stack
        .system
        .nats()
        .user_options(CONSOLE)
        .custom_inbox_prefix(CONSOLE_INBOX_PREFIX);
    let (options, errors) = ServerErrors::watch(options);
    (
        options.connect(stack.system.nats().url()).await.unwrap(),
        errors,
    )
}

/// The password in a credentials file `user:password`.
fn password_in(path: &std::path::Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let (_, password) = text.trim_end().split_once(':').unwrap();
    password.to_owned()
}

/// Waits for the server's permissions violation naming `subject`, and answers it.
async fn violation(errors: &mut ServerErrors, subject: &str) -> String {
    errors.violation(subject, WAIT).await.unwrap()
}

#[tokio::test]
async fn a_console_publishing_to_an_internal_subject_is_refused_by_nats() {
    let stack = Stack::start_secured().await.unwrap();
    let internal = stack.subjects.svc(ServiceName::Inventory, "receive_stock");
    // A plain subscriber sees every message on the subject, whichever queue group serves it.
    let mut watcher = stack.client.subscribe(internal.clone()).await.unwrap();
    stack.client.flush().await.unwrap();
    let (console, mut errors) = console(&stack).await;

    console
        .publish(internal.clone(), "{}".into())
        .await
        .unwrap();
    console.flush().await.unwrap();
    let error = violation(&mut errors, &internal).await;
    assert!(
        error.contains("Permissions Violation for Publish"),
        "{error}"
    );

    // The server refused the message when it read it, before answering with the violation; a
    // marker sent after it is therefore the first message anyone on the subject gets.
    stack
        .client
        .publish(internal.clone(), "marker".into())
        .await
        .unwrap();
    let first = tokio::time::timeout(WAIT, watcher.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.payload.as_ref(), b"marker");
    stack.stop().await.unwrap();
}

#[tokio::test]
async fn a_console_may_not_subscribe_to_internal_or_public_subjects_or_other_inboxes() {
    let stack = Stack::start_secured().await.unwrap();
    let (console, mut errors) = console(&stack).await;
    let internal = stack.subjects.svc(ServiceName::Inventory, ">");
    let mut internal_subscription = console.subscribe(internal.clone()).await.unwrap();
    let error = violation(&mut errors, &internal).await;
    assert!(
        error.contains("Permissions Violation for Subscription"),
        "{error}"
    );
    for refused in [stack.subjects.api_all(), "_INBOX.>".to_owned()] {
        let _subscription = console.subscribe(refused.clone()).await.unwrap();
        let error = violation(&mut errors, &refused).await;
        assert!(
            error.contains("Permissions Violation for Subscription"),
            "{error}"
        );
    }

    // A live feed is allowed. The server delivers one connection's messages in order, so once
    // the live message is here, an internal message sent before it would have been too. The
    // pair is sent again until the live one arrives: after refusing subscriptions the server
    // may drop the console's connection, and the client re-subscribes when it reconnects.
    let live = stack.subjects.live_notifications();
    let mut live_subscription = console.subscribe(live).await.unwrap();
    console.flush().await.unwrap();
    let store_feed = stack.subjects.live_store_notifications(StoreId(1));
    let deadline = tokio::time::Instant::now() + WAIT;
    let delivered = loop {
        stack
            .client
            .publish(
                stack.subjects.svc(ServiceName::Inventory, "receive_stock"),
                "{}".into(),
            )
            .await
            .unwrap();
        stack
            .client
            .publish(store_feed.clone(), "notified".into())
            .await
            .unwrap();
        let attempt = tokio::time::Instant::now() + Duration::from_millis(200);
        match tokio::time::timeout_at(attempt.min(deadline), live_subscription.next()).await {
            Ok(Some(message)) => break message,
            Ok(None) => panic!("the live subscription ended"),
            Err(_) if tokio::time::Instant::now() < deadline => continue,
            Err(_) => panic!("no live message within {WAIT:?}"),
        }
    };
    assert_eq!(delivered.subject.as_str(), store_feed);
    assert!(
        internal_subscription.next().now_or_never().is_none(),
        "the refused subscription received a message"
    );
    stack.stop().await.unwrap();
}

#[tokio::test]
async fn a_console_logs_in_and_calls_inventory_through_the_gateway_on_the_public_subjects() {
    let stack = Stack::start_secured().await.unwrap();
    stack.staff("cora", Role::Admin, None).await.unwrap();
    let (console, _errors) = console(&stack).await;

    // The login goes to the gateway and on to identity, each connected as its own user.
    let session_key = bikestore_auth::KeyPair::generate().unwrap();
    let login = Login {
        username: "cora".into(),
        password: Password::from(password_of("cora").as_str()),
        session_public_key: session_key.public_key().to_base64url(),
    };
    let reply = console
        .request(
            stack.subjects.api(ServiceName::Identity, "login"),
            bikestore_codec::encode(ContentType::Postcard, &login)
                .unwrap()
                .into(),
        )
        .await
        .unwrap();
    let reply: LoginReply = decode_reply(&reply).unwrap();
    assert!(reply.access_token.expose().starts_with("v4.public."));

    // A signed query reaches inventory, connected as its own user, through the gateway.
    let session = Session {
        token: reply.access_token,
        staff_id: reply.staff.staff_id,
        session_key,
    };
    let signed = session.sign(
        &stack.subjects,
        &ListProducts::default(),
        ContentType::Postcard,
        now_ms(),
    );
    let reply = console
        .request_with_headers(
            signed.subject.clone(),
            signed.headers.clone(),
            signed.body.clone().into(),
        )
        .await
        .unwrap();
    let page: Result<<ListProducts as Request>::Reply, WireError> = decode_reply(&reply);
    assert!(page.is_ok(), "{page:?}");
    stack.stop().await.unwrap();
}

#[tokio::test]
async fn wrong_passwords_and_anonymous_clients_are_refused() {
    let stack = Stack::start_secured().await.unwrap();
    let console_password = password_in(&stack.system.nats().credentials(CONSOLE));
    let attempts = [
        (
            "a wrong password",
            Some((CONSOLE, "wrong-password".to_owned())),
        ),
        // One user's password is no other user's.
        (
            "the console's password for a service",
            Some((ServiceName::Inventory.as_str(), console_password)),
        ),
        ("no credentials", None),
    ];
    for (what, credentials) in attempts {
        let options = match credentials {
            Some((user, password)) => ConnectOptions::with_user_and_password(user.into(), password),
            None => ConnectOptions::new(),
        };
        let error = options
            .connect(stack.system.nats().url())
            .await
            .unwrap_err();
        assert_eq!(
            error.kind(),
            ConnectErrorKind::AuthorizationViolation,
            "{what}: {error}"
        );
    }
    stack.stop().await.unwrap();
}
