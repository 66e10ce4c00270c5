//! The stack under test: a private nats-server, the participants and the orchestrator, all
//! in-process, with timeouts and backoffs in milliseconds.

use std::time::Duration;

use bikestore_contracts::inventory::{
    CreateBrand, CreateCategory, CreateProduct, CreateStore, GetProduct, ProductFields,
    ReceiveStock, StockLevel,
};
use bikestore_contracts::orders::{CreateCustomer, CustomerFields};
use bikestore_contracts::sagas::{GetSaga, SagaId, SagaProgressed, SagaRecord, SagaState};
use bikestore_contracts::{Cents, CustomerId, ProductId, ServiceName, StoreId, Subjects};
use bikestore_inventory::InventoryConfig;
use bikestore_orchestrator::OrchestratorConfig;
use bikestore_runtime::CommonConfig;
use bikestore_runtime::call::Caller;
use bikestore_testkit::{InProcess, NatsServer};
use tempfile::TempDir;

/// nats-server, a data folder, and a caller.
pub struct Stack {
    pub nats: NatsServer,
    pub data: TempDir,
    pub client: async_nats::Client,
    pub caller: Caller,
}

impl Stack {
    pub async fn new() -> anyhow::Result<Stack> {
        let nats = NatsServer::start().await?;
        let client = nats.client().await?;
        Ok(Stack {
            caller: Caller::new(client.clone(), Subjects::default()),
            client,
            nats,
            data: tempfile::tempdir()?,
        })
    }

    pub fn common(&self) -> CommonConfig {
        CommonConfig::new(self.nats.url(), self.data.path())
    }

    /// Fast steps: 2 s timeout, three attempts, millisecond backoffs.
    pub fn orchestrator_config(&self) -> OrchestratorConfig {
        let mut config = OrchestratorConfig::new(self.common());
        config.step_timeout = Duration::from_secs(2);
        config.max_attempts = 3;
        config.initial_backoff = Duration::from_millis(20);
        config.max_backoff = Duration::from_millis(100);
        config
    }

    pub async fn start_inventory(&self) -> anyhow::Result<InProcess> {
        self.start_inventory_with(InventoryConfig::new(self.common()))
            .await
    }

    pub async fn start_inventory_with(&self, config: InventoryConfig) -> anyhow::Result<InProcess> {
        InProcess::start(&self.client, ServiceName::Inventory.as_str(), |shutdown| {
            bikestore_inventory::run(config, shutdown)
        })
        .await
    }

    /// Orders with a 300 ms provider timeout, so the card that never answers times out fast.
    pub async fn start_orders(&self) -> anyhow::Result<InProcess> {
        let mut config = bikestore_orders::OrdersConfig::new(self.common());
        config.provider_timeout = Duration::from_millis(300);
        InProcess::start(&self.client, ServiceName::Orders.as_str(), |shutdown| {
            bikestore_orders::run(config, shutdown)
        })
        .await
    }

    pub async fn start_notifications(&self) -> anyhow::Result<InProcess> {
        let config = bikestore_notifications::NotificationsConfig::new(self.common());
        InProcess::start(
            &self.client,
            ServiceName::Notifications.as_str(),
            |shutdown| bikestore_notifications::run(config, shutdown),
        )
        .await
    }

    /// Every service and one orchestrator.
    pub async fn everything(&self) -> anyhow::Result<Vec<InProcess>> {
        Ok(vec![
            self.start_inventory().await?,
            self.start_orders().await?,
            self.start_notifications().await?,
            self.start_orchestrator(self.orchestrator_config()).await?,
        ])
    }

    /// A new customer.
    pub async fn customer(&self) -> anyhow::Result<CustomerId> {
        let fields = CustomerFields {
            first_name: "Debra".into(),
            last_name: "Burks".into(),
            email: format!("debra.{}@example.com", ulid::Ulid::new()),
            phone: String::new(),
            street: String::new(),
            city: String::new(),
            state: String::new(),
            zip_code: String::new(),
        };
        Ok(self
            .caller
            .call(&CreateCustomer { customer: fields })
            .await?
            .customer_id)
    }

