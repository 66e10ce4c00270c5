//! The console's state and its one `update`: every key, tick and backend answer goes through
//! [`App::update`], which changes the state and answers the [`Command`]s the worker must run.
//!
//! This is pure: no IO, no clock, no `.await`, so every key path is unit-tested by feeding events
//! and reading the state back. Screens draw this state and never change it. Per-screen state and
//! keys live in the submodules; this file holds the shell: login, tabs, overlays, status line.

pub mod catalog;
pub mod customers;
pub mod dashboard;
pub mod load;
pub mod login;
pub mod notifications;
pub mod order_form;
pub mod orders;
pub mod palette;
pub mod sagas;
pub mod staff;
pub mod stock;
pub mod text_input;

use bikestore_contracts::identity::{Role, StaffSummary};
use bikestore_contracts::inventory::Store;
use bikestore_contracts::sagas::SagaId;
use bikestore_contracts::{ErrorCode, OrderId, StaffId, StoreId};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::console::event::{BackendEvent, Command, Event, Operation, UiError};
use crate::console::keys::Place;
use crate::console::theme::Theme;
use text_input::TextInput;

/// The screens, shown as tabs. A closed list, matched exhaustively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Today's figures.
    Dashboard,
    /// Orders: list, detail, create.
    Orders,
    /// Sagas by state, with retry and resolve.
    Sagas,
    /// The live notifications feed.
    Notifications,
    /// The store's stock: receive, adjust, transfer.
    Stock,
    /// Products, with their stock in every store.
    Catalog,
    /// Customers: search, their orders, add one.
    Customers,
    /// Members of staff (admins).
    Staff,
}

impl Tab {
    /// Every tab, in order.
    pub const ALL: [Tab; 8] = [
        Tab::Dashboard,
        Tab::Orders,
        Tab::Sagas,
        Tab::Notifications,
        Tab::Stock,
        Tab::Catalog,
        Tab::Customers,
        Tab::Staff,
    ];

    /// The tab's title.
    pub fn title(self) -> &'static str {
        match self {
            Tab::Dashboard => "Dashboard",
            Tab::Orders => "Orders",
            Tab::Sagas => "Sagas",
            Tab::Notifications => "Notifications",
            Tab::Stock => "Stock",
            Tab::Catalog => "Catalog",
            Tab::Customers => "Customers",
            Tab::Staff => "Staff",
        }
    }

    /// A shorter title, for narrow terminals.
    pub fn short_title(self) -> &'static str {
        match self {
            Tab::Dashboard => "Dash",
            Tab::Notifications => "Feed",
            Tab::Customers => "Clients",
            other => other.title(),
        }
    }

    /// Whether `role` may use the screen; the gateway's table decides the same per operation.
    pub fn allowed(self, role: Role) -> bool {
        match self {
            Tab::Dashboard
            | Tab::Orders
            | Tab::Notifications
            | Tab::Stock
            | Tab::Catalog
            | Tab::Customers => true,
            Tab::Staff => role == Role::Admin,
            Tab::Sagas => matches!(role, Role::Manager | Role::Admin),
        }
    }
}

/// Whether the console can reach NATS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    /// Trying for the first time.
    Connecting,
    /// Connected.
    Connected,
    /// Lost or never made; the worker keeps trying.
    Disconnected(String),
}

/// The message line above the hint bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusMessage {
    /// Something went well.
    Info(String),
    /// Something failed.
    Error(UiError),
}

/// What a confirmation would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfirmAction {
    /// Cancel an order (a saga gives money and stock back).
    CancelOrder(OrderId),
    /// Retry a saga.
    RetrySaga(SagaId),
    /// End a saga by hand.
    ResolveSaga(SagaId),
    /// Stop a member of staff from logging in.
    DeactivateStaff(StaffId),
}

/// A question before anything destructive, with a reason where one is recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    /// What yes does.
    pub action: ConfirmAction,
    /// The question.
    pub prompt: String,
    /// The reason to record, when the action takes one.
    pub reason: Option<TextInput>,
}

