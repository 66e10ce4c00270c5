//! The orders service under test: a [`System`] from the harness with orders' test
//! configuration, running orders with the simulated provider or one the test holds, and
//! helpers to make customers, orders and payments with the simulator's test cards.

use std::sync::Arc;
use std::time::Duration;

use bikestore_contracts::orders::{
    AuthorizePayment, Card, CardToken, CreateCustomer, CreateOrder, CustomerFields, OrderCreated,
    OrderLine, Payment, TokenizeCard,
};
use bikestore_contracts::{Cents, CustomerId, ProductId, ServiceName, StaffId, StoreId};
use bikestore_harness::System;
use bikestore_orders::payments::SimulatedProvider;

pub const READY: Duration = bikestore_testkit::SERVICE_READY;

/// The provider timeout tests use, so the never-answering card times out quickly.
pub const TEST_PROVIDER_TIMEOUT: Duration = Duration::from_millis(300);

/// nats-server and a data folder, orders configured with a short provider timeout but not
/// started.
pub async fn without_service() -> anyhow::Result<System> {
    System::builder()
        .configure(|configs| configs.orders.provider_timeout = TEST_PROVIDER_TIMEOUT)
        .start()
        .await
}

/// A system running orders alone, in this process.
pub async fn with_service() -> anyhow::Result<System> {
    let mut system = without_service().await?;
    system.start_service(ServiceName::Orders).await?;
    Ok(system)
}

/// A system running orders alone, in this process, with a simulated provider the test can
/// inspect.
pub async fn with_provider() -> anyhow::Result<(System, Arc<SimulatedProvider>)> {
    let mut system = without_service().await?;
    let config = system.configs().orders.clone();
    let provider = Arc::new(SimulatedProvider::new(config.flaky_card_failures));
    let service_provider = Arc::clone(&provider);
    system
        .start_service_with(ServiceName::Orders, |shutdown| {
            bikestore_orders::run_with_provider(config, service_provider, shutdown)
        })
        .await?;
    Ok((system, provider))
}

/// A new customer with a unique e-mail.
pub async fn new_customer(system: &System) -> anyhow::Result<CustomerId> {
    let saved = system
        .caller()
        .call(&CreateCustomer {
            customer: customer_fields(&format!("debra.{}@yahoo.com", ulid::Ulid::new())),
        })
        .await?;
    Ok(saved.customer_id)
}

/// A new pending order of a new customer: 2 x 10.00 at 10% off plus 1 x 5.00 = 23.00.
pub async fn new_order(system: &System) -> anyhow::Result<OrderCreated> {
    let customer_id = new_customer(system).await?;
    Ok(system.caller().call(&order_request(customer_id)).await?)
}

/// An authorized payment of `amount` on a new order, with the approving card.
pub async fn authorized_payment(system: &System, amount: i64) -> anyhow::Result<Payment> {
    let order = new_order(system).await?;
    Ok(system
        .caller()
        .call(&AuthorizePayment {
            order_id: order.order_id,
            amount: Cents(amount),
            card: card(APPROVES),
        })
        .await?)
}

/// A provider token for the test card `number`.
pub async fn token_for(system: &System, number: &str) -> anyhow::Result<CardToken> {
    Ok(system
        .caller()
        .call(&TokenizeCard { card: card(number) })
        .await?)
}
pub fn customer_fields(email: &str) -> CustomerFields {
    CustomerFields {
        first_name: "Debra".into(),
        last_name: "Burks".into(),
        email: email.into(),
        phone: "(516) 379-8888".into(),
        street: "9273 Thorne Ave.".into(),
        city: "Orchard Park".into(),
        state: "NY".into(),
        zip_code: "14127".into(),
    }
}

pub fn order_request(customer_id: CustomerId) -> CreateOrder {
    CreateOrder {
        customer_id,
        store_id: StoreId(1),
        staff_id: StaffId(2),
        lines: vec![
            OrderLine {
                product_id: ProductId(10),
                quantity: 2,
                list_price: Cents(1_000),
                discount_percent: 10,
                product_name: Some("Trail Bike".into()),
            },
            OrderLine {
                product_id: ProductId(11),
                quantity: 1,
                list_price: Cents(500),
                discount_percent: 0,
                product_name: None,
            },
        ],
        required_date: Some("2030-01-31".into()),
        reservation_id: None,
    }
}

/// The simulator's test cards, as a customer would type them.
pub const APPROVES: &str = "4242 4242 4242 4242";
pub const DECLINES: &str = "4000 0000 0000 0002";
pub const INSUFFICIENT_FUNDS: &str = "4000 0000 0000 9995";
pub const NEVER_ANSWERS: &str = "4000 0000 0000 0119";
pub const FLAKY: &str = "4000 0000 0000 0259";

pub fn card(number: &str) -> Card {
    Card {
        number: number.into(),
        expiry_month: 12,
        expiry_year: 2035,
        cvc: "123".into(),
        holder: "Debra Burks".into(),
    }
}
