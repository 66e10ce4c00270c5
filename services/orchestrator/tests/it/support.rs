//! The stack under test: the participants and the orchestrator in-process (the harness's
//! system), with timeouts and backoffs in milliseconds.

use bikestore_orchestrator::engine::record::at_first_step;
use std::time::Duration;

use bikestore_contracts::inventory::{
    CreateBrand, CreateCategory, CreateProduct, CreateStore, GetProduct, ProductFields,
    ReceiveStock, StockLevel,
};
use bikestore_contracts::orders::{CreateCustomer, CustomerFields, OrderLine, TokenizeCard};
use bikestore_contracts::sagas::{
    CancelOrderSaga, GetSaga, PlaceOrderSaga, SagaId, SagaPayload, SagaProgressed, SagaRecord,
    SagaState, TransferStockSaga,
};
use bikestore_contracts::{
    Cents, CustomerId, OrderId, ProductId, ReservationId, ServiceName, StaffId, StoreId, Subjects,
};
use bikestore_harness::{Configs, System};
use bikestore_runtime::call::Caller;

/// The list price of every product [`Stack::store_with_stock`] creates.
pub const LIST_PRICE: Cents = Cents(50_000);

/// The harness's system running the chosen services, with the operator's view of it.
pub struct Stack {
    pub system: System,
    pub client: async_nats::Client,
    pub caller: Caller,
}

/// Fast steps (2 s timeout, three attempts, millisecond backoffs) and a 300 ms payment
/// provider timeout, so the card that never answers times out fast.
fn fast(configs: &mut Configs) {
    let orchestrator = &mut configs.orchestrator;
    orchestrator.step_timeout = Duration::from_secs(2);
    orchestrator.max_attempts = 3;
    orchestrator.initial_backoff = Duration::from_millis(20);
    orchestrator.max_backoff = Duration::from_millis(100);
    configs.orders.provider_timeout = Duration::from_millis(300);
}

/// The next progress event a subscription receives, and the subject it came on.
pub async fn next_progress(
    progress: &mut async_nats::Subscriber,
) -> anyhow::Result<(String, SagaProgressed)> {
    use futures::StreamExt;
    let message = tokio::time::timeout(Duration::from_secs(20), progress.next())
        .await?
        .ok_or_else(|| anyhow::anyhow!("the progress subscription ended"))?;
    let event = bikestore_codec::decode(
        bikestore_codec::ContentType::Json,
        None,
        &message.payload,
        usize::MAX,
    )?;
    Ok((message.subject.to_string(), event))
}

/// A cancel-order record at its first step, as an orchestrator of `version` writes it.
pub fn cancel_order_record(saga_id: &str, version: u32, order_id: OrderId) -> SagaRecord {
    let payload = SagaPayload::CancelOrder(CancelOrderSaga {
        order_id,
        reason: "kept by hand".into(),
        store_id: None,
        reservation_id: None,
    });
    at_first_step(SagaId(saga_id.into()), "cancel_order", version, payload, 1)
}

/// A place-order record at its first step, as an orchestrator of `version` writes it at
/// intake, never driven yet.
pub fn place_order_record(saga_id: &str, version: u32, saga: PlaceOrderSaga) -> SagaRecord {
    SagaRecord {
        definition: "place_order".into(),
        payload: SagaPayload::PlaceOrder(saga),
        created_at_ms: bikestore_runtime::now_ms(),
        updated_at_ms: bikestore_runtime::now_ms(),
        ..cancel_order_record(saga_id, version, OrderId(0))
    }
}

/// A transfer of two units at its first step, as an intake writes it, with nobody driving it.
pub fn transfer_record(
    saga_id: &SagaId,
    source: StoreId,
    destination: StoreId,
    product_id: ProductId,
) -> SagaRecord {
    SagaRecord {
        saga_id: saga_id.clone(),
        definition: "transfer_stock".into(),
        payload: SagaPayload::TransferStock(TransferStockSaga {
            from_store_id: source,
            to_store_id: destination,
            product_id,
            quantity: 2,
            reservation_id: Some(ReservationId(format!("transfer-{saga_id}"))),
        }),
        ..cancel_order_record(&saga_id.0, 1, bikestore_contracts::OrderId(1))
    }
}