/// A window over the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    /// Nothing over the screen.
    None,
    /// Help for the current place.
    Help,
    /// A confirmation question.
    Confirm(Confirm),
    /// The receive, adjust or transfer form of the stock screen.
    Stock(stock::StockForm),
    /// The `:` command palette, with what is typed.
    Palette(TextInput),
    /// The add-customer form.
    Customer(customers::CustomerForm),
    /// The add- or edit-product form of the catalog.
    Product(catalog::ProductForm),
    /// The add-member, role-and-store or password form of the staff screen.
    Staff(staff::StaffForm),
}

/// The `/` filter of the list on screen: rows whose text contains it, case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// What is typed.
    pub input: TextInput,
    /// Whether keys go to the filter.
    pub editing: bool,
}

impl ListFilter {
    /// Whether a row with `text` passes.
    pub fn matches(&self, text: &str) -> bool {
        let wanted = self.input.text().trim().to_lowercase();
        wanted.is_empty() || text.to_lowercase().contains(&wanted)
    }

    /// Whether any filter is set.
    pub fn is_active(&self) -> bool {
        !self.input.is_blank()
    }
}

/// The whole state of the console.
#[derive(Debug, Clone)]
pub struct App {
    /// Colours or not.
    pub theme: Theme,
    /// The wall clock as of the last tick, in milliseconds since the Unix epoch.
    pub now_ms: i64,
    /// Turns on every tick, for spinners.
    pub spinner: usize,
    /// Whether NATS is reachable.
    pub connection: Connection,
    /// Who is logged in; `None` shows the login screen.
    pub staff: Option<StaffSummary>,
    /// Whether the saved session was looked at yet (until then the login form waits).
    pub session_checked: bool,
    /// The login form.
    pub login: login::LoginForm,
    /// The screen shown.
    pub tab: Tab,
    /// The chain's stores.
    pub stores: Vec<Store>,
    /// The store the console works for: the member's own, or the one an admin chose (`None`:
    /// all stores).
    pub store_id: Option<StoreId>,
    /// The dashboard.
    pub dashboard: dashboard::DashboardState,
    /// The orders screen.
    pub orders: orders::OrdersState,
    /// The sagas screen.
    pub sagas: sagas::SagasState,
    /// The notifications feed.
    pub notifications: notifications::NotificationsState,
    /// The stock screen.
    pub stock: stock::StockState,
    /// The catalog.
    pub catalog: catalog::CatalogState,
    /// The staff screen.
    pub staff_screen: staff::StaffState,
    /// The customers screen.
    pub customers: customers::CustomersState,
    /// The `/` filter of the list on screen.
    pub filter: ListFilter,
    /// The message line.
    pub status: Option<StatusMessage>,
    /// A window over the screen.
    pub overlay: Overlay,
    /// Set when the user leaves.
    pub quit: bool,
    next_ticket: u64,
}

impl App {
    /// A console that has not connected yet.
    pub fn new(theme: Theme, now_ms: i64) -> App {
        App {
            theme,
            now_ms,
            spinner: 0,
            connection: Connection::Connecting,
            staff: None,
            session_checked: false,
            login: login::LoginForm::default(),
            tab: Tab::Dashboard,
            stores: Vec::new(),
            store_id: None,
            dashboard: dashboard::DashboardState::default(),
            orders: orders::OrdersState::default(),
            sagas: sagas::SagasState::default(),
            notifications: notifications::NotificationsState::default(),
            stock: stock::StockState::default(),
            catalog: catalog::CatalogState::default(),
            staff_screen: staff::StaffState::default(),
            customers: customers::CustomersState::default(),
            filter: ListFilter::default(),
            status: None,
            overlay: Overlay::None,
            quit: false,
            next_ticket: 0,
        }
    }

    /// The logged-in member's role.
    pub fn role(&self) -> Option<Role> {
        self.staff.as_ref().map(|staff| staff.role)
    }

    /// Whether the member may cancel orders and repair sagas (managers and admins).
    pub fn is_manager(&self) -> bool {
        matches!(self.role(), Some(Role::Manager | Role::Admin))
    }

    /// The tabs the member may use, in order.
    pub fn visible_tabs(&self) -> Vec<Tab> {
        match self.role() {
            Some(role) => Tab::ALL
                .into_iter()
                .filter(|tab| tab.allowed(role))
                .collect(),
            None => Vec::new(),
        }
    }

    /// The name of a store, or its number when the stores are not read yet.
    pub fn store_name(&self, store_id: StoreId) -> String {
        self.stores
            .iter()
            .find(|store| store.store_id == store_id)
            .map_or_else(|| format!("store {store_id}"), |store| store.name.clone())
    }

