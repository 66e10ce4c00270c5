//! NATS identities as `just up` runs them (nats/users.conf): each service connected as its own
//! user, and every console connection its own identity, decided by identity's auth callout from
//! the connection's session key and access token. What a console may not do, NATS itself
//! refuses (a permissions violation, or no connection at all), before any service could see it.

use std::sync::Arc;

use async_nats::{ConnectErrorKind, ConnectOptions};
use bikestore_auth::KeyPair;
use bikestore_client::Client;
use bikestore_contracts::identity::{AccessToken, DeactivateStaff, ListStaff, Role};
use bikestore_contracts::inventory::ListProducts;
use bikestore_contracts::{ServiceName, StoreId, subjects};
use bikestore_testkit::{ServerErrors, eventually};
use futures::{FutureExt, StreamExt};

use crate::support::{Stack, WAIT, password_of};

/// A raw connection as a console with `key` (and `token`), made as the client library makes
/// one, and the server errors it receives; or why NATS refused it.
async fn console_as(
    stack: &Stack,
    key: &Arc<KeyPair>,
    token: Option<&AccessToken>,
) -> Result<(async_nats::Client, ServerErrors), async_nats::ConnectError> {
    let nkey = key.nats_user_key().unwrap();
    let signer = Arc::clone(key);
    let presented = token.map(|token| token.expose().to_owned());
    let sent_nkey = nkey.clone();
    let options = ConnectOptions::with_auth_callback(move |nonce| {
        let mut auth = async_nats::Auth::new();
        auth.nkey = Some(sent_nkey.clone());
        auth.signature = Some(signer.sign(&nonce).to_vec());
        auth.token = presented.clone();
        async move { Ok(auth) }
    })
    .custom_inbox_prefix(subjects::console_inbox_prefix(&nkey));
    let (options, errors) = ServerErrors::watch(options);
    let client = options.connect(stack.system.nats().url()).await?;
    Ok((client, errors))
}

/// Logs `username` in through the client library on a connection made with `key`; the
/// access token.
async fn log_in(stack: &Stack, key: &Arc<KeyPair>, username: &str) -> (Client, AccessToken) {
    let client = console_client(stack, key).await;
    let session = client
        .login(username, &password_of(username))
        .await
        .unwrap();
    (client, session.to_saved().await.access_token)
}

async fn console_client(stack: &Stack, key: &Arc<KeyPair>) -> Client {
    let copy = KeyPair::from_secret_text(&key.to_secret_text()).unwrap();
    Client::connect_as_console(
        &stack.system.nats_url(),
        &stack.system.console_tls(),
        stack.subjects.clone(),
        Some(copy),
    )
    .await
    .unwrap()
}

fn new_key() -> Arc<KeyPair> {
    Arc::new(KeyPair::generate().unwrap())
}

/// Waits until nats-server's log gives `reason` for a refusal: it writes the callout's answer
/// once the client has been refused, so the line may come a moment after the error.
async fn logged(stack: &Stack, reason: &str) {
    let what = format!("nats-server to log {reason:?}");
    eventually(&what, WAIT, async || {
        stack
            .system
            .nats()
            .read_log()
            .contains(reason)
            .then_some(())
    })
    .await
    .unwrap();
}

/// Subscribes to `subject` and waits for the server to refuse it.
async fn refused_subscription(
    console: &async_nats::Client,
    errors: &mut ServerErrors,
    subject: &str,
) {
    let _subscription = console.subscribe(subject.to_owned()).await.unwrap();
    let error = errors.violation(subject, WAIT).await.unwrap();
    assert!(
        error.contains("Permissions Violation for Subscription"),
        "{subject}: {error}"
    );
}

/// Publishes to `subject` and waits for the server to refuse it.
async fn refused_publish(console: &async_nats::Client, errors: &mut ServerErrors, subject: &str) {
    console
        .publish(subject.to_owned(), "{}".into())
        .await
        .unwrap();
    console.flush().await.unwrap();
    let error = errors.violation(subject, WAIT).await.unwrap();
    assert!(
        error.contains("Permissions Violation for Publish"),
        "{subject}: {error}"
    );
}

