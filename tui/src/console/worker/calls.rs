//! The worker's calls: logging in and out, and every request-and-reply command through the
//! signed session, each answered with its backend event or a failure naming its operation.

use bikestore_client::{CallOptions, ClientError, Session};
use bikestore_contracts::health::SystemHealth;
use bikestore_contracts::identity::{ListStaff, Password};
use bikestore_contracts::inventory::{
    GetProduct, ListProducts, ListStores, LowStock, MAX_PAGE_LIMIT, Page, StoreStock,
};
use bikestore_contracts::notifications::ListNotifications;
use bikestore_contracts::orders::{ListOrders, OrderStatus};
use bikestore_contracts::sagas::{GetSaga, SagaStats};
use bikestore_contracts::{Cents, ErrorCode};

use super::Shared;
use crate::console::event::{BackendEvent, Command, DashboardData, Operation, UiError};

/// How many orders of today the dashboard reads to add up the revenue.
const DASHBOARD_ORDERS: u32 = 500;
/// How many low-stock lines the dashboard shows at most.
const DASHBOARD_LOW_STOCK: u32 = 50;
/// How many notifications the feed reads.
const FEED_PAGE: u32 = 100;
/// How many stock levels the order form reads for its store.
const STOCK_PAGE: u32 = 500;

/// Logs in, keeps the session in its file (shared with the CLI) and tells the state who it is.
pub(super) async fn login(shared: Shared, username: String, password: Password) {
    let client = match shared.client() {
        Ok(client) => client,
        Err(error) => return shared.answer(Operation::Login, Err(error)).await,
    };
    match client.login(&username, password.expose()).await {
        Ok(session) => {
            let staff = session.whoami().clone();
            let saved = session.save_locked(&shared.session_file).await;
            let session = session.kept_in(&shared.session_file);
            shared.set_session(Some(session));
            shared.send(BackendEvent::LoggedIn(staff)).await;
            if let Err(error) = saved {
                shared
                    .send(BackendEvent::Warning(UiError::new(
                        error.code(),
                        format!("the session was not saved: {error}"),
                    )))
                    .await;
            }
        }
        Err(error) => {
            shared
                .answer(Operation::Login, Err(UiError::from(error)))
                .await;
        }
    }
}

/// Ends the session here and at identity, and forgets its file.
pub(super) async fn logout(shared: Shared) {
    let session = shared.session().ok();
    shared.set_session(None);
    if let Some(session) = session {
        // Logged out locally either way; a failure only leaves the refresh
        // token to expire on its own.
        let _ = session.logout().await;
    }
    let path = shared.session_file.clone();
    let _ = tokio::task::spawn_blocking(move || std::fs::remove_file(path)).await;
    shared.send(BackendEvent::LoggedOut).await;
}

/// Runs a request-and-reply command and sends its answer.
pub(super) async fn call(shared: &Shared, command: Command) {
    let session = match shared.session() {
        Ok(session) => session,
        Err(error) => {
            shared
                .send(BackendEvent::Failed {
                    operation: operation_of(&command),
                    error,
                })
                .await;
            return;
        }
    };
    let operation = operation_of(&command);
    let result = run_call(&session, command).await;
    shared.answer(operation, result).await;
}