    /// Where the keyboard is now, for the hint bar and help.
    pub fn place(&self) -> Place {
        match &self.overlay {
            Overlay::Help => return Place::Help,
            Overlay::Confirm(confirm) if confirm.reason.is_some() => return Place::ConfirmReason,
            Overlay::Confirm(_) => return Place::Confirm,
            Overlay::Stock(_) => return Place::StockForm,
            Overlay::Palette(_) => return Place::Palette,
            Overlay::Customer(_) => return Place::CustomerForm,
            Overlay::Product(_) => return Place::ProductForm,
            Overlay::Staff(_) => return Place::StaffForm,
            Overlay::None => {}
        }
        if self.filter.editing {
            return Place::Filter;
        }
        if self.staff.is_none() {
            return Place::Login;
        }
        match self.tab {
            Tab::Dashboard => Place::Dashboard,
            Tab::Orders => self.orders.place(),
            Tab::Sagas => self.sagas.place(),
            Tab::Notifications => Place::Notifications,
            Tab::Stock => Place::Stock,
            Tab::Catalog if self.catalog.detail.is_some() => Place::CatalogDetail,
            Tab::Catalog => Place::Catalog,
            Tab::Staff => Place::Staff,
            Tab::Customers if self.customers.detail.is_some() => Place::CustomerDetail,
            Tab::Customers => Place::Customers,
        }
    }

    /// A fresh ticket for a request whose late answer must not overwrite a newer one.
    pub fn ticket(&mut self) -> u64 {
        self.next_ticket += 1;
        self.next_ticket
    }

    /// Shows an error in the status line.
    pub fn fail(&mut self, error: UiError) {
        self.status = Some(StatusMessage::Error(error));
    }

    /// Ends a form: sends its command and closes it, or says what to fix and keeps it open.
    pub fn submit_form(&mut self, checked: Result<Command, &str>) -> Vec<Command> {
        match checked {
            Err(message) => {
                self.fail(UiError::new(ErrorCode::Invalid, message));
                Vec::new()
            }
            Ok(command) => {
                self.overlay = Overlay::None;
                self.inform("saving…");
                vec![command]
            }
        }
    }

    /// Shows a message in the status line.
    pub fn inform(&mut self, message: impl Into<String>) {
        self.status = Some(StatusMessage::Info(message.into()));
    }

