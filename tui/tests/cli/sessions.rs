//! Logging in and out, the session file, queries, and what a member may not do.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use bikestore_contracts::identity::StaffSummary;
use bikestore_contracts::inventory::ProductPage;

use crate::support::{Stack, demo_password};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_logs_in_queries_and_is_refused_what_their_role_may_not_do() -> anyhow::Result<()>
{
    let stack = Stack::start().await?;
    let session_file = stack.session_file("sales");
    let bikestore = stack.bikestore(&session_file);

    // Nobody has logged in yet: every command that needs a session exits 3.
    let whoami = bikestore.run(&["whoami"]).await?.expect_code(3)?;
    assert!(whoami.stderr.contains("not logged in"), "{whoami:?}");
    bikestore.run(&["stores"]).await?.expect_code(3)?;

    // A wrong password is refused as unauthorized, and no session is kept.
    let wrong = bikestore
        .run_with(&["login", "sales1a"], &[], Some("not-the-password\n"))
        .await?
        .expect_code(3)?;
    assert!(wrong.stderr.contains("unauthorized"), "{wrong:?}");
    assert!(!session_file.exists());

    // The password piped on stdin, as a script would.
    let password = format!("{}\n", demo_password("sales1a"));
    let login = bikestore
        .run_with(&["login", "sales1a"], &[], Some(&password))
        .await?
        .expect_code(0)?;
    assert!(login.stdout.contains("sales1a"), "{login:?}");
    let mode = std::fs::metadata(&session_file)?.permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the session file holds secrets");
    let saved = std::fs::read_to_string(&session_file)?;
    assert!(
        !saved.contains(&demo_password("sales1a")),
        "no password is kept"
    );

    let whoami: StaffSummary = bikestore
        .run(&["whoami", "--json"])
        .await?
        .expect_code(0)?
        .json()?;
    assert_eq!(whoami.username, "sales1a");
    assert_eq!(whoami.role.as_str(), "sales");

    let products: ProductPage = bikestore
        .run(&["products", "ls", "--text", "trek", "--limit", "5", "--json"])
        .await?
        .expect_code(0)?
        .json()?;
    assert!(!products.products.is_empty() && products.products.len() <= 5);
    assert!(products.total >= products.products.len() as u64);
    let first = products.products[0].product_id.to_string();
    let table = bikestore
        .run(&["products", "show", &first])
        .await?
        .expect_code(0)?;
    assert!(table.stdout.contains("AVAILABLE"), "{table:?}");
    bikestore
        .run(&["products", "show", "999999"])
        .await?
        .expect_code(5)?;

    // Staff administration is for admins, and a sales member acts only on their own store.
    let staff = bikestore.run(&["staff", "ls"]).await?.expect_code(4)?;
    assert!(staff.stderr.contains("forbidden"), "{staff:?}");
    let other_store = bikestore
        .run(&[
            "--json",
            "stock",
            "receive",
            "--store",
            "2",
            "--product",
            &first,
            "--quantity",
            "1",
        ])
        .await?
        .expect_code(4)?;
    let error: serde_json::Value = serde_json::from_str(other_store.stderr.trim())?;
    assert_eq!(error["code"], "forbidden", "{other_store:?}");
    bikestore
        .run(&[
            "stock",
            "receive",
            "--store",
            "1",
            "--product",
            &first,
            "--quantity",
            "1",
        ])
        .await?
        .expect_code(0)?;

    // A command line clap refuses exits 2.
    bikestore
        .run(&["stock", "receive", "--store", "1"])
        .await?
        .expect_code(2)?;

    bikestore.run(&["logout"]).await?.expect_code(0)?;
    assert!(!session_file.exists());
    bikestore.run(&["whoami"]).await?.expect_code(3)?;
    stack.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_refreshed_by_one_run_are_kept_for_the_next() -> anyhow::Result<()> {
    // Tokens that expire within the client's refresh margin are refreshed before every call, so
    // every run spends the refresh token it read: a run that did not save the new one would
    // leave the next with a spent token, and identity would end the session.
    let stack = Stack::start_with_token_ttl(Duration::from_secs(30)).await?;
    let session_file = stack.session_file("manager");
    let bikestore = stack.bikestore(&session_file);
    bikestore.login("manager1").await?;
    let mut previous = std::fs::read_to_string(&session_file)?;
    for _ in 0..3 {
        bikestore.run(&["stores"]).await?.expect_code(0)?;
        let current = std::fs::read_to_string(&session_file)?;
        assert_ne!(current, previous, "the refreshed tokens were saved");
        previous = current;
    }
    // Runs at the same time take turns with the session, so none presents a spent token.
    let (first, second, third) = tokio::join!(
        bikestore.run(&["stores"]),
        bikestore.run(&["stores"]),
        bikestore.run(&["stores"]),
    );
    for run in [first?, second?, third?] {
        run.expect_code(0)?;
    }
    bikestore.run(&["stores"]).await?.expect_code(0)?;
    let mode = std::fs::metadata(&session_file)?.permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    stack.stop().await
}
