//! The door stays open and the audit trail says what matters, on the seeded demo system:
//! a console flooding `public_keys` does not stop another console's login; a username locked
//! by wrong passwords keeps its sessions and is unlocked by an admin; refusals, logins, staff
//! administration and reads of customer data leave audit records with their reason, username,
//! target and row count, never a password or a customer's details.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use bikestore_client::CallOptions;
use bikestore_contracts::identity::{PublicKeys, UnlockUsername};
use bikestore_contracts::inventory::{ListStores, Page};
use bikestore_contracts::orders::{GetCustomer, SearchCustomers};
use bikestore_contracts::{CustomerId, ErrorCode, ServiceName};
use bikestore_harness::{System, demo_password};

use crate::support::Stack;

/// Identity, inventory, orders and the gateway on the seeded demo data, with the eight
/// failures before the lock answered without delay, so the test need not wait them out.
async fn demo_stack() -> anyhow::Result<Stack> {
    let system = System::builder()
        .seeded()
        .configure(|configs| {
            configs.identity.login_free_attempts = configs.identity.login_lock_after;
        })
        .services(&[
            ServiceName::Identity,
            ServiceName::Inventory,
            ServiceName::Orders,
            ServiceName::Gateway,
        ])
        .start()
        .await?;
    Ok(Stack {
        client: system.client().clone(),
        caller: system.as_gateway().clone(),
        subjects: system.subjects().clone(),
        system,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_keys_flood_from_one_console_leaves_another_consoles_login_open()
-> anyhow::Result<()> {
    let stack = demo_stack().await?;
    let flooder = stack.system.console_client().await?;
    let stop = Arc::new(AtomicBool::new(false));
    let limited = Arc::new(AtomicUsize::new(0));
    let flood = tokio::spawn({
        let (stop, limited) = (Arc::clone(&stop), Arc::clone(&limited));
        async move {
            let mut sent = 0_usize;
            // At least a few hundred requests, and on until the login beside them is done.
            while sent < 300 || !stop.load(Ordering::SeqCst) {
                let reply = flooder
                    .call_public(&PublicKeys {}, &CallOptions::default())
                    .await;
                if let Err(error) = reply {
                    assert_eq!(error.code(), ErrorCode::RateLimited, "{error}");
                    limited.fetch_add(1, Ordering::SeqCst);
                }
                sent += 1;
            }
            sent
        }
    });
    // Let the flood empty its connection's bucket first.
    bikestore_testkit::eventually(
        "the flood to be limited",
        crate::support::WAIT,
        async || (limited.load(Ordering::SeqCst) > 0).then_some(()),
    )
    .await?;
    for username in ["sales1a", "manager2", "admin"] {
        let session = stack.system.console(username).await?;
        session.call(&ListStores::default()).await?;
    }
    stop.store(true, Ordering::SeqCst);
    let sent = flood.await?;
    let limited = limited.load(Ordering::SeqCst);
    assert!(limited > sent / 2, "{limited} of {sent} refused");
    // The run of refusals is audited, with its reason, but not once per refused message.
    let records = stack
        .audited_count("public_keys", Some(ErrorCode::RateLimited), 1)
        .await?;
    assert!(records.len() < limited / 4, "{} records", records.len());
    let reason = records[0].reason.as_deref().unwrap_or_default();
    assert!(reason.contains("connection"), "{reason}");
    stack.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_username_keeps_its_sessions_and_an_admin_unlocks_it() -> anyhow::Result<()> {
    let stack = demo_stack().await?;
    let logged_in = stack.system.console("sales1b").await?;
    let guesser = stack.system.console_client().await?;
    for _ in 0..8 {
        let refused = guesser
            .login("sales1b", "not the password")
            .await
            .unwrap_err();
        assert_eq!(refused.code(), ErrorCode::Unauthorized, "{refused}");
    }
    let locked = guesser
        .login("sales1b", &demo_password("sales1b"))
        .await
        .unwrap_err();
    assert_eq!(locked.code(), ErrorCode::Unauthorized, "{locked}");
    // The lock refuses new logins only: the session from before works and refreshes.
    logged_in.call(&ListStores::default()).await?;
    logged_in.refresh().await?;
    logged_in.call(&ListStores::default()).await?;

    // Only an admin may unlock, and the audit record names the username unlocked.
    let unlock = UnlockUsername {
        username: "sales1b".into(),
    };
    let manager = stack.system.console("manager1").await?;
    let refused = manager.call(&unlock).await.unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Forbidden, "{refused}");
    let admin = stack.system.console("admin").await?;
    let unlocked = admin.call(&unlock).await?;
    assert_eq!(unlocked.cleared_failures, 8);
    stack.system.console("sales1b").await?;
    let record = stack.audited("unlock_username", None).await?;
    assert_eq!(record.staff_id, Some(admin.whoami().staff_id));
    assert_eq!(
        record.target_ids.get("username").map(String::as_str),
        Some("sales1b")
    );
    let forbidden = stack
        .audited("unlock_username", Some(ErrorCode::Forbidden))
        .await?;
    assert_eq!(forbidden.staff_id, Some(manager.whoami().staff_id));
    assert!(forbidden.reason.is_some(), "{forbidden:?}");
    stack.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_logins_and_customer_reads_are_audited_without_secrets() -> anyhow::Result<()> {
    let stack = demo_stack().await?;
    // A refused query is audited with its reason: a sales member may not list the staff.
    let sales = stack.system.console("sales2a").await?;
    let refused = sales
        .call(&bikestore_contracts::identity::ListStaff::default())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Forbidden, "{refused}");
    let refusal = stack
        .audited("list_staff", Some(ErrorCode::Forbidden))
        .await?;
    assert_eq!(refusal.staff_id, Some(sales.whoami().staff_id));
    assert_eq!(
        refusal.reason.as_deref(),
        Some("not allowed: your role may not call this operation")
    );

    // Logins, good and bad, are audited with the username and never the password.
    let wrong_password = "Wrong-Password-Tapir-5521";
    let console = stack.system.console_client().await?;
    console.login("Sales2B", wrong_password).await.unwrap_err();
    let failed = stack
        .audited("login", Some(ErrorCode::Unauthorized))
        .await?;
    assert_eq!(failed.username.as_deref(), Some("sales2b"));
    let logins = stack.audited_count("login", None, 1).await?;
    let login = logins
        .iter()
        .find(|record| record.username.as_deref() == Some("sales2a"));
    assert_eq!(
        login.and_then(|record| record.staff_id),
        Some(sales.whoami().staff_id),
        "{logins:?}"
    );
    assert_eq!(failed.staff_id, None);

    // A customer read: who, what and how many rows, never the rows.
    let customer = sales.call(&GetCustomer {
        customer_id: CustomerId(1),
    });
    let customer = customer.await?;
    let search = SearchCustomers {
        name: Some(customer.fields.last_name.clone()),
        page: Page {
            limit: 50,
            offset: 0,
        },
        ..SearchCustomers::default()
    };
    let page = sales.call(&search).await?;
    let read = stack.audited("get_customer", None).await?;
    assert_eq!(read.staff_id, Some(sales.whoami().staff_id));
    assert_eq!(read.rows, Some(1));
    assert_eq!(
        read.target_ids.get("customer_id").map(String::as_str),
        Some("1")
    );
    let searched = stack.audited("search_customers", None).await?;
    assert_eq!(searched.rows, Some(page.customers.len() as u64));
    assert_eq!(
        searched.target_ids.get("searched").map(String::as_str),
        Some("name")
    );
    // Nothing in the stream spells the password, a customer's name or e-mail.
    for payload in stack.audit_payloads().await? {
        let text = String::from_utf8_lossy(&payload);
        for secret in [
            wrong_password,
            &demo_password("sales2a"),
            &customer.fields.last_name,
            &customer.fields.email,
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
    stack.stop().await
}