    /// Takes one event and answers what the worker must do.
    pub fn update(&mut self, event: Event) -> Vec<Command> {
        match event {
            Event::Tick { now_ms } => {
                self.now_ms = now_ms;
                self.spinner = self.spinner.wrapping_add(1);
                Vec::new()
            }
            Event::Resize => Vec::new(),
            Event::Interrupt => {
                self.quit = true;
                Vec::new()
            }
            Event::Key(key) => self.on_key(key),
            Event::Backend(backend) => self.on_backend(backend),
        }
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Command> {
        // Terminals that report releases would otherwise act twice per key.
        if key.kind == KeyEventKind::Release {
            return Vec::new();
        }
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            self.quit = true;
            return Vec::new();
        }
        match &mut self.overlay {
            Overlay::Help => {
                if matches!(
                    key.code,
                    KeyCode::Esc | KeyCode::Char('?') | KeyCode::Char('q') | KeyCode::Enter
                ) {
                    self.overlay = Overlay::None;
                }
                return Vec::new();
            }
            Overlay::Confirm(_) => return self.on_confirm_key(key),
            Overlay::Stock(_) => return stock::on_form_key(self, key),
            Overlay::Customer(_) => return customers::on_form_key(self, key),
            Overlay::Product(_) => return catalog::on_form_key(self, key),
            Overlay::Staff(_) => return staff::on_form_key(self, key),
            Overlay::Palette(input) => {
                match key.code {
                    KeyCode::Esc => self.overlay = Overlay::None,
                    KeyCode::Enter => {
                        let line = input.text().trim().to_owned();
                        self.overlay = Overlay::None;
                        return palette::run(self, &line);
                    }
                    _ => {
                        input.handle(key);
                    }
                }
                return Vec::new();
            }
            Overlay::None => {}
        }
        if self.staff.is_none() {
            return login::on_key(self, key);
        }
        if self.filter.editing {
            // Customers are too many to read at once: their filter is a search on the server.
            let searches = self.tab == Tab::Customers;
            match key.code {
                KeyCode::Enter => {
                    self.filter.editing = false;
                    if searches {
                        return customers::reload(self);
                    }
                }
                KeyCode::Esc => {
                    self.filter = ListFilter::default();
                    if searches {
                        return customers::reload(self);
                    }
                }
                _ => {
                    self.filter.input.handle(key);
                    self.clamp_selections();
                }
            }
            return Vec::new();
        }
        // A screen that is taking text sees the key first.
        if let Some(commands) = self.screen_key(key, true) {
            return commands;
        }
        match key.code {
            KeyCode::Char('?') => {
                self.overlay = Overlay::Help;
                Vec::new()
            }
            KeyCode::Char('q') => {
                self.quit = true;
                Vec::new()
            }
            KeyCode::Char('L') => self.logout(),
            KeyCode::Char('s') if self.role() == Some(Role::Admin) => self.next_store(),
            KeyCode::Char(':') => {
                palette::open(self);
                Vec::new()
            }
            KeyCode::Char('/') if self.filters_a_list() => {
                self.filter.editing = true;
                Vec::new()
            }
            KeyCode::Esc if self.filter.is_active() && self.filters_a_list() => {
                self.filter = ListFilter::default();
                Vec::new()
            }
            KeyCode::Char(digit @ '1'..='9') => {
                let index = digit as usize - '1' as usize;
                match self.visible_tabs().get(index) {
                    Some(tab) => self.open_tab(*tab),
                    None => Vec::new(),
                }
            }
            KeyCode::Tab | KeyCode::Right | KeyCode::Char('l') => self.step_tab(1),
            KeyCode::BackTab | KeyCode::Left | KeyCode::Char('h') => self.step_tab(-1),
            _ => self.screen_key(key, false).unwrap_or_default(),
        }
    }

    /// Hands a key to the current screen. With `typing`, only a screen whose focus is a text
    /// field takes it; answers `None` when the screen did not take it.
    fn screen_key(&mut self, key: KeyEvent, typing: bool) -> Option<Vec<Command>> {
        match self.tab {
            Tab::Dashboard => (!typing).then(|| dashboard::on_key(self, key)).flatten(),
            Tab::Orders => orders::on_key(self, key, typing),
            Tab::Sagas => (!typing).then(|| sagas::on_key(self, key)).flatten(),
            Tab::Notifications => (!typing)
                .then(|| notifications::on_key(self, key))
                .flatten(),
            Tab::Stock => (!typing).then(|| stock::on_key(self, key)).flatten(),
            Tab::Catalog => (!typing).then(|| catalog::on_key(self, key)).flatten(),
            Tab::Staff => (!typing).then(|| staff::on_key(self, key)).flatten(),
            Tab::Customers => (!typing).then(|| customers::on_key(self, key)).flatten(),
        }
    }

    /// Whether the screen shows a list the `/` filter applies to.
    fn filters_a_list(&self) -> bool {
        match self.tab {
            Tab::Dashboard => false,
            Tab::Sagas => self.sagas.view == sagas::SagasView::List,
            Tab::Orders => self.orders.view == orders::OrdersView::List,
            Tab::Notifications | Tab::Stock | Tab::Staff => true,
            Tab::Catalog => self.catalog.detail.is_none(),
            Tab::Customers => self.customers.detail.is_none(),
        }
    }

    /// Moves each highlight to the first row, which passes the new filter.
    fn clamp_selections(&mut self) {
        self.notifications.selected = 0;
        self.orders.selected = 0;
        self.sagas.selected = 0;
        self.stock.selected = 0;
        self.catalog.selected = 0;
        self.staff_screen.selected = 0;
        self.customers.selected = 0;
    }

    fn step_tab(&mut self, step: isize) -> Vec<Command> {
        let tabs = self.visible_tabs();
        let Some(position) = tabs.iter().position(|tab| *tab == self.tab) else {
            return Vec::new();
        };
        let count = tabs.len() as isize;
        let next = (position as isize + step).rem_euclid(count.max(1)) as usize;
        match tabs.get(next) {
            Some(tab) => self.open_tab(*tab),
            None => Vec::new(),
        }
    }

