//! One case's world: a system of its own, the customer, stores, product and order the saga
//! needs, the fault put on its participant, and the saga run to its end (checks.rs checks it).

use std::time::Duration;

use anyhow::Context;
use bikestore_contracts::inventory::{
    CreateBrand, CreateCategory, CreateProduct, CreateStore, ProductFields, ReceiveStock,
};
use bikestore_contracts::orders::{
    Card, ChangeOrderStatus, CreateCustomer, CustomerFields, OrderStatus,
};
use bikestore_contracts::sagas::{
    CancelOrder, GetSaga, PlaceOrder, PlaceOrderLine, RetrySaga, SagaId, SagaRecord, SagaState,
    TransferStock,
};
use bikestore_contracts::{Cents, CustomerId, ErrorCode, ProductId, ServiceName, StaffId, StoreId};
use bikestore_harness::{Configs, System};
use bikestore_runtime::config::{ENV_FAULT, Fault as Injected};
use bikestore_testkit::{eventually, wait_for_service};

use crate::cases::{Case, End, Fault, Refusal, Saga};

/// Units each case's store starts with.
pub const STOCK: i64 = 5;
/// Units each saga moves.
pub const QUANTITY: i64 = 2;
/// The orchestrator's step timeout.
const STEP_TIMEOUT: Duration = Duration::from_millis(2_000);
/// How long a late reply is held: well past the step timeout.
const LATE_MS: u64 = 4_000;
/// How long a case may take to settle.
const SETTLE: Duration = Duration::from_secs(60);
/// How many cases run at once.
const AT_ONCE: usize = 3;

const APPROVES: &str = "4242 4242 4242 4242";
const DECLINED: &str = "4000 0000 0000 0002";

/// Runs `cases`, a few at a time; answers a description of each one that failed.
pub async fn run_all(cases: Vec<Case>) -> Vec<String> {
    use futures::StreamExt;
    futures::stream::iter(cases)
        .map(|case| async move {
            run(case)
                .await
                .with_context(|| format!("{:?} at {} ({})", case.fault, case.step, case.operation))
                .err()
                .map(|error| format!("{error:#}"))
        })
        .buffer_unordered(AT_ONCE)
        .filter_map(|failure| async move { failure })
        .collect()
        .await
}

/// The orchestrator's steps for `fault`: fast, with attempts enough to outlast a restart, or
/// a single one when the outcome must stay unknown.
fn settings(fault: Fault) -> impl FnOnce(&mut Configs) {
    move |configs| {
        let orchestrator = &mut configs.orchestrator;
        orchestrator.step_timeout = STEP_TIMEOUT;
        orchestrator.lease = STEP_TIMEOUT + Duration::from_millis(1_500);
        orchestrator.initial_backoff = Duration::from_millis(50);
        orchestrator.max_backoff = Duration::from_millis(250);
        orchestrator.max_attempts = match fault {
            Fault::Crash => 60,
            Fault::LateOnce => 1,
            Fault::Refusal | Fault::LateRetried => 3,
        };
        configs.orders.provider_timeout = Duration::from_millis(300);
    }
}

/// What a case made before its saga started.
pub struct World {
    pub customer_id: CustomerId,
    pub store_id: StoreId,
    pub other_store_id: StoreId,
    pub product_id: ProductId,
    /// The order a cancel cancels, placed and confirmed beforehand.
    pub order_id: Option<bikestore_contracts::OrderId>,
}

