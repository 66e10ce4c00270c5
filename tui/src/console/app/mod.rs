//! The console's state and its one `update`: every key, tick and backend answer goes through
//! [`App::update`], which changes the state and answers the [`Command`]s the worker must run.
//!
//! This is pure: no IO, no clock, no `.await`, so every key path is unit-tested by feeding events
//! and reading the state back. Screens draw this state and never change it. Per-screen state and
//! keys live in the submodules, and so do the shell's concerns: key routing ([`routing`]), tabs
//! ([`tabs`]), windows over the screen ([`overlay`]), the `/` filter ([`filter`]) and backend
//! answers ([`answers`]). This file holds the state itself and the status line.

pub mod answers;
pub mod catalog;
pub mod customers;
pub mod dashboard;
pub mod filter;
pub mod load;
pub mod login;
pub mod notifications;
pub mod order_form;
pub mod orders;
pub mod overlay;
pub mod palette;
pub mod routing;
pub mod sagas;
pub mod staff;
pub mod stock;
pub mod system;
pub mod tabs;
pub mod text_input;

use std::collections::BTreeMap;

use bikestore_contracts::identity::{Role, StaffSummary};
use bikestore_contracts::inventory::Store;
use bikestore_contracts::{ErrorCode, StaffId, StoreId};

use crate::console::event::{Command, Event, UiError};
use crate::console::keys::Place;
use crate::console::theme::Theme;
pub use filter::ListFilter;
pub use overlay::{Confirm, ConfirmAction, Overlay};
pub use tabs::Tab;

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

/// The whole state of the console.
#[derive(Debug, Clone)]
pub struct App {
    /// Colours or not.
    pub theme: Theme,
    /// The wall clock as of the last tick, in milliseconds since the Unix epoch.
    pub now_ms: i64,
    /// The offset from UTC of the store's clocks: times show, and the dashboard's day starts,
    /// at it. UTC unless set ([`App::with_utc_offset`]).
    pub utc_offset: time::UtcOffset,
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
    /// Members' names read for the screens that name them (an order's seller).
    pub staff_names: BTreeMap<StaffId, String>,
    /// The customers screen.
    pub customers: customers::CustomersState,
    /// The System screen (admins).
    pub system: system::SystemState,
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
            utc_offset: time::UtcOffset::UTC,
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
            staff_names: BTreeMap::new(),
            customers: customers::CustomersState::default(),
            system: system::SystemState::default(),
            filter: ListFilter::default(),
            status: None,
            overlay: Overlay::None,
            quit: false,
            next_ticket: 0,
        }
    }

    /// The same app showing times, and starting days, at `offset` from UTC.
    pub fn with_utc_offset(mut self, offset: time::UtcOffset) -> App {
        self.utc_offset = offset;
        self
    }

    /// The logged-in member's role.
    pub fn role(&self) -> Option<Role> {
        self.staff.as_ref().map(|staff| staff.role)
    }

    /// The store the member belongs to, whose live feeds alone its console may read; `None`
    /// for admins (every store) and before a login.
    pub fn member_store(&self) -> Option<StoreId> {
        self.staff
            .as_ref()
            .filter(|staff| staff.role != Role::Admin)
            .and_then(|staff| staff.store_id)
    }

    /// Whether the member may cancel orders and repair sagas (managers and admins).
    pub fn is_manager(&self) -> bool {
        matches!(self.role(), Some(Role::Manager | Role::Admin))
    }

    /// The name of a store, or its number when the stores are not read yet.
    pub fn store_name(&self, store_id: StoreId) -> String {
        self.stores
            .iter()
            .find(|store| store.store_id == store_id)
            .map_or_else(|| format!("store {store_id}"), |store| store.name.clone())
    }

    /// The name of a member of staff, if known here: the logged-in member's own, one of the
    /// staff list an admin has read, or one asked for by number ([`App::staff_names`]).
    pub fn known_staff_name(&self, staff_id: StaffId) -> Option<&str> {
        let me = self.staff.iter().filter(|me| me.staff_id == staff_id);
        let listed = self
            .staff_screen
            .list
            .data()
            .into_iter()
            .flatten()
            .filter(|member| member.staff_id == staff_id);
        me.chain(listed)
            .next()
            .map(|member| member.name.as_str())
            .or_else(|| self.staff_names.get(&staff_id).map(String::as_str))
    }

    /// The name of a member of staff, or their number until the name is read.
    pub fn staff_name(&self, staff_id: StaffId) -> String {
        self.known_staff_name(staff_id)
            .map_or_else(|| format!("staff #{staff_id}"), str::to_owned)
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
            Tab::System => Place::System,
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
                system::on_tick(self)
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
}

#[cfg(test)]
pub(crate) mod tests;
