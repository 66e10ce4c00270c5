//! What flows through the console's one event loop: terminal input and ticks in, backend results
//! and live NATS events in, and the commands the state asks the worker to run.
//!
//! These are plain data: the state ([`super::app`]) turns an [`Event`] into new state and a list
//! of [`Command`]s; the worker ([`super::worker`]) runs the commands off the UI thread and answers
//! with [`BackendEvent`]s. Nothing here does IO.

use bikestore_client::ClientError;
use bikestore_contracts::health::SystemHealthReport;
use bikestore_contracts::identity::{
    ChangeStaffRole, CreateStaff, DeactivateStaff, Password, ResetPassword, StaffName, StaffSaved,
    StaffSummary,
};
use bikestore_contracts::inventory::{
    AdjustStock, CreateProduct, ListProducts, Product, ProductDetail, ProductPage, ProductSaved,
    ReceiveStock, StockLevel, StockLow, Store, UpdateProduct,
};
use bikestore_contracts::notifications::Notification;
use bikestore_contracts::orders::{
    CreateCustomer, CustomerPage, CustomerSaved, ListOrders, Order, OrderPage, SearchCustomers,
};
use bikestore_contracts::sagas::{
    CancelOrder, ListSagas, PlaceOrder, SagaId, SagaList, SagaProgressed, SagaRecord, SagaStarted,
    SagaStatsReport, TransferStock,
};
use bikestore_contracts::{ErrorCode, OrderId, ProductId, StaffId, StoreId};
use ratatui::crossterm::event::KeyEvent;

/// One thing the event loop hands to the state.
// A few events a second pass through a bounded channel: boxing the large answers would cost
// an allocation each for no measurable gain.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Event {
    /// A key was pressed.
    Key(KeyEvent),
    /// The terminal changed size; the next draw follows it.
    Resize,
    /// Time passed: spinners turn, the clock moves on.
    Tick {
        /// The wall clock, in milliseconds since the Unix epoch.
        now_ms: i64,
    },
    /// The worker answered, or a live event arrived.
    Backend(BackendEvent),
    /// Ctrl-C from outside the terminal (SIGINT): leave at once.
    Interrupt,
}

/// A failure as the console shows it: the stable code to branch on and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiError {
    /// The wire code; the state branches on this, never on the message.
    pub code: ErrorCode,
    /// What to tell the user.
    pub message: String,
}

impl UiError {
    /// An error with a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> UiError {
        UiError {
            code,
            message: message.into(),
        }
    }
}

impl From<ClientError> for UiError {
    fn from(error: ClientError) -> UiError {
        let message = match error.wire() {
            Some(wire) => wire.message.clone(),
            None => error.to_string(),
        };
        UiError {
            code: error.code(),
            message,
        }
    }
}

/// Which request a failure belongs to, so the state can clear the right spinner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Logging in.
    Login,
    /// Reading the stores.
    Stores,
    /// Reading the dashboard's figures.
    Dashboard,
    /// Listing orders.
    Orders,
    /// Reading one order.
    Order,
    /// Searching customers for a new order.
    Customers,
    /// Searching products for a new order.
    Products,
    /// Reading a store's stock for a new order.
    Stock,
    /// Placing an order.
    PlaceOrder,
    /// Cancelling an order.
    CancelOrder,
    /// Listing sagas.
    Sagas,
    /// Reading one saga.
    Saga,
    /// Retrying or resolving a saga.
    SagaAction,
    /// Reading the notifications.
    Notifications,
    /// Receiving, adjusting or transferring stock.
    StockChange,
    /// Listing the staff.
    Staff,
    /// Reading the catalog.
    Catalog,
    /// Reading one product.
    Product,
    /// Adding a customer.
    CustomerChange,
    /// Adding or editing a product.
    CatalogChange,
    /// Adding, changing or deactivating a member of staff.
    StaffChange,
    /// Naming members of staff (an order's seller).
    StaffNames,
    /// Reading the system's health (admins).
    SystemHealth,
}

/// The figures of the dashboard, read in one go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardData {
    /// Orders placed since the start of the local day.
    pub orders_today: u64,
    /// What today's confirmed and completed orders bring in, in cents.
    pub revenue_today: bikestore_contracts::Cents,
    /// Today's orders that are still pending.
    pub pending_today: u64,
    /// Today's rejected orders.
    pub rejected_today: u64,
    /// Saga counts per state; `None` when the role may not read them.
    pub saga_stats: Option<SagaStatsReport>,
    /// Stock at or below the low-stock threshold.
    pub low_stock: Vec<StockLevel>,
}