async fn run(case: Case) -> anyhow::Result<()> {
    let participants = [
        ServiceName::Inventory,
        ServiceName::Orders,
        ServiceName::Notifications,
        ServiceName::Orchestrator,
    ];
    let mut system = System::builder()
        .configure(settings(case.fault))
        .services(&participants)
        .start()
        .await?;
    let world = World::make(&system, case).await?;
    let injected = match (case.fault, case.refusal) {
        (Fault::Refusal, Some(Refusal::Unavailable)) => {
            Some(Injected::FailOperation(case.operation.into()))
        }
        (Fault::Refusal, _) | (Fault::Crash, _) => None,
        (Fault::LateRetried | Fault::LateOnce, _) => Some(Injected::ReplyLate(
            case.operation.into(),
            Duration::from_millis(LATE_MS),
        )),
    };
    if let Some(injected) = injected {
        restart_in_process(&mut system, case.service, Some(injected)).await?;
    }
    let mut crashing = match case.fault {
        Fault::Crash => {
            system.stop_service(case.service).await?;
            let fault = format!("crash_after_commit={}", case.operation);
            let process = system.spawn_process(case.service, &[(ENV_FAULT, fault.as_str())])?;
            wait_for_service(
                system.client(),
                case.service.as_str(),
                bikestore_testkit::SERVICE_READY,
            )
            .await?;
            Some(process)
        }
        _ => None,
    };
    let saga_id = world.start(&system, case).await?;
    if let Some(process) = &mut crashing {
        let status = tokio::time::timeout(SETTLE, process.wait())
            .await
            .context("the participant never crashed")??;
        anyhow::ensure!(
            !status.success(),
            "the participant exited instead of crashing"
        );
        system.start_process(case.service, &[]).await?;
    }
    let mut saga = settled(&system, &saga_id).await?;
    anyhow::ensure!(
        saga.state == case.settles,
        "the saga settled {:?}, not {:?}: {:?}\n{:#?}",
        saga.state,
        case.settles,
        saga.error,
        saga.history
    );
    // The fault did strike: the step saw no answer in time, or none at all.
    if case.fault != Fault::Refusal || case.refusal == Some(Refusal::Unavailable) {
        let struck = saga.history.iter().any(|entry| {
            entry.step == case.step
                && entry.error.as_ref().is_some_and(|error| {
                    matches!(error.code, ErrorCode::Timeout | ErrorCode::Unavailable)
                })
        });
        anyhow::ensure!(struck, "the step never met its fault: {:#?}", saga.history);
    }
    if saga.state == SagaState::Stuck {
        // The operator's way out: the participant back without its fault, then a retry.
        restart_in_process(&mut system, case.service, None).await?;
        system
            .caller()
            .call(&RetrySaga {
                saga_id: saga_id.clone(),
            })
            .await?;
        saga = settled(&system, &saga_id).await?;
        let ends = match case.end {
            End::Completed => SagaState::Completed,
            _ => SagaState::Failed,
        };
        anyhow::ensure!(
            saga.state == ends,
            "retried, the saga ended {:?}: {:?}",
            saga.state,
            saga.history
        );
    }
    world
        .check(&system, case)
        .await
        .with_context(|| format!("history: {:#?}", saga.history))?;
    drop(crashing);
    system.stop().await
}

/// Stops the in-process `service` and starts it again with `fault`.
async fn restart_in_process(
    system: &mut System,
    service: ServiceName,
    fault: Option<Injected>,
) -> anyhow::Result<()> {
    system.stop_service(service).await?;
    let configs = system.configs_mut();
    match service {
        ServiceName::Orders => configs.orders.common.fault = fault,
        ServiceName::Inventory => configs.inventory.common.fault = fault,
        other => anyhow::bail!("no case puts a fault on {other}"),
    }
    system.start_service(service).await
}

/// The saga once it has ended or got stuck.
async fn settled(system: &System, saga_id: &SagaId) -> anyhow::Result<SagaRecord> {
    eventually("the saga to settle", SETTLE, async || {
        let saga = system
            .caller()
            .call(&GetSaga {
                saga_id: saga_id.clone(),
            })
            .await
            .ok()?;
        (saga.state.is_terminal() || saga.state == SagaState::Stuck).then_some(saga)
    })
    .await
}

fn card(number: &str) -> Card {
    Card {
        number: number.into(),
        expiry_month: 12,
        expiry_year: 2031,
        cvc: "123".into(),
        holder: "Debra Burks".into(),
    }
}