#[tokio::test]
async fn a_console_not_logged_in_may_call_only_the_public_operations_in_its_own_inbox() {
    let stack = Stack::start_secured().await.unwrap();
    stack.staff("cora", Role::Admin, None).await.unwrap();
    let key = new_key();
    let (console, mut errors) = console_as(&stack, &key, None).await.unwrap();
    for subject in [
        "_INBOX.>".to_owned(),
        stack.subjects.console_live_feeds(None),
        stack.subjects.svc(ServiceName::Identity, ">"),
    ] {
        refused_subscription(&console, &mut errors, &subject).await;
    }
    for subject in [
        stack.subjects.api(ServiceName::Inventory, "list_products"),
        stack.subjects.api(ServiceName::Identity, "list_staff"),
        stack.subjects.svc(ServiceName::Identity, "login"),
    ] {
        refused_publish(&console, &mut errors, &subject).await;
    }
    // The public operations work, with replies in the connection's own inbox.
    let client = console_client(&stack, &key).await;
    let session = client.login("cora", &password_of("cora")).await.unwrap();
    assert_eq!(session.whoami().username, "cora");
    stack.stop().await.unwrap();
}

#[tokio::test]
async fn a_logged_in_sales_console_reads_only_its_own_inbox_and_its_own_store_live_feeds() {
    let stack = Stack::start_secured().await.unwrap();
    let store = stack.store().await.unwrap();
    let other_store = StoreId(store.0 + 1);
    stack.staff("sam", Role::Sales, Some(store)).await.unwrap();
    let key = new_key();
    let (_client, token) = log_in(&stack, &key, "sam").await;
    let (console, mut errors) = console_as(&stack, &key, Some(&token)).await.unwrap();
    let someone_else = new_key().nats_user_key().unwrap();
    for subject in [
        "_INBOX.>".to_owned(),
        format!("{}.>", subjects::console_inbox_prefix(&someone_else)),
        stack.subjects.svc(ServiceName::Inventory, ">"),
        stack.subjects.api_all(),
        bikestore_contracts::Subjects::jetstream_api_all().to_owned(),
        stack.subjects.console_live_feeds(Some(other_store)),
        stack.subjects.console_live_feeds(None),
    ] {
        refused_subscription(&console, &mut errors, &subject).await;
    }
    refused_publish(
        &console,
        &mut errors,
        &stack.subjects.svc(ServiceName::Inventory, "receive_stock"),
    )
    .await;

    // Its own store's feed is delivered; the other store's message, sent first, is not (one
    // publisher's messages arrive in order). The pair is sent again until ours arrives: after
    // refusing subscriptions the server may drop the connection, which then reconnects and
    // subscribes again.
    let mut own_feed = console
        .subscribe(stack.subjects.console_live_feeds(Some(store)))
        .await
        .unwrap();
    console.flush().await.unwrap();
    let messages = [
        (
            stack.subjects.live_store_notifications(other_store),
            "theirs",
        ),
        (stack.subjects.live_store_notifications(store), "ours"),
    ];
    let delivered = until_delivered(&stack, &mut own_feed, &messages).await;
    assert_eq!(delivered.payload.as_ref(), b"ours");
    stack.stop().await.unwrap();
}

/// Publishes `messages` as the operator, again every 200 ms, until `subscription` receives
/// one (or [`WAIT`] passes), and answers the first it received.
async fn until_delivered(
    stack: &Stack,
    subscription: &mut async_nats::Subscriber,
    messages: &[(String, &str)],
) -> async_nats::Message {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        for (subject, payload) in messages {
            let payload = payload.as_bytes().to_vec();
            stack
                .client
                .publish(subject.clone(), payload.into())
                .await
                .unwrap();
        }
        let attempt = tokio::time::Instant::now() + std::time::Duration::from_millis(200);
        match tokio::time::timeout_at(attempt.min(deadline), subscription.next()).await {
            Ok(Some(message)) => return message,
            Ok(None) => panic!("the subscription ended"),
            Err(_) if tokio::time::Instant::now() < deadline => continue,
            Err(_) => panic!("nothing delivered within {WAIT:?}"),
        }
    }
}