fn operation_of(command: &Command) -> Operation {
    match command {
        Command::Login { .. } | Command::Logout => Operation::Login,
        Command::LoadStores => Operation::Stores,
        Command::LoadDashboard { .. } => Operation::Dashboard,
        Command::LoadOrders { .. } => Operation::Orders,
        Command::LoadOrder(_) => Operation::Order,
        Command::SearchCustomers { .. } => Operation::Customers,
        Command::SearchProducts { .. } => Operation::Products,
        Command::LoadStoreStock(_) => Operation::Stock,
        Command::PlaceOrder { .. } => Operation::PlaceOrder,
        Command::CancelOrder(_) => Operation::CancelOrder,
        Command::LoadSagas(_) => Operation::Sagas,
        Command::LoadSaga(_) | Command::WatchSaga(_) => Operation::Saga,
        Command::RetrySaga(_) | Command::ResolveSaga { .. } => Operation::SagaAction,
        Command::LoadNotifications(_) => Operation::Notifications,
        Command::ReceiveStock(_) | Command::AdjustStock(_) | Command::TransferStock { .. } => {
            Operation::StockChange
        }
        Command::LoadStaff { .. } => Operation::Staff,
        Command::LoadStaffNames(_) => Operation::StaffNames,
        Command::LoadSystemHealth => Operation::SystemHealth,
        Command::CreateCustomer(_) => Operation::CustomerChange,
        Command::LoadCatalog => Operation::Catalog,
        Command::LoadProduct(_) => Operation::Product,
        Command::CreateProduct(_) | Command::UpdateProduct(_) => Operation::CatalogChange,
        Command::CreateStaff(_)
        | Command::ChangeStaffRole(_)
        | Command::ResetPassword(_)
        | Command::DeactivateStaff(_) => Operation::StaffChange,
        Command::Subscribe { .. } => Operation::Notifications,
    }
}

async fn run_call(session: &Session, command: Command) -> Result<BackendEvent, UiError> {
    let event = match command {
        Command::LoadStores => BackendEvent::Stores(session.call(&ListStores {}).await?.stores),
        Command::LoadDashboard {
            store_id,
            since_ms,
            with_sagas,
        } => BackendEvent::Dashboard(dashboard(session, store_id, since_ms, with_sagas).await?),
        Command::LoadOrders { ticket, request } => BackendEvent::Orders {
            ticket,
            page: session.call(&request).await?,
        },
        Command::LoadOrder(order_id) => BackendEvent::Order(
            session
                .call(&bikestore_contracts::orders::GetOrder { order_id })
                .await?,
        ),
        Command::SearchCustomers { ticket, request } => BackendEvent::Customers {
            ticket,
            page: session.call(&request).await?,
        },
        Command::SearchProducts { ticket, request } => BackendEvent::Products {
            ticket,
            page: session.call(&request).await?,
        },
        Command::LoadStoreStock(store_id) => BackendEvent::StoreStock {
            store_id,
            levels: session
                .call(&StoreStock {
                    store_id,
                    page: Page {
                        offset: 0,
                        limit: STOCK_PAGE,
                    },
                })
                .await?
                .levels,
        },
        Command::PlaceOrder {
            request,
            idempotency_key,
        } => BackendEvent::OrderPlaced(
            session
                .call_with(
                    request.as_ref(),
                    CallOptions {
                        idempotency_key: Some(idempotency_key),
                        ..CallOptions::default()
                    },
                )
                .await?,
        ),
        Command::CancelOrder(request) => BackendEvent::CancelStarted(session.call(&request).await?),
        Command::LoadSagas(request) => BackendEvent::Sagas(session.call(&request).await?),
        Command::LoadSaga(saga_id) => BackendEvent::Saga(session.call(&GetSaga { saga_id }).await?),
        Command::RetrySaga(saga_id) => BackendEvent::SagaActionDone(
            session
                .call(&bikestore_contracts::sagas::RetrySaga { saga_id })
                .await?,
        ),
        Command::ResolveSaga { saga_id, reason } => BackendEvent::SagaActionDone(
            session
                .call(&bikestore_contracts::sagas::ResolveSaga { saga_id, reason })
                .await?,
        ),
        Command::LoadNotifications(store_id) => BackendEvent::Notifications(
            session
                .call(&ListNotifications {
                    store_id,
                    page: Page {
                        offset: 0,
                        limit: FEED_PAGE,
                    },
                    ..ListNotifications::default()
                })
                .await?
                .notifications,
        ),
        Command::CreateCustomer(request) => {
            BackendEvent::CustomerSaved(session.call(&request).await?)
        }
        Command::LoadSystemHealth => {
            BackendEvent::SystemHealth(session.call(&SystemHealth {}).await?)
        }
        Command::LoadStaffNames(staff_ids) => BackendEvent::StaffNames(
            session
                .call(&bikestore_contracts::identity::StaffNames { staff_ids })
                .await?
                .names,
        ),
        Command::LoadStaff { include_inactive } => BackendEvent::Staff(
            session
                .call(&ListStaff {
                    store_id: None,
                    include_inactive,
                    page: Page {
                        offset: 0,
                        limit: MAX_PAGE_LIMIT,
                    },
                })
                .await?
                .staff,
        ),
        Command::LoadCatalog => BackendEvent::Catalog(
            session
                .call(&ListProducts {
                    page: Page {
                        offset: 0,
                        limit: MAX_PAGE_LIMIT,
                    },
                    ..ListProducts::default()
                })
                .await?
                .products,
        ),
        Command::LoadProduct(product_id) => {
            BackendEvent::Product(session.call(&GetProduct { product_id }).await?)
        }
        Command::CreateProduct(request) => {
            BackendEvent::ProductSaved(session.call(&request).await?)
        }
        Command::UpdateProduct(request) => {
            BackendEvent::ProductSaved(session.call(&request).await?)
        }
        Command::CreateStaff(request) => BackendEvent::StaffSaved(session.call(&request).await?),
        Command::ChangeStaffRole(request) => {
            BackendEvent::StaffSaved(session.call(&request).await?)
        }
        Command::ResetPassword(request) => BackendEvent::StaffSaved(session.call(&request).await?),
        Command::DeactivateStaff(request) => {
            BackendEvent::StaffSaved(session.call(&request).await?)
        }
        Command::ReceiveStock(request) => {
            BackendEvent::StockUpdated(session.call(&request).await?.level)
        }
        Command::AdjustStock(request) => {
            BackendEvent::StockUpdated(session.call(&request).await?.level)
        }
        Command::TransferStock {
            request,
            idempotency_key,
        } => BackendEvent::TransferStarted(
            session
                .call_with(
                    &request,
                    CallOptions {
                        idempotency_key: Some(idempotency_key),
                        ..CallOptions::default()
                    },
                )
                .await?,
        ),
        // These never reach here: `execute` runs them itself.
        Command::Login { .. }
        | Command::Logout
        | Command::WatchSaga(_)
        | Command::Subscribe { .. } => {
            return Err(UiError::new(
                ErrorCode::Internal,
                "a command went the wrong way",
            ));
        }
    };
    Ok(event)
}