fn place_order(world: &World, quantity: i64, number: &str, wait_ms: Option<u64>) -> PlaceOrder {
    PlaceOrder {
        customer_id: world.customer_id,
        store_id: world.store_id,
        staff_id: StaffId(1),
        lines: vec![PlaceOrderLine {
            product_id: world.product_id,
            quantity,
            discount_percent: 0,
            list_price: None,
        }],
        card: card(number),
        wait_ms,
    }
}

impl World {
    async fn make(system: &System, case: Case) -> anyhow::Result<World> {
        let caller = system.caller();
        let unique = ulid::Ulid::new();
        let customer = CustomerFields {
            first_name: "Debra".into(),
            last_name: "Burks".into(),
            email: format!("debra.{unique}@example.com"),
            phone: String::new(),
            street: String::new(),
            city: String::new(),
            state: String::new(),
            zip_code: String::new(),
        };
        let customer_id = caller.call(&CreateCustomer { customer }).await?.customer_id;
        let store = |name: &str| CreateStore {
            name: format!("{name} {unique}"),
            ..CreateStore::default()
        };
        let store_id = caller.call(&store("Source")).await?.store_id;
        let other_store_id = caller.call(&store("Destination")).await?.store_id;
        let brand_id = caller
            .call(&CreateBrand {
                name: format!("Brand {unique}"),
            })
            .await?
            .brand_id;
        let category_id = caller
            .call(&CreateCategory {
                name: format!("Category {unique}"),
            })
            .await?
            .category_id;
        let product = ProductFields {
            name: format!("Bike {unique}"),
            brand_id,
            category_id,
            model_year: 2019,
            list_price: Cents(50_000),
        };
        let product_id = caller.call(&CreateProduct { product }).await?.product_id;
        caller
            .call(&ReceiveStock {
                store_id,
                product_id,
                quantity: STOCK,
            })
            .await?;
        let mut world = World {
            customer_id,
            store_id,
            other_store_id,
            product_id,
            order_id: None,
        };
        if case.saga == Saga::CancelOrder {
            let placed = caller
                .call(&place_order(&world, QUANTITY, APPROVES, Some(30_000)))
                .await?;
            anyhow::ensure!(
                placed.state == SagaState::Completed,
                "the order to cancel was not placed: {:?}",
                placed.error
            );
            let order_id = placed.order_id.context("a placed order without an ID")?;
            if case.refusal == Some(Refusal::CompletedOrder) {
                caller
                    .call(&ChangeOrderStatus {
                        order_id,
                        to: OrderStatus::Completed,
                        reason: None,
                    })
                    .await?;
            }
            world.order_id = Some(order_id);
        }
        Ok(world)
    }

    /// Starts the case's saga without waiting for it.
    async fn start(&self, system: &System, case: Case) -> anyhow::Result<SagaId> {
        let caller = system.caller();
        let started = match case.saga {
            Saga::PlaceOrder => {
                let mut request = place_order(self, QUANTITY, APPROVES, None);
                match case.refusal {
                    Some(Refusal::UnknownCustomer) => request.customer_id = CustomerId(i64::MAX),
                    Some(Refusal::TooMany) => request.lines[0].quantity = STOCK + 1,
                    Some(Refusal::DeclinedCard) => request.card = card(DECLINED),
                    _ => {}
                }
                caller.call(&request).await?
            }
            Saga::CancelOrder => {
                caller
                    .call(&CancelOrder {
                        order_id: self.order_id.context("no order to cancel")?,
                        reason: "the customer changed their mind".into(),
                        wait_ms: None,
                    })
                    .await?
            }
            Saga::TransferStock => {
                let mut request = TransferStock {
                    from_store_id: self.store_id,
                    to_store_id: self.other_store_id,
                    product_id: self.product_id,
                    quantity: QUANTITY,
                    wait_ms: None,
                };
                match case.refusal {
                    Some(Refusal::TooMany) => request.quantity = STOCK + 1,
                    Some(Refusal::UnknownDestination) => request.to_store_id = StoreId(i64::MAX),
                    _ => {}
                }
                caller.call(&request).await?
            }
        };
        Ok(started.saga_id)
    }
}
