//! The orders service under test: a private nats-server, a temporary data folder, and the
//! service in-process (with the simulated provider, or one the test holds) or as a child
//! process.

use std::sync::Arc;
use std::time::Duration;

use bikestore_contracts::orders::{
    AuthorizePayment, Card, CardToken, CreateCustomer, CreateOrder, CustomerFields, OrderCreated,
    OrderLine, Payment, TokenizeCard,
};
use bikestore_contracts::{Cents, CustomerId, ProductId, ServiceName, StaffId, StoreId, Subjects};
use bikestore_orders::OrdersConfig;
use bikestore_orders::payments::SimulatedProvider;
use bikestore_runtime::CommonConfig;
use bikestore_runtime::call::Caller;
use bikestore_testkit::{ChildProcess, InProcess, NatsServer};
use tempfile::TempDir;

pub const READY: Duration = bikestore_testkit::SERVICE_READY;

/// The provider timeout tests use, so the never-answering card times out quickly.
pub const TEST_PROVIDER_TIMEOUT: Duration = Duration::from_millis(300);

/// nats-server + data folder + a caller.
pub struct Stack {
    pub nats: NatsServer,
    pub data: TempDir,
    pub client: async_nats::Client,
    pub caller: Caller,
    pub subjects: Subjects,
}

impl Stack {
    pub async fn new() -> anyhow::Result<Stack> {
        let nats = NatsServer::start().await?;
        let client = nats.client().await?;
        let subjects = Subjects::default();
        Ok(Stack {
            caller: Caller::new(client.clone(), subjects.clone()),
            client,
            subjects,
            nats,
            data: tempfile::tempdir()?,
        })
    }

    /// The configuration a test service gets: a short provider timeout, everything under the
    /// temp folder.
    pub fn config(&self) -> OrdersConfig {
        let mut config = OrdersConfig::new(CommonConfig::new(self.nats.url(), self.data.path()));
        config.provider_timeout = TEST_PROVIDER_TIMEOUT;
        config
    }

    pub async fn start_in_process(&self, config: OrdersConfig) -> anyhow::Result<InProcess> {
        InProcess::start(&self.client, ServiceName::Orders.as_str(), |shutdown| {
            bikestore_orders::run(config, shutdown)
        })
        .await
    }

    /// A stack with one in-process orders service using the default test configuration.
    pub async fn with_service() -> anyhow::Result<(Stack, InProcess)> {
        let stack = Stack::new().await?;
        let service = stack.start_in_process(stack.config()).await?;
        Ok((stack, service))
    }

    /// A stack whose service uses a simulated provider the test can inspect.
    pub async fn with_provider() -> anyhow::Result<(Stack, InProcess, Arc<SimulatedProvider>)> {
        let stack = Stack::new().await?;
        let config = stack.config();
        let provider = Arc::new(SimulatedProvider::new(config.flaky_card_failures));
        let service_provider = Arc::clone(&provider);
        let service = InProcess::start(&stack.client, ServiceName::Orders.as_str(), |shutdown| {
            bikestore_orders::run_with_provider(config, service_provider, shutdown)
        })
        .await?;
        Ok((stack, service, provider))
    }

    /// Starts the real `bikestore-orders` binary as a child process.
    pub fn spawn_process(
        &self,
        name: &str,
        extra_env: &[(&str, &str)],
    ) -> anyhow::Result<ChildProcess> {
        ChildProcess::service(
            "bikestore-orders",
            &self.nats.url(),
            self.data.path(),
            name,
            extra_env,
        )
    }

    /// A new customer with a unique e-mail.
    pub async fn customer(&self) -> anyhow::Result<CustomerId> {
        let saved = self
            .caller
            .call(&CreateCustomer {
                customer: customer_fields(&format!("debra.{}@yahoo.com", ulid::Ulid::new())),
            })
            .await?;
        Ok(saved.customer_id)
    }

    /// A new pending order of a new customer: 2 x 10.00 at 10% off plus 1 x 5.00 = 23.00.
    pub async fn order(&self) -> anyhow::Result<OrderCreated> {
        let customer_id = self.customer().await?;
        Ok(self.caller.call(&order_request(customer_id)).await?)
    }

    /// An authorized payment of `amount` on a new order, with the approving card.
    pub async fn authorized(&self, amount: i64) -> anyhow::Result<Payment> {
        let order = self.order().await?;
        Ok(self
            .caller
            .call(&AuthorizePayment {
                order_id: order.order_id,
                amount: Cents(amount),
                card: card(APPROVES),
            })
            .await?)
    }

    /// A provider token for the test card `number`.
    pub async fn tokenize(&self, number: &str) -> anyhow::Result<CardToken> {
        Ok(self
            .caller
            .call(&TokenizeCard { card: card(number) })
            .await?)
    }
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
            },
            OrderLine {
                product_id: ProductId(11),
                quantity: 1,
                list_price: Cents(500),
                discount_percent: 0,
            },
        ],
        required_date: Some("2030-01-31".into()),
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
