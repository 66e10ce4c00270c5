//! Customers: unique e-mails regardless of case, updates, and search by every filter.

use bikestore_contracts::inventory::Page;
use bikestore_contracts::orders::{
    CreateCustomer, CustomerFields, GetCustomer, SearchCustomers, UpdateCustomer,
};
use bikestore_contracts::{CustomerId, ErrorCode};

use crate::support::{customer_fields, with_service, without_service};

fn fields(first: &str, last: &str, email: &str, phone: &str, city: &str) -> CustomerFields {
    CustomerFields {
        first_name: first.into(),
        last_name: last.into(),
        email: email.into(),
        phone: phone.into(),
        street: "1 Main St.".into(),
        city: city.into(),
        state: "CA".into(),
        zip_code: "95060".into(),
    }
}

#[tokio::test]
async fn an_email_is_one_customer_whatever_its_case() -> anyhow::Result<()> {
    let system = with_service().await?;
    let first = system
        .caller()
        .call(&CreateCustomer {
            customer: customer_fields("Kasha.Todd@yahoo.com"),
        })
        .await?;
    let duplicate = system
        .caller()
        .call(&CreateCustomer {
            customer: customer_fields("kasha.todd@YAHOO.com"),
        })
        .await
        .unwrap_err();
    assert_eq!(duplicate.code, ErrorCode::Conflict);
    assert!(duplicate.message.contains("already exists"), "{duplicate}");

    let second = system
        .caller()
        .call(&CreateCustomer {
            customer: customer_fields("tameka.fisher@aol.com"),
        })
        .await?;
    let taken = system
        .caller()
        .call(&UpdateCustomer {
            customer_id: second.customer_id,
            customer: customer_fields("KASHA.TODD@yahoo.com"),
        })
        .await
        .unwrap_err();
    assert_eq!(taken.code, ErrorCode::Conflict);
    // A customer may change the case of its own address.
    system
        .caller()
        .call(&UpdateCustomer {
            customer_id: first.customer_id,
            customer: customer_fields("KASHA.TODD@yahoo.com"),
        })
        .await?;
    let unknown = system
        .caller()
        .call(&UpdateCustomer {
            customer_id: CustomerId(999_999),
            customer: customer_fields("nobody@example.com"),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code, ErrorCode::NotFound);
    let missing = system
        .caller()
        .call(&GetCustomer {
            customer_id: CustomerId(999_999),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code, ErrorCode::NotFound);
    system.stop().await
}

#[tokio::test]
async fn search_matches_every_filter_given_and_pages_by_name() -> anyhow::Result<()> {
    let system = with_service().await?;
    for customer in [
        fields(
            "Debra",
            "Burks",
            "debra.burks@yahoo.com",
            "(916) 381-6003",
            "Orchard Park",
        ),
        fields("Daryl", "Spence", "daryl.spence@aol.com", "", "Uniondale"),
        fields(
            "Lyndsey",
            "Bean",
            "lyndsey.bean@hotmail.com",
            "(916) 555-0101",
            "Fairport",
        ),
        fields("Latasha", "Hays", "latasha_hays@gmail.com", "", "Buffalo"),
    ] {
        system.caller().call(&CreateCustomer { customer }).await?;
    }
    let search = |request: SearchCustomers| {
        let caller = system.caller().clone();
        async move {
            let page = caller.call(&request).await?;
            let names: Vec<String> = page
                .customers
                .iter()
                .map(|customer| customer.fields.last_name.clone())
                .collect();
            anyhow::Ok((page.total, names))
        }
    };
    let all = search(SearchCustomers::default()).await?;
    assert_eq!(
        all,
        (
            4,
            vec![
                "Bean".into(),
                "Burks".into(),
                "Hays".into(),
                "Spence".into()
            ]
        )
    );
    let by_name = search(SearchCustomers {
        name: Some("DEB".into()),
        ..SearchCustomers::default()
    })
    .await?;
    assert_eq!(by_name, (1, vec!["Burks".into()]));
    let by_phone = search(SearchCustomers {
        phone: Some("(916)".into()),
        ..SearchCustomers::default()
    })
    .await?;
    assert_eq!(by_phone, (2, vec!["Bean".into(), "Burks".into()]));
    // `_` is matched literally, not as a wildcard.
    let by_email = search(SearchCustomers {
        email: Some("a_h".into()),
        ..SearchCustomers::default()
    })
    .await?;
    assert_eq!(by_email, (1, vec!["Hays".into()]));
    let combined = search(SearchCustomers {
        phone: Some("916".into()),
        address: Some("fairport".into()),
        ..SearchCustomers::default()
    })
    .await?;
    assert_eq!(combined, (1, vec!["Bean".into()]));
    let second_page = search(SearchCustomers {
        page: Page {
            offset: 1,
            limit: 2,
        },
        ..SearchCustomers::default()
    })
    .await?;
    assert_eq!(second_page, (4, vec!["Burks".into(), "Hays".into()]));
    system.stop().await
}

#[tokio::test]
async fn seeded_demo_customers_are_served_and_a_second_seed_does_nothing() -> anyhow::Result<()> {
    use bikestore_orders::seed::{SeedOutcome, customers::CUSTOMERS_PER_SCALE, seed};
    let mut system = without_service().await?;
    let database = bikestore_orders::open_database(&system.configs().orders).await?;
    let loaded = seed(&database, 1).await?;
    assert_eq!(
        loaded,
        SeedOutcome::Loaded {
            customers: CUSTOMERS_PER_SCALE
        }
    );
    let again = seed(&database, 1).await?;
    assert!(matches!(again, SeedOutcome::AlreadySeeded { .. }));
    database.close().await;
    system
        .start_service(bikestore_contracts::ServiceName::Orders)
        .await?;
    let all = system.caller().call(&SearchCustomers::default()).await?;
    assert_eq!(all.total, CUSTOMERS_PER_SCALE as u64);
    let debra = system
        .caller()
        .call(&SearchCustomers {
            email: Some("debra.burks@yahoo.com".into()),
            ..SearchCustomers::default()
        })
        .await?;
    assert_eq!(debra.total, 1);
    system.stop().await
}