/// What the worker tells the state.
#[derive(Debug)]
pub enum BackendEvent {
    /// NATS is reachable.
    Connected,
    /// NATS is not reachable; the worker keeps trying.
    Disconnected(String),
    /// A saved session was found and is used.
    SessionRestored(StaffSummary),
    /// No usable saved session: the login screen is needed.
    NeedsLogin,
    /// A login succeeded.
    LoggedIn(StaffSummary),
    /// The session ended (logout, or the server refused it).
    LoggedOut,
    /// The chain's stores.
    Stores(Vec<Store>),
    /// The dashboard's figures.
    Dashboard(DashboardData),
    /// A page of orders, for the request with this ticket.
    Orders {
        /// The ticket of the request, so a late answer to an older filter is dropped.
        ticket: u64,
        /// The page.
        page: OrderPage,
    },
    /// One order with its lines and history.
    Order(Order),
    /// Customers matching a search, for the request with this ticket.
    Customers {
        /// The request's ticket.
        ticket: u64,
        /// The matches.
        page: CustomerPage,
    },
    /// Products matching a search, for the request with this ticket.
    Products {
        /// The request's ticket.
        ticket: u64,
        /// The matches.
        page: ProductPage,
    },
    /// A store's stock levels.
    StoreStock {
        /// The store.
        store_id: StoreId,
        /// Its levels.
        levels: Vec<StockLevel>,
    },
    /// The place-order saga started.
    OrderPlaced(SagaStarted),
    /// The cancel-order saga started.
    CancelStarted(SagaStarted),
    /// A list of sagas.
    Sagas(SagaList),
    /// One saga record.
    Saga(SagaRecord),
    /// A retry or resolve went through; the record after it.
    SagaActionDone(SagaRecord),
    /// The newest notifications.
    Notifications(Vec<Notification>),
    /// A customer was added.
    CustomerSaved(CustomerSaved),
    /// Every member of staff (admins).
    Staff(Vec<StaffSummary>),
    /// Members' names by number.
    StaffNames(Vec<StaffName>),
    /// The system's health.
    SystemHealth(SystemHealthReport),
    /// The catalog.
    Catalog(Vec<Product>),
    /// One product with its stock in every store.
    Product(ProductDetail),
    /// A product was added or edited.
    ProductSaved(ProductSaved),
    /// A member of staff was added, changed or deactivated.
    StaffSaved(StaffSaved),
    /// Stock was received or adjusted; the level after it.
    StockUpdated(StockLevel),
    /// A transfer saga started.
    TransferStarted(SagaStarted),
    /// Live: a saga changed.
    SagaProgressed(SagaProgressed),
    /// Live: a stock level changed.
    StockChanged(StockLevel),
    /// Live: stock ran low.
    StockLow(StockLow),
    /// Live: a notification for a store.
    Notification(Notification),
    /// Something worth telling that is not a failed request (a session not saved, a live
    /// feed that could not start).
    Warning(UiError),
    /// A request failed.
    Failed {
        /// Which one.
        operation: Operation,
        /// Why.
        error: UiError,
    },
}

/// What the state asks the worker to do. Each runs on its own task and answers with a
/// [`BackendEvent`].
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Log in and keep the session in the session file.
    Login {
        /// The username.
        username: String,
        /// The password; its `Debug` prints `***`.
        password: Password,
    },
    /// End the session and forget it.
    Logout,
    /// Read the stores.
    LoadStores,
    /// Read the dashboard: for one store, or all when `None`.
    LoadDashboard {
        /// The store.
        store_id: Option<StoreId>,
        /// The start of the local day, in milliseconds since the Unix epoch.
        since_ms: i64,
        /// Whether to read saga statistics (managers and admins only).
        with_sagas: bool,
    },
    /// List orders.
    LoadOrders {
        /// The request's ticket.
        ticket: u64,
        /// The filter.
        request: ListOrders,
    },
    /// Read one order.
    LoadOrder(OrderId),
    /// Search customers.
    SearchCustomers {
        /// The request's ticket.
        ticket: u64,
        /// The search.
        request: SearchCustomers,
    },
    /// Search products.
    SearchProducts {
        /// The request's ticket.
        ticket: u64,
        /// The search.
        request: ListProducts,
    },
    /// Read a store's whole stock.
    LoadStoreStock(StoreId),
    /// Start a place-order saga, then follow it.
    PlaceOrder {
        /// The order; its card is sent once and never kept.
        request: Box<PlaceOrder>,
        /// Makes a resent order the same saga.
        idempotency_key: String,
    },
    /// Start a cancel-order saga.
    CancelOrder(CancelOrder),
    /// List sagas.
    LoadSagas(ListSagas),
    /// Read one saga.
    LoadSaga(SagaId),
    /// Retry a stuck or failed saga.
    RetrySaga(SagaId),
    /// End a saga by hand.
    ResolveSaga {
        /// The saga.
        saga_id: SagaId,
        /// Why.
        reason: String,
    },
    /// Add a customer.
    CreateCustomer(CreateCustomer),
    /// Name these members of staff.
    LoadStaffNames(Vec<StaffId>),
    /// Read the system's health (admins).
    LoadSystemHealth,
    /// List the staff.
    LoadStaff {
        /// Deactivated members too.
        include_inactive: bool,
    },
    /// Read the whole catalog.
    LoadCatalog,
    /// Read one product with its stock in every store.
    LoadProduct(ProductId),
    /// Add a product to the catalog.
    CreateProduct(CreateProduct),
    /// Replace a product's fields.
    UpdateProduct(UpdateProduct),
    /// Add a member of staff.
    CreateStaff(CreateStaff),
    /// Change a member's role or store.
    ChangeStaffRole(ChangeStaffRole),
    /// Give a member a new password.
    ResetPassword(ResetPassword),
    /// Stop a member from logging in.
    DeactivateStaff(DeactivateStaff),
    /// Book goods that arrived.
    ReceiveStock(ReceiveStock),
    /// Correct a stock level with a reason.
    AdjustStock(AdjustStock),
    /// Start a transfer saga, then follow it.
    TransferStock {
        /// The transfer.
        request: TransferStock,
        /// Makes a resent transfer the same saga.
        idempotency_key: String,
    },
    /// Read the newest notifications of a store, or all.
    LoadNotifications(Option<StoreId>),
    /// Follow one saga's progress live (and read its record once, so nothing is missed).
    WatchSaga(SagaId),
    /// Follow the live feeds the role may see (stock, orders, sagas, notifications).
    Subscribe {
        /// The store whose stock and notifications to follow, or all when `None`.
        store_id: Option<StoreId>,
        /// The member's own store, the only one whose live feeds NATS lets its console read;
        /// `None` for admins, who may read every store's. Sagas are followed in this scope, since
        /// a saga on screen may be another store's than the one worked for.
        member_store: Option<StoreId>,
        /// Whether to follow every saga of that scope (managers and admins).
        all_sagas: bool,
    },
}
