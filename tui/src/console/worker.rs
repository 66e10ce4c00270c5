//! The worker: runs the state's [`Command`]s on tokio tasks and answers with events over the
//! loop's channel, so the screen never waits on the network.
//!
//! It owns the NATS connection (reconnecting for ever, its state reported as
//! [`BackendEvent::Connected`]/[`BackendEvent::Disconnected`]) and the logged-in
//! [`Session`]. Every call goes through the client library's signed session; live feeds are NATS
//! subscriptions to the event subjects `contracts` names, decoded as the JSON the services
//! publish. Every task is owned by a `JoinSet` and aborted when the console closes.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bikestore_client::{CallOptions, Client, ClientError, Session};
use bikestore_contracts::identity::ListStaff;
use bikestore_contracts::inventory::{
    GetProduct, ListProducts, ListStores, LowStock, MAX_PAGE_LIMIT, Page, StockChanged, StockLow,
    StoreStock,
};
use bikestore_contracts::notifications::{ListNotifications, Notification};
use bikestore_contracts::orders::{ListOrders, OrderStatus};
use bikestore_contracts::sagas::{GetSaga, SagaProgressed, SagaStats};
use bikestore_contracts::{Cents, ErrorCode, Subjects};
use futures::StreamExt;
use serde::de::DeserializeOwned;
use tokio::sync::mpsc::Sender;
use tokio::task::JoinSet;

use super::Options;
use super::event::{BackendEvent, Command, DashboardData, Event, Operation, UiError};

/// How many orders of today the dashboard reads to add up the revenue.
const DASHBOARD_ORDERS: u32 = 500;
/// How many low-stock lines the dashboard shows at most.
const DASHBOARD_LOW_STOCK: u32 = 50;
/// How many notifications the feed reads.
const FEED_PAGE: u32 = 100;
/// How many stock levels the order form reads for its store.
const STOCK_PAGE: u32 = 500;

/// How long the worker waits before connecting again, at first and at most.
const RECONNECT_FIRST: Duration = Duration::from_millis(500);
const RECONNECT_MOST: Duration = Duration::from_secs(10);
/// How often the connection state is looked at for the status line. The client library owns
/// the connection and its reconnects; this only reports what it sees.
const CONNECTION_CHECK: Duration = Duration::from_millis(500);

/// What every task shares: the connection and the session, once there.
#[derive(Clone)]
struct Shared {
    client: Arc<OnceLock<Client>>,
    session: Arc<Mutex<Option<Session>>>,
    session_file: PathBuf,
    events: Sender<Event>,
}

impl Shared {
    fn client(&self) -> Result<Client, UiError> {
        self.client.get().cloned().ok_or_else(|| {
            UiError::new(
                ErrorCode::Unavailable,
                "not connected to NATS yet; retrying",
            )
        })
    }

    fn session(&self) -> Result<Session, UiError> {
        let session = self
            .session
            .lock()
            .map_err(|_| UiError::new(ErrorCode::Internal, "the session lock was poisoned"))?
            .clone();
        session.ok_or_else(|| UiError::new(ErrorCode::Unauthorized, "not logged in"))
    }

    fn set_session(&self, session: Option<Session>) {
        if let Ok(mut slot) = self.session.lock() {
            *slot = session;
        }
    }

    async fn send(&self, event: BackendEvent) {
        // The loop is gone only when the console is closing; nothing is left to tell.
        let _ = self.events.send(Event::Backend(event)).await;
    }

    async fn answer(&self, operation: Operation, result: Result<BackendEvent, UiError>) {
        match result {
            Ok(event) => self.send(event).await,
            Err(error) => self.send(BackendEvent::Failed { operation, error }).await,
        }
    }
}

/// Runs commands in the background.
pub struct Worker {
    shared: Shared,
    tasks: JoinSet<()>,
    live: JoinSet<()>,
    following_all_sagas: bool,
}

impl Worker {
    /// Starts connecting (retrying until it works) and then looks for a saved session. Must be
    /// called inside the console's runtime.
    pub fn start(options: &Options, events: Sender<Event>) -> Worker {
        let shared = Shared {
            client: Arc::new(OnceLock::new()),
            session: Arc::new(Mutex::new(None)),
            session_file: options.session_file.clone(),
            events,
        };
        let mut worker = Worker {
            shared: shared.clone(),
            tasks: JoinSet::new(),
            live: JoinSet::new(),
            following_all_sagas: false,
        };
        worker.tasks.spawn(connect(shared, options.clone()));
        worker
    }

    /// Writes the session to its file if its tokens are newer than the file's: at exit, a call
    /// cut short may have refreshed them without saving.
    pub async fn save_session(&self) {
        if let Ok(session) = self.shared.session()
            && let Err(error) = session.save_if_newer().await
        {
            let warning = UiError::new(
                error.code(),
                format!("the refreshed session was not saved: {error}"),
            );
            self.shared.send(BackendEvent::Warning(warning)).await;
        }
    }

    /// Stops every task: the console is closing.
    pub fn shutdown(&mut self) {
        self.tasks.abort_all();
        self.live.abort_all();
    }

    /// Runs one command on its own task.
    pub fn execute(&mut self, command: Command) {
        // Finished tasks are collected here, so the set only holds running ones.
        while self.tasks.try_join_next().is_some() {}
        let shared = self.shared.clone();
        match command {
            Command::Subscribe {
                store_id,
                all_sagas,
            } => self.subscribe(store_id, all_sagas),
            Command::WatchSaga(saga_id) => {
                let follow = !self.following_all_sagas;
                self.tasks.spawn(watch_saga(shared, saga_id, follow));
            }
            Command::Login { username, password } => {
                self.tasks.spawn(async move {
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
                });
            }
            Command::Logout => {
                self.live.abort_all();
                self.tasks.spawn(async move {
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
                });
            }
            other => {
                self.tasks.spawn(async move { call(&shared, other).await });
            }
        }
    }