    pub async fn start_orchestrator(
        &self,
        config: OrchestratorConfig,
    ) -> anyhow::Result<InProcess> {
        InProcess::start(
            &self.client,
            ServiceName::Orchestrator.as_str(),
            |shutdown| bikestore_orchestrator::run(config, shutdown),
        )
        .await
    }

    /// Subscribes to a saga's progress events; subscribe before acting, then await.
    pub async fn follow(&self, saga_id: &SagaId) -> anyhow::Result<async_nats::Subscriber> {
        Ok(self
            .client
            .subscribe(Subjects::default().saga_progress(&saga_id.0))
            .await?)
    }

    /// Waits for a followed saga to end (or get stuck); returns the state it ended in.
    pub async fn until_ended(
        &self,
        mut progress: async_nats::Subscriber,
    ) -> anyhow::Result<SagaState> {
        use futures::StreamExt;
        loop {
            let message = tokio::time::timeout(Duration::from_secs(20), progress.next())
                .await?
                .ok_or_else(|| anyhow::anyhow!("the progress subscription ended"))?;
            let event: SagaProgressed = bikestore_codec::decode(
                bikestore_codec::ContentType::Json,
                None,
                &message.payload,
                usize::MAX,
            )?;
            if event.state.is_terminal() || event.state == SagaState::Stuck {
                return Ok(event.state);
            }
        }
    }

    pub async fn saga(&self, saga_id: &SagaId) -> anyhow::Result<SagaRecord> {
        Ok(self
            .caller
            .call(&GetSaga {
                saga_id: saga_id.clone(),
            })
            .await?)
    }

    /// A store with `stock` units of a new product (and the brand and category it needs).
    pub async fn store_with_stock(&self, stock: i64) -> anyhow::Result<(StoreId, ProductId)> {
        let store_id = self.store().await?;
        let brand_id = self
            .caller
            .call(&CreateBrand {
                name: format!("Brand {}", ulid::Ulid::new()),
            })
            .await?
            .brand_id;
        let category_id = self
            .caller
            .call(&CreateCategory {
                name: format!("Category {}", ulid::Ulid::new()),
            })
            .await?
            .category_id;
        let product = ProductFields {
            name: format!("Bike {}", ulid::Ulid::new()),
            brand_id,
            category_id,
            model_year: 2019,
            list_price: Cents(50_000),
        };
        let product_id = self
            .caller
            .call(&CreateProduct { product })
            .await?
            .product_id;
        if stock > 0 {
            self.caller
                .call(&ReceiveStock {
                    store_id,
                    product_id,
                    quantity: stock,
                })
                .await?;
        }
        Ok((store_id, product_id))
    }

    pub async fn store(&self) -> anyhow::Result<StoreId> {
        let request = CreateStore {
            name: format!("Store {}", ulid::Ulid::new()),
            phone: String::new(),
            email: String::new(),
            street: String::new(),
            city: String::new(),
            state: String::new(),
            zip_code: String::new(),
        };
        Ok(self.caller.call(&request).await?.store_id)
    }

    pub async fn stock(
        &self,
        store_id: StoreId,
        product_id: ProductId,
    ) -> anyhow::Result<StockLevel> {
        let detail = self.caller.call(&GetProduct { product_id }).await?;
        detail
            .stock
            .into_iter()
            .find(|level| level.store_id == store_id)
            .ok_or_else(|| {
                anyhow::anyhow!("store {store_id} has no level for product {product_id}")
            })
    }
}

/// Stops every service, last started first.
pub async fn stop_all(services: Vec<InProcess>) -> anyhow::Result<()> {
    for service in services.into_iter().rev() {
        service.stop().await?;
    }
    Ok(())
}
