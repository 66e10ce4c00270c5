//! The tabs and where the console works: which screens a role sees, moving between them, and
//! the admin's store scope, each change reading the data it needs.

use bikestore_contracts::StoreId;
use bikestore_contracts::identity::Role;

use super::{
    App, ListFilter, catalog, customers, dashboard, load, notifications, orders, sagas, staff,
    stock, system,
};
use crate::console::event::Command;

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
    /// The system's health (admins).
    System,
}

impl Tab {
    /// Every tab, in order.
    pub const ALL: [Tab; 9] = [
        Tab::Dashboard,
        Tab::Orders,
        Tab::Sagas,
        Tab::Notifications,
        Tab::Stock,
        Tab::Catalog,
        Tab::Customers,
        Tab::Staff,
        Tab::System,
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
            Tab::System => "System",
        }
    }

    /// A shorter title, for narrow terminals.
    pub fn short_title(self) -> &'static str {
        match self {
            Tab::Dashboard => "Dash",
            Tab::Notifications => "Feed",
            Tab::Customers => "Clients",
            Tab::System => "Sys",
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
            Tab::Staff | Tab::System => role == Role::Admin,
            Tab::Sagas => matches!(role, Role::Manager | Role::Admin),
        }
    }
}

impl App {
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

    pub(super) fn step_tab(&mut self, step: isize) -> Vec<Command> {
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
            Tab::System if matches!(self.system.report, load::Load::Idle) => system::reload(self),
            _ => Vec::new(),
        }
    }

    /// An admin's store scope moves on: all stores, then each store in turn.
    pub(super) fn next_store(&mut self) -> Vec<Command> {
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
    pub(super) fn reload_all(&mut self) -> Vec<Command> {
        self.dashboard = dashboard::DashboardState::default();
        self.orders = orders::OrdersState::default();
        self.sagas = sagas::SagasState::default();
        self.notifications = notifications::NotificationsState::default();
        self.stock = stock::StockState::default();
        self.catalog = catalog::CatalogState::default();
        self.staff_screen = staff::StaffState::default();
        self.customers = customers::CustomersState::default();
        self.system = system::SystemState::default();
        let mut commands = vec![Command::Subscribe {
            store_id: self.store_id,
            member_store: self.member_store(),
            all_sagas: self.is_manager(),
        }];
        commands.extend(self.open_tab(self.tab));
        commands
    }
}