/// Reads the dashboard's three parts at once.
async fn dashboard(
    session: &Session,
    store_id: Option<bikestore_contracts::StoreId>,
    since_ms: i64,
    with_sagas: bool,
) -> Result<DashboardData, ClientError> {
    let todays_orders = ListOrders {
        store_id,
        from_ms: Some(since_ms),
        page: Page {
            offset: 0,
            limit: DASHBOARD_ORDERS,
        },
        ..ListOrders::default()
    };
    let low_stock_query = LowStock {
        store_id,
        threshold: None,
        page: Page {
            offset: 0,
            limit: DASHBOARD_LOW_STOCK,
        },
    };
    let orders = session.call(&todays_orders);
    let low_stock = session.call(&low_stock_query);
    let stats = async {
        if with_sagas {
            session.call(&SagaStats::default()).await.map(Some)
        } else {
            Ok(None)
        }
    };
    let (orders, low_stock, stats) = tokio::join!(orders, low_stock, stats);
    let orders = orders?;
    let count = |status: OrderStatus| {
        orders
            .orders
            .iter()
            .filter(|order| order.status == status)
            .count() as u64
    };
    let revenue = orders
        .orders
        .iter()
        .filter(|order| {
            matches!(
                order.status,
                OrderStatus::Processing | OrderStatus::Completed
            )
        })
        .map(|order| order.total.0)
        .sum();
    Ok(DashboardData {
        orders_today: orders.total,
        revenue_today: Cents(revenue),
        pending_today: count(OrderStatus::Pending),
        rejected_today: count(OrderStatus::Rejected),
        saga_stats: stats?,
        low_stock: low_stock?.levels,
    })
}
