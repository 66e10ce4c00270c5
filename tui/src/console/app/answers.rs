//! The backend's answers: the connection, the session (restored, logged in, ended), and every
//! other answer handed to each screen, with a failed request shown where it was waited for.

use bikestore_contracts::ErrorCode;
use bikestore_contracts::identity::StaffSummary;

use super::{
    App, Connection, Overlay, Tab, catalog, customers, dashboard, load, login, notifications,
    orders, sagas, staff, stock, system,
};
use crate::console::event::{BackendEvent, Command, Operation, UiError};

impl App {
    pub(super) fn on_backend(&mut self, event: BackendEvent) -> Vec<Command> {
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
            BackendEvent::StaffNames(names) => {
                self.staff_names.extend(
                    names
                        .into_iter()
                        .map(|member| (member.staff_id, member.name)),
                );
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
                commands.extend(system::on_backend(self, &other));
                commands
            }
        }
    }

    /// Ends the session here and at identity, and shows the login form.
    pub fn logout(&mut self) -> Vec<Command> {
        self.staff = None;
        self.login = login::LoginForm::default();
        self.overlay = Overlay::None;
        self.inform("logged out");
        vec![Command::Logout]
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
            // Without a name the number is shown, as before it arrived.
            Operation::Stores | Operation::StaffNames => {}
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
            Operation::SystemHealth => self.system.report = load::Load::Failed(error.clone()),
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