#[tokio::test]
async fn a_sniffing_console_receives_nothing_of_an_admin_login_beside_it() {
    let stack = Stack::start_secured().await.unwrap();
    let store = stack.store().await.unwrap();
    stack.staff("sam", Role::Sales, Some(store)).await.unwrap();
    stack.staff("cora", Role::Admin, None).await.unwrap();
    let sniffer_key = new_key();
    let (_client, token) = log_in(&stack, &sniffer_key, "sam").await;
    let (sniffer, mut errors) = console_as(&stack, &sniffer_key, Some(&token))
        .await
        .unwrap();
    // Everything it may try; the server refuses all but its own.
    let mut tries = Vec::new();
    for subject in [">", "_INBOX.>", "_INBOX.console.>"] {
        tries.push(sniffer.subscribe(subject.to_owned()).await.unwrap());
        errors.violation(subject, WAIT).await.unwrap();
    }
    let own_inbox = format!(
        "{}.>",
        subjects::console_inbox_prefix(&sniffer_key.nats_user_key().unwrap())
    );
    let mut own = sniffer.subscribe(own_inbox).await.unwrap();
    let mut own_feed = sniffer
        .subscribe(stack.subjects.console_live_feeds(Some(store)))
        .await
        .unwrap();
    sniffer.flush().await.unwrap();

    let admin = console_client(&stack, &new_key()).await;
    let session = admin.login("cora", &password_of("cora")).await.unwrap();
    let staff = session.call(&ListStaff::default()).await.unwrap();
    assert!(staff.staff.iter().any(|member| member.username == "sam"));
    session.logout().await.unwrap();

    // A marker on the sniffer's own feed, sent after everything the admin did, arrives; the
    // server delivers in order, so anything of the admin's would have arrived before it.
    let marker = [(stack.subjects.live_store_notifications(store), "marker")];
    let marker = until_delivered(&stack, &mut own_feed, &marker).await;
    assert_eq!(marker.payload.as_ref(), b"marker");
    assert!(
        own.next().now_or_never().is_none(),
        "the sniffer's inbox got a message"
    );
    for mut refused in tries {
        assert!(refused.next().now_or_never().flatten().is_none());
    }
    stack.stop().await.unwrap();
}

#[tokio::test]
async fn someone_elses_access_token_on_another_key_is_refused_by_the_callout() {
    let stack = Stack::start_secured().await.unwrap();
    let store = stack.store().await.unwrap();
    stack.staff("sam", Role::Sales, Some(store)).await.unwrap();
    let (_client, token) = log_in(&stack, &new_key(), "sam").await;
    let error = console_as(&stack, &new_key(), Some(&token))
        .await
        .err()
        .unwrap();
    assert_eq!(
        error.kind(),
        ConnectErrorKind::AuthorizationViolation,
        "{error}"
    );
    logged(&stack, "issued to another session key").await;
    stack.stop().await.unwrap();
}

#[tokio::test]
async fn a_token_of_a_logged_out_or_deactivated_member_no_longer_connects() {
    let stack = Stack::start_secured().await.unwrap();
    let store = stack.store().await.unwrap();
    stack.staff("sam", Role::Sales, Some(store)).await.unwrap();
    let vera = stack.staff("vera", Role::Sales, Some(store)).await.unwrap();

    let key = new_key();
    let client = console_client(&stack, &key).await;
    let session = client.login("sam", &password_of("sam")).await.unwrap();
    let token = session.to_saved().await.access_token;
    assert!(console_as(&stack, &key, Some(&token)).await.is_ok());
    session.logout().await.unwrap();
    let error = console_as(&stack, &key, Some(&token)).await.err().unwrap();
    assert_eq!(
        error.kind(),
        ConnectErrorKind::AuthorizationViolation,
        "{error}"
    );

    let key = new_key();
    let (_client, token) = log_in(&stack, &key, "vera").await;
    stack
        .system
        .as_gateway()
        .call(&DeactivateStaff { staff_id: vera })
        .await
        .unwrap();
    let error = console_as(&stack, &key, Some(&token)).await.err().unwrap();
    assert_eq!(
        error.kind(),
        ConnectErrorKind::AuthorizationViolation,
        "{error}"
    );
    logged(&stack, "the login session has ended").await;
    logged(&stack, "unknown or deactivated").await;
    stack.stop().await.unwrap();
}

#[tokio::test]
async fn a_logged_in_console_calls_inventory_through_the_gateway() {
    let stack = Stack::start_secured().await.unwrap();
    stack.staff("cora", Role::Admin, None).await.unwrap();
    let client = console_client(&stack, &new_key()).await;
    let session = client.login("cora", &password_of("cora")).await.unwrap();
    let page = session.call(&ListProducts::default()).await;
    assert!(page.is_ok(), "{page:?}");
    stack.stop().await.unwrap();
}

#[tokio::test]
async fn wrong_passwords_and_clients_without_a_session_key_are_refused() {
    let stack = Stack::start_secured().await.unwrap();
    let gateway_password = std::fs::read_to_string(stack.system.nats().credentials("gateway"))
        .unwrap()
        .trim_end()
        .split_once(':')
        .unwrap()
        .1
        .to_owned();
    let attempts = [
        (
            "a wrong password",
            Some((ServiceName::Gateway.as_str(), "wrong-password".to_owned())),
        ),
        // One user's password is no other user's.
        (
            "the gateway's password for inventory",
            Some((ServiceName::Inventory.as_str(), gateway_password)),
        ),
        ("no credentials and no session key", None),
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
