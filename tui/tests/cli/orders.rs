//! Placing orders through the place-order saga, a declined card, and the sagas operators see.

use bikestore_contracts::identity::StaffSummary;
use bikestore_contracts::inventory::{ProductDetail, StockPage, StoreList};
use bikestore_contracts::orders::{Customer, Order, OrderStatus};
use bikestore_contracts::sagas::{SagaList, SagaRecord, SagaStarted, SagaState};

use crate::support::Stack;

const APPROVED_CARD: &str = "4242 4242 4242 4242";
const DECLINED_CARD: &str = "4000 0000 0000 0002";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_are_placed_declined_and_cancelled_stock_moves_and_operators_see_the_sagas()
-> anyhow::Result<()> {
    let stack = Stack::start().await?;
    let sales = stack.bikestore(&stack.session_file("sales"));
    let member: StaffSummary = sales.login("sales1a").await?.json()?;

    // A product store 1 holds, so only the card decides.
    let stock: StockPage = sales
        .run(&["stock", "ls", "--store", "1", "--limit", "500", "--json"])
        .await?
        .expect_code(0)?
        .json()?;
    let level = stock
        .levels
        .iter()
        .find(|level| level.available >= 2)
        .expect("the demo data stocks store 1");
    let line = format!("{}=1", level.product_id);
    let place = |card: &'static str, key: &'static str, json: bool| {
        let line = line.clone();
        let sales = &sales;
        async move {
            let mut args = vec![
                "orders",
                "place",
                "--customer",
                "1",
                &line,
                "--card",
                card,
                "--expiry",
                "12/2030",
                "--cvc",
                "123",
                "--holder",
                "Debra Burks",
                "--idempotency-key",
                key,
            ];
            if json {
                args.push("--json");
            }
            sales.run(&args).await
        }
    };

    let placed = place(APPROVED_CARD, "cli-test-approved", true)
        .await?
        .expect_code(0)?;
    let placed: SagaStarted = placed.json()?;
    assert_eq!(placed.state, SagaState::Completed);
    let order_id = placed
        .order_id
        .expect("a placed order has an ID")
        .to_string();
    let order: Order = sales
        .run(&["orders", "show", &order_id, "--json"])
        .await?
        .expect_code(0)?
        .json()?;
    assert_eq!(order.status, OrderStatus::Processing);
    assert_eq!(
        order.staff_id, member.staff_id,
        "the order names who placed it"
    );
    assert_eq!(
        Some(order.store_id),
        member.store_id,
        "sold from their own store"
    );
    assert_eq!(order.totals.total, order.lines[0].line.list_price);
    assert_eq!(
        order.lines[0].line.product_name.as_deref(),
        Some(level.product_name.as_str()),
        "the line keeps the catalog's name"
    );
    // Placed by a person, the priced lines are shown.
    let human = place(APPROVED_CARD, "cli-test-approved-human", false)
        .await?
        .expect_code(0)?;
    assert!(
        human.stdout.contains("priced from the catalog")
            && human.stdout.contains(level.product_name.as_str()),
        "{human:?}"
    );

    // The demo stores keep the clocks of their towns.
    let stores: StoreList = sales
        .run(&["stores", "--json"])
        .await?
        .expect_code(0)?
        .json()?;
    let zones: Vec<(&str, &str)> = stores
        .stores
        .iter()
        .map(|store| (store.name.as_str(), store.time_zone.as_str()))
        .collect();
    assert_eq!(
        zones,
        [
            ("Santa Cruz Bikes", "America/Los_Angeles"),
            ("Baldwin Bikes", "America/New_York"),
            ("Rowlett Bikes", "America/Chicago"),
        ]
    );
    let printed = sales.run(&["stores"]).await?.expect_code(0)?;
    assert!(
        printed.stdout.contains("America/Los_Angeles"),
        "{printed:?}"
    );

    // People by name: the order names its customer, and both views print the name.
    let customer: Customer = sales
        .run(&["customers", "show", "1", "--json"])
        .await?
        .expect_code(0)?
        .json()?;
    let customer_name = format!(
        "{} {}",
        customer.fields.first_name, customer.fields.last_name
    );
    assert_eq!(order.customer_name, customer_name);
    let shown = sales
        .run(&["orders", "show", &order_id])
        .await?
        .expect_code(0)?;
    assert!(shown.stdout.contains(&customer_name), "{shown:?}");
    // Its seller (the caller here) and its line's product by name.
    assert!(shown.stdout.contains(&member.name), "{shown:?}");
    let product: ProductDetail = sales
        .run(&["products", "show", &level.product_id.to_string(), "--json"])
        .await?
        .expect_code(0)?
        .json()?;
    assert!(shown.stdout.contains(&product.product.name), "{shown:?}");
    let listed = sales.run(&["orders", "ls"]).await?.expect_code(0)?;
    assert!(
        listed.stdout.contains(&format!("{customer_name} (#1)")),
        "{listed:?}"
    );

    // The same idempotency key names the same saga: no second order.
    let repeated: SagaStarted = place(APPROVED_CARD, "cli-test-approved", true)
        .await?
        .expect_code(0)?
        .json()?;
    assert_eq!(repeated.saga_id, placed.saga_id);
    assert_eq!(repeated.order_id, placed.order_id);

    // A declined card: the saga compensates, the order is rejected, the exit code says so.
    let declined = place(DECLINED_CARD, "cli-test-declined", true)
        .await?
        .expect_code(6)?;
    let declined_saga: SagaStarted = declined.json()?;
    assert_eq!(declined_saga.state, SagaState::Failed);
    assert!(declined.stderr.contains("payment_declined"), "{declined:?}");
    let human = place(DECLINED_CARD, "cli-test-declined", false)
        .await?
        .expect_code(6)?;
    assert!(human.stderr.contains("rejected"), "{human:?}");
    assert!(human.stdout.contains("failed"), "{human:?}");

    // Sagas are for managers and admins.
    sales.run(&["sagas", "ls"]).await?.expect_code(4)?;
    let admin = stack.bikestore(&stack.session_file("admin"));
    admin.login("admin").await?;
    let sagas: SagaList = admin
        .run(&["sagas", "ls", "--json"])
        .await?
        .expect_code(0)?
        .json()?;
    let ids: Vec<_> = sagas.sagas.iter().map(|saga| &saga.saga_id).collect();
    assert!(ids.contains(&&placed.saga_id), "{ids:?}");
    assert!(ids.contains(&&declined_saga.saga_id), "{ids:?}");
    let failed: SagaList = admin
        .run(&["sagas", "ls", "--state", "failed", "--json"])
        .await?
        .expect_code(0)?
        .json()?;
    assert_eq!(failed.sagas.len(), 1);
    let record: SagaRecord = admin
        .run(&["sagas", "show", &declined_saga.saga_id.0, "--json"])
        .await?
        .expect_code(0)?
        .json()?;
    assert_eq!(record.state, SagaState::Failed);
    let shown = admin
        .run(&["sagas", "show", &declined_saga.saga_id.0])
        .await?
        .expect_code(0)?;
    assert!(shown.stdout.contains("authorize_payment"), "{shown:?}");
    assert!(shown.stdout.contains("payment_declined"), "{shown:?}");
    admin
        .run(&["sagas", "show", "no-such-saga"])
        .await?
        .expect_code(5)?;

    // Cancelling and moving stock are for managers, in their own store.
    let cancel = [
        "--json",
        "orders",
        "cancel",
        &order_id,
        "--reason",
        "changed their mind",
    ];
    sales.run(&cancel).await?.expect_code(4)?;
    let manager = stack.bikestore(&stack.session_file("manager"));
    manager.login("manager1").await?;
    let cancelled: SagaStarted = manager.run(&cancel).await?.expect_code(0)?.json()?;
    assert_eq!(cancelled.state, SagaState::Completed);
    let order: Order = manager
        .run(&["orders", "show", &order_id, "--json"])
        .await?
        .expect_code(0)?
        .json()?;
    assert_eq!(order.status, OrderStatus::Cancelled);
    // A colleague who is not an admin sees the seller by name too.
    let shown = manager
        .run(&["orders", "show", &order_id])
        .await?
        .expect_code(0)?;
    assert!(shown.stdout.contains(&member.name), "{shown:?}");

    let product = level.product_id.to_string();
    // Available units of the product in each of stores 1 and 2, as the CLI shows them.
    let available_in_stores_1_and_2 = async || -> anyhow::Result<(i64, i64)> {
        let detail: ProductDetail = manager
            .run(&["products", "show", &product, "--json"])
            .await?
            .expect_code(0)?
            .json()?;
        let available_at = |store: i64| {
            detail
                .stock
                .iter()
                .find(|level| level.store_id.0 == store)
                .map_or(0, |level| level.available)
        };
        Ok((available_at(1), available_at(2)))
    };
    let transfer = |from: &'static str, to: &'static str| {
        let args = [
            "stock",
            "transfer",
            "--from",
            from,
            "--to",
            to,
            "--product",
            &product,
        ];
        let manager = &manager;
        async move {
            let mut args = args.to_vec();
            args.extend(["--quantity", "1"]);
            manager.run(&args).await
        }
    };
    let (store_1_before, store_2_before) = available_in_stores_1_and_2().await?;
    transfer("1", "2").await?.expect_code(0)?;
    let (store_1_after, store_2_after) = available_in_stores_1_and_2().await?;
    assert_eq!(store_1_after, store_1_before - 1);
    assert_eq!(store_2_after, store_2_before + 1);
    // A manager moves stock only out of their own store.
    transfer("2", "1").await?.expect_code(4)?;
    stack.stop().await
}
