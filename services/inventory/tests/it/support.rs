//! The inventory under test: a private nats-server, a temporary data folder, and the service
//! in-process or as child processes.

use std::time::Duration;

use anyhow::Context;
use bikestore_contracts::inventory::{
    CreateBrand, CreateCategory, CreateProduct, CreateStore, ProductFields, ReceiveStock,
};
use bikestore_contracts::{Cents, ProductId, ServiceName, StoreId, Subjects};
use bikestore_inventory::InventoryConfig;
use bikestore_runtime::CommonConfig;
use bikestore_runtime::call::Caller;
use bikestore_testkit::{ChildProcess, InProcess, NatsServer};
use tempfile::TempDir;

pub const READY: Duration = bikestore_testkit::SERVICE_READY;

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

    /// The configuration a test service gets: fast sweeps, everything under the temp folder.
    pub fn config(&self) -> InventoryConfig {
        let mut config = InventoryConfig::new(CommonConfig::new(self.nats.url(), self.data.path()));
        config.expiry_sweep_interval = Duration::from_millis(50);
        config
    }

    pub async fn start_in_process(&self, config: InventoryConfig) -> anyhow::Result<InProcess> {
        InProcess::start(&self.client, ServiceName::Inventory.as_str(), |shutdown| {
            bikestore_inventory::run(config, shutdown)
        })
        .await
    }

    /// A stack with one in-process inventory using the default test configuration.
    pub async fn with_service() -> anyhow::Result<(Stack, InProcess)> {
        let stack = Stack::new().await?;
        let service = stack.start_in_process(stack.config()).await?;
        Ok((stack, service))
    }

    /// Starts the real `bikestore-inventory` binary as a child process.
    pub fn spawn_process(
        &self,
        name: &str,
        extra_env: &[(&str, &str)],
    ) -> anyhow::Result<ChildProcess> {
        ChildProcess::service(
            "bikestore-inventory",
            &self.nats.url(),
            self.data.path(),
            name,
            extra_env,
        )
    }

    /// One store, one brand, one category, and one product with `stock` units in the store.
    pub async fn fixture(&self, stock: i64) -> anyhow::Result<Fixture> {
        let store_id = self
            .caller
            .call(&CreateStore {
                name: format!("Store {}", ulid::Ulid::new()),
                phone: String::new(),
                email: String::new(),
                street: String::new(),
                city: "Santa Cruz".into(),
                state: "CA".into(),
                zip_code: String::new(),
            })
            .await?
            .store_id;
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
        let product_id = self
            .caller
            .call(&CreateProduct {
                product: ProductFields {
                    name: format!("Trek 820 {}", ulid::Ulid::new()),
                    brand_id,
                    category_id,
                    model_year: 2019,
                    list_price: Cents(37_999),
                },
            })
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
        Ok(Fixture {
            store_id,
            product_id,
            brand_id,
            category_id,
        })
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Fixture {
    pub store_id: StoreId,
    pub product_id: ProductId,
    pub brand_id: bikestore_contracts::BrandId,
    pub category_id: bikestore_contracts::CategoryId,
}

/// Reads the first `count` events of type `E` from `stream`, waiting for them to arrive.
pub async fn events<E: bikestore_contracts::Event>(
    stack: &Stack,
    stream: &str,
    count: usize,
) -> anyhow::Result<Vec<E>> {
    use async_nats::jetstream::consumer::{DeliverPolicy, pull};
    use futures::StreamExt;
    let jetstream = async_nats::jetstream::new(stack.client.clone());
    let stream = jetstream.get_stream(stream).await?;
    let consumer = stream
        .create_consumer(pull::Config {
            filter_subject: stack.subjects.event_of::<E>(),
            deliver_policy: DeliverPolicy::All,
            ..Default::default()
        })
        .await?;
    let mut messages = consumer.messages().await?;
    let mut events = Vec::with_capacity(count);
    while events.len() < count {
        let message = tokio::time::timeout(READY, messages.next())
            .await
            .context("timed out waiting for events")?
            .context("the consumer ended")?
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        events.push(bikestore_codec::decode::<E>(
            bikestore_codec::ContentType::Json,
            None,
            &message.payload,
            usize::MAX,
        )?);
        message
            .ack()
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))?;
    }
    Ok(events)
}

/// How many messages the stream holds on `subject`.
pub async fn count_on_subject(stack: &Stack, stream: &str, subject: &str) -> anyhow::Result<u64> {
    let jetstream = async_nats::jetstream::new(stack.client.clone());
    let stream = jetstream.get_stream(stream).await?;
    let info = stream.info_with_subjects(subject).await?;
    let mut total = 0;
    use futures::StreamExt;
    let mut info = info;
    while let Some(entry) = info.next().await {
        total += entry.map_err(|error| anyhow::anyhow!("{error}"))?.1 as u64;
    }
    Ok(total)
}