    /// Shows a tab, reading its data the first time.
    pub fn open_tab(&mut self, tab: Tab) -> Vec<Command> {
        if tab != self.tab {
            // A filter belongs to the list it was typed over.
            self.filter = ListFilter::default();
        }
        self.tab = tab;
        match tab {
            Tab::Dashboard if matches!(self.dashboard.data, load::Load::Idle) => {
                dashboard::reload(self)
            }
            Tab::Orders if matches!(self.orders.list, load::Load::Idle) => orders::reload(self),
            Tab::Sagas if matches!(self.sagas.list, load::Load::Idle) => sagas::reload(self),
            Tab::Notifications if matches!(self.notifications.list, load::Load::Idle) => {
                notifications::reload(self)
            }
            Tab::Stock if matches!(self.stock.list, load::Load::Idle) => stock::reload(self),
            Tab::Catalog if matches!(self.catalog.list, load::Load::Idle) => catalog::reload(self),
            Tab::Staff if matches!(self.staff_screen.list, load::Load::Idle) => staff::reload(self),
            Tab::Customers if matches!(self.customers.list, load::Load::Idle) => {
                customers::reload(self)
            }
            _ => Vec::new(),
        }
    }

    /// An admin's store scope moves on: all stores, then each store in turn.
    fn next_store(&mut self) -> Vec<Command> {
        let ids: Vec<StoreId> = self.stores.iter().map(|store| store.store_id).collect();
        let next = match self.store_id {
            None => ids.first().copied(),
            Some(current) => ids
                .iter()
                .position(|id| *id == current)
                .and_then(|index| ids.get(index + 1))
                .copied(),
        };
        self.set_store(next)
    }

    /// Ends the session here and at identity, and shows the login form.
    pub fn logout(&mut self) -> Vec<Command> {
        self.staff = None;
        self.login = login::LoginForm::default();
        self.overlay = Overlay::None;
        self.inform("logged out");
        vec![Command::Logout]
    }

    /// Works for `store_id` (all stores when `None`) and reads every screen again.
    pub fn set_store(&mut self, store_id: Option<StoreId>) -> Vec<Command> {
        self.store_id = store_id;
        let scope = match self.store_id {
            Some(store_id) => self.store_name(store_id),
            None => "all stores".to_owned(),
        };
        self.inform(format!("working for {scope}"));
        self.reload_all()
    }

    /// Reads every screen's data again (after a login or a change of store).
    fn reload_all(&mut self) -> Vec<Command> {
        self.dashboard = dashboard::DashboardState::default();
        self.orders = orders::OrdersState::default();
        self.sagas = sagas::SagasState::default();
        self.notifications = notifications::NotificationsState::default();
        self.stock = stock::StockState::default();
        self.catalog = catalog::CatalogState::default();
        self.staff_screen = staff::StaffState::default();
        self.customers = customers::CustomersState::default();
        let mut commands = vec![Command::Subscribe {
            store_id: self.store_id,
            all_sagas: self.is_manager(),
        }];
        commands.extend(self.open_tab(self.tab));
        commands
    }

    fn on_confirm_key(&mut self, key: KeyEvent) -> Vec<Command> {
        let Overlay::Confirm(confirm) = &mut self.overlay else {
            return Vec::new();
        };
        let typing = confirm.reason.is_some();
        match key.code {
            KeyCode::Esc => {
                self.overlay = Overlay::None;
                Vec::new()
            }
            KeyCode::Char('n') if !typing => {
                self.overlay = Overlay::None;
                Vec::new()
            }
            KeyCode::Enter => self.confirmed(),
            KeyCode::Char('y') if !typing => self.confirmed(),
            _ => {
                if let Some(reason) = &mut confirm.reason {
                    reason.handle(key);
                }
                Vec::new()
            }
        }
    }

    fn confirmed(&mut self) -> Vec<Command> {
        let Overlay::Confirm(confirm) = std::mem::replace(&mut self.overlay, Overlay::None) else {
            return Vec::new();
        };
        let reason = confirm
            .reason
            .as_ref()
            .map(|reason| reason.text().trim().to_owned());
        if reason.as_deref() == Some("") {
            self.fail(UiError::new(ErrorCode::Invalid, "a reason is needed"));
            self.overlay = Overlay::Confirm(confirm);
            return Vec::new();
        }
        let reason = reason.unwrap_or_default();
        match confirm.action {
            ConfirmAction::CancelOrder(order_id) => orders::cancel(self, order_id, reason),
            ConfirmAction::RetrySaga(saga_id) => sagas::retry(self, saga_id),
            ConfirmAction::ResolveSaga(saga_id) => sagas::resolve(self, saga_id, reason),
            ConfirmAction::DeactivateStaff(staff_id) => staff::deactivate(self, staff_id),
        }
    }