impl Stack {
    /// Every participant and one orchestrator.
    pub async fn everything() -> anyhow::Result<Stack> {
        Stack::with(&[
            ServiceName::Inventory,
            ServiceName::Orders,
            ServiceName::Notifications,
            ServiceName::Orchestrator,
        ])
        .await
    }

    /// `services` only.
    pub async fn with(services: &[ServiceName]) -> anyhow::Result<Stack> {
        Stack::configured(services, |_| {}).await
    }

    /// `services` only, with configurations changed by `adjust` after the fast defaults.
    pub async fn configured(
        services: &[ServiceName],
        adjust: impl FnOnce(&mut Configs) + 'static,
    ) -> anyhow::Result<Stack> {
        let system = System::builder()
            .configure(fast)
            .configure(adjust)
            .services(services)
            .start()
            .await?;
        Ok(Stack {
            client: system.client().clone(),
            caller: system.caller().clone(),
            system,
        })
    }

    /// Stops every service, the last started first.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.system.stop().await
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

    /// Subscribes to a saga's progress events, whatever its store; subscribe before acting,
    /// then await.
    pub async fn follow(&self, saga_id: &SagaId) -> anyhow::Result<async_nats::Subscriber> {
        Ok(self
            .client
            .subscribe(Subjects::default().live_saga_progress_any_store(&saga_id.0))
            .await?)
    }

    /// Waits for a followed saga to end (or get stuck); returns the state it ended in.
    pub async fn until_ended(
        &self,
        mut progress: async_nats::Subscriber,
    ) -> anyhow::Result<SagaState> {
        loop {
            let (_, event) = next_progress(&mut progress).await?;
            if event.state.is_terminal() || event.state == SagaState::Stuck {
                return Ok(event.state);
            }
        }
    }

    /// Puts `record` into the bucket as the JSON some orchestrator wrote, and queues it as
    /// work; answers its revision.
    pub async fn keep_and_queue(
        &self,
        saga_id: &SagaId,
        record: &serde_json::Value,
    ) -> anyhow::Result<u64> {
        let subjects = Subjects::default();
        let jetstream = async_nats::jetstream::new(self.client.clone());
        let bucket = jetstream.get_key_value(subjects.sagas_bucket()).await?;
        let revision = bucket
            .create(&saga_id.0, serde_json::to_vec(record)?.into())
            .await?;
        jetstream
            .publish(subjects.saga_work(&saga_id.0), "".into())
            .await?
            .await?;
        Ok(revision)
    }

    /// What an intake would record for one unit of `product_id` paid with the card
    /// `card_number`: the line priced at the catalog's price and the card exchanged for a
    /// token.
    pub async fn place_order_payload(
        &self,
        customer_id: CustomerId,
        store_id: StoreId,
        product_id: ProductId,
        card_number: &str,
    ) -> anyhow::Result<PlaceOrderSaga> {
        let token = self
            .caller
            .call(&TokenizeCard {
                card: crate::place_order::card(card_number),
            })
            .await?;
        Ok(PlaceOrderSaga {
            customer_id,
            store_id,
            staff_id: StaffId(1),
            lines: vec![OrderLine {
                product_id,
                quantity: 1,
                list_price: LIST_PRICE,
                discount_percent: 0,
                product_name: None,
            }],
            card_token: token.token,
            order_id: None,
            total: None,
            reservation_id: None,
            payment_id: None,
            captured: false,
            failure_reason: None,
            reserve_as: Some(bikestore_orchestrator::sagas::place_order::fresh_reservation_id()),
        })
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
            list_price: LIST_PRICE,
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
            ..CreateStore::default()
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
