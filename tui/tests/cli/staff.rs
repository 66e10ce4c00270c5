//! Staff administration by an admin (unlocking a username too), and what it does to the
//! member's logins.

use bikestore_contracts::identity::{StaffSaved, StaffSummary};

use crate::support::Stack;

const FIRST_PASSWORD: &str = "first-password-of-tess";
const SECOND_PASSWORD: &str = "second-password-of-tess";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_creates_resets_and_deactivates_a_member() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    let admin = stack.bikestore(&stack.session_file("admin"));
    admin.login("admin").await?;
    let create = [
        "--json",
        "staff",
        "create",
        "tess",
        "--name",
        "Tess Tester",
        "--email",
        "tess@bikes.shop",
        "--role",
        "sales",
        "--store",
        "1",
    ];
    let created: StaffSaved = admin
        .run_with(&create, &[("BIKESTORE_NEW_PASSWORD", FIRST_PASSWORD)], None)
        .await?
        .expect_code(0)?
        .json()?;
    let staff_id = created.staff_id.to_string();
    // The same username again clashes with the member just made.
    admin
        .run_with(&create, &[("BIKESTORE_NEW_PASSWORD", FIRST_PASSWORD)], None)
        .await?
        .expect_code(6)?;

    let tess = stack.bikestore(&stack.session_file("tess"));
    let login = |password: &'static str| {
        let tess = &tess;
        async move {
            tess.run_with(
                &["login", "tess"],
                &[("BIKESTORE_PASSWORD", password)],
                None,
            )
            .await
        }
    };
    login(FIRST_PASSWORD).await?.expect_code(0)?;
    tess.run(&["stores"]).await?.expect_code(0)?;

    // A new password piped on stdin, as a script gives it; the old one stops working.
    admin
        .run_with(
            &["staff", "reset-password", &staff_id],
            &[],
            Some(&format!("{SECOND_PASSWORD}\n")),
        )
        .await?
        .expect_code(0)?;
    login(FIRST_PASSWORD).await?.expect_code(3)?;
    // That wrong password counts against the username; an admin's unlock forgets it.
    let unlocked = admin
        .run(&["staff", "unlock", "Tess"])
        .await?
        .expect_code(0)?;
    assert!(
        unlocked
            .stdout
            .contains("Tess unlocked (1 failed logins forgotten)"),
        "{unlocked:?}"
    );
    login(SECOND_PASSWORD).await?.expect_code(0)?;

    let changed = admin
        .run(&["staff", "set-role", &staff_id, "--role", "manager"])
        .await?
        .expect_code(0)?;
    assert!(changed.stdout.contains("changed"), "{changed:?}");
    admin
        .run(&["staff", "deactivate", &staff_id])
        .await?
        .expect_code(0)?;
    let shown: StaffSummary = admin
        .run(&["staff", "show", &staff_id, "--json"])
        .await?
        .expect_code(0)?
        .json()?;
    assert_eq!(shown.role.as_str(), "manager");
    assert!(!shown.active);
    login(SECOND_PASSWORD).await?.expect_code(3)?;
    admin
        .run(&["staff", "show", "424242"])
        .await?
        .expect_code(5)?;
    stack.stop().await
}