    fn on_backend(&mut self, event: BackendEvent) -> Vec<Command> {
        match event {
            BackendEvent::Connected => {
                self.connection = Connection::Connected;
                Vec::new()
            }
            BackendEvent::Disconnected(reason) => {
                self.connection = Connection::Disconnected(reason);
                Vec::new()
            }
            BackendEvent::NeedsLogin => {
                self.session_checked = true;
                Vec::new()
            }
            BackendEvent::SessionRestored(staff) | BackendEvent::LoggedIn(staff) => {
                self.logged_in(staff)
            }
            BackendEvent::LoggedOut => {
                self.staff = None;
                self.session_checked = true;
                Vec::new()
            }
            BackendEvent::Stores(stores) => {
                self.stores = stores;
                Vec::new()
            }
            BackendEvent::Warning(error) => {
                self.fail(error);
                Vec::new()
            }
            BackendEvent::Failed { operation, error } => self.failed(operation, error),
            other => {
                let mut commands = dashboard::on_backend(self, &other);
                commands.extend(orders::on_backend(self, &other));
                commands.extend(sagas::on_backend(self, &other));
                commands.extend(notifications::on_backend(self, &other));
                commands.extend(stock::on_backend(self, &other));
                commands.extend(customers::on_backend(self, &other));
                commands.extend(catalog::on_backend(self, &other));
                commands.extend(staff::on_backend(self, &other));
                commands
            }
        }
    }

    fn logged_in(&mut self, staff: StaffSummary) -> Vec<Command> {
        self.session_checked = true;
        self.login = login::LoginForm::default();
        self.store_id = staff.store_id;
        self.inform(format!("logged in as {} ({})", staff.name, staff.role));
        self.staff = Some(staff);
        self.tab = Tab::Dashboard;
        let mut commands = vec![Command::LoadStores];
        commands.extend(self.reload_all());
        commands
    }

    fn failed(&mut self, operation: Operation, error: UiError) -> Vec<Command> {
        if error.code == ErrorCode::Unauthorized && operation != Operation::Login {
            // The session ended on the server (expired refresh, logout elsewhere): log in again.
            self.staff = None;
            self.session_checked = true;
            self.fail(UiError::new(
                ErrorCode::Unauthorized,
                "your session has ended; please log in again",
            ));
            return Vec::new();
        }
        match operation {
            Operation::Login => login::failed(self, &error),
            Operation::Stores => {}
            Operation::Dashboard => self.dashboard.data = load::Load::Failed(error.clone()),
            Operation::Customers => {
                if self.customers.list.is_loading() {
                    self.customers.list = load::Load::Failed(error.clone());
                }
                orders::failed(self, operation, &error);
            }
            Operation::Orders
            | Operation::Order
            | Operation::Products
            | Operation::PlaceOrder
            | Operation::CancelOrder => orders::failed(self, operation, &error),
            Operation::Stock => {
                orders::failed(self, operation, &error);
                stock::failed(self, operation, &error);
            }
            Operation::Sagas | Operation::Saga | Operation::SagaAction => {
                sagas::failed(self, operation, &error)
            }
            Operation::Notifications => {
                self.notifications.list = load::Load::Failed(error.clone());
            }
            Operation::CustomerChange => orders::failed(self, operation, &error),
            Operation::StockChange | Operation::CatalogChange | Operation::StaffChange => {}
            Operation::Staff => self.staff_screen.list = load::Load::Failed(error.clone()),
            Operation::Catalog => self.catalog.list = load::Load::Failed(error.clone()),
            Operation::Product => {
                if self.catalog.detail.is_some() {
                    self.catalog.detail = Some(load::Load::Failed(error.clone()));
                }
            }
        }
        self.fail(error);
        Vec::new()
    }
}

#[cfg(test)]
pub(crate) mod tests;