    /// Replaces the live feeds with those of `store_id` (all stores when `None`).
    fn subscribe(&mut self, store_id: Option<bikestore_contracts::StoreId>, all_sagas: bool) {
        self.live.abort_all();
        self.following_all_sagas = all_sagas;
        let shared = &self.shared;
        let Ok(client) = shared.client() else {
            return;
        };
        let subjects: &Subjects = client.subjects();
        self.live.spawn(follow(
            shared.clone(),
            subjects.event_of::<StockChanged>(),
            |changed: StockChanged| Some(BackendEvent::StockChanged(changed.level)),
        ));
        self.live.spawn(follow(
            shared.clone(),
            subjects.event_of::<StockLow>(),
            |low: StockLow| Some(BackendEvent::StockLow(low)),
        ));
        let notifications = match store_id {
            Some(store_id) => subjects.live_store_notifications(store_id),
            None => subjects.live_notifications(),
        };
        self.live.spawn(follow(
            shared.clone(),
            notifications,
            |notification: Notification| Some(BackendEvent::Notification(notification)),
        ));
        if all_sagas {
            self.live.spawn(follow(
                shared.clone(),
                subjects.saga_progress_all(),
                |progress: SagaProgressed| Some(BackendEvent::SagaProgressed(progress)),
            ));
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Connects through the client library (which sets the console's inbox prefix and
/// credentials), retrying with backoff until it works; then restores a saved session and reports
/// the connection state whenever it changes.
async fn connect(shared: Shared, options: Options) {
    let mut wait = RECONNECT_FIRST;
    let client = loop {
        match Client::connect_with_credentials(
            &options.nats_url,
            options.nats_credentials.as_deref(),
            options.subjects.clone(),
        )
        .await
        {
            Ok(client) => break client,
            Err(error) => {
                shared
                    .send(BackendEvent::Disconnected(format!(
                        "{} ({error})",
                        options.nats_url
                    )))
                    .await;
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(RECONNECT_MOST);
            }
        }
    };
    let _ = shared.client.set(client.clone());
    shared.send(BackendEvent::Connected).await;
    // Reading a small file; the runtime has threads to spare for it.
    match Session::load_from(client.clone(), &shared.session_file) {
        Ok(session) => {
            let staff = session.whoami().clone();
            // The CLI shares the file: every refresh is coordinated through it.
            let session = session.kept_in(&shared.session_file);
            shared.set_session(Some(session));
            shared.send(BackendEvent::SessionRestored(staff)).await;
        }
        Err(_) => shared.send(BackendEvent::NeedsLogin).await,
    }
    let mut connected = true;
    let mut checks = tokio::time::interval(CONNECTION_CHECK);
    loop {
        checks.tick().await;
        let now = client.nats().connection_state() == async_nats::connection::State::Connected;
        if now != connected {
            connected = now;
            let event = if now {
                BackendEvent::Connected
            } else {
                BackendEvent::Disconnected("connection lost; reconnecting".to_owned())
            };
            shared.send(event).await;
        }
    }
}

/// Decodes a live event: the services publish them as JSON (`Content-Type` says so).
fn decode_event<T: DeserializeOwned>(payload: &[u8]) -> Option<T> {
    serde_json::from_slice(payload).ok()
}

/// Forwards every message on `subject` that decodes and that `map` keeps.
async fn follow<T, F>(shared: Shared, subject: String, map: F)
where
    T: DeserializeOwned,
    F: Fn(T) -> Option<BackendEvent> + Send + 'static,
{
    let Ok(client) = shared.client() else {
        return;
    };
    let mut subscriber = match client.nats().subscribe(subject.clone()).await {
        Ok(subscriber) => subscriber,
        Err(error) => {
            shared
                .send(BackendEvent::Warning(UiError::new(
                    ErrorCode::Unavailable,
                    format!("live updates from {subject} are off: {error}"),
                )))
                .await;
            return;
        }
    };
    while let Some(message) = subscriber.next().await {
        if let Some(event) = decode_event::<T>(&message.payload).and_then(&map) {
            shared.send(event).await;
        }
    }
}

/// Reads one saga and, unless every saga is followed already, follows its progress until it
/// ends. The subscription comes first, so no step between the read and it is missed.
async fn watch_saga(shared: Shared, saga_id: bikestore_contracts::sagas::SagaId, follow: bool) {
    let subscriber = match shared.client() {
        Ok(client) if follow => {
            let subject = client.subjects().saga_progress(&saga_id.0);
            client.nats().subscribe(subject).await.ok()
        }
        _ => None,
    };
    let record = match shared.session() {
        Ok(session) => session
            .call(&GetSaga {
                saga_id: saga_id.clone(),
            })
            .await
            .map_err(UiError::from),
        Err(error) => Err(error),
    };
    let ended = matches!(&record, Ok(record) if record.state.is_terminal());
    shared
        .answer(Operation::Saga, record.map(BackendEvent::Saga))
        .await;
    let Some(mut subscriber) = subscriber else {
        return;
    };
    if ended {
        return;
    }
    while let Some(message) = subscriber.next().await {
        if let Some(progress) = decode_event::<SagaProgressed>(&message.payload) {
            let terminal = progress.state.is_terminal();
            shared.send(BackendEvent::SagaProgressed(progress)).await;
            if terminal {
                return;
            }
        }
    }
}

/// Runs a request-and-reply command and sends its answer.
async fn call(shared: &Shared, command: Command) {
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
            session.call(&SagaStats {}).await.map(Some)
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
