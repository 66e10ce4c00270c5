//! The `:` command palette: a line of text that names a screen or an action, for what is
//! quicker typed than navigated (`:order 1620`, `:store 2`, `:q`).

use bikestore_contracts::identity::Role;
use bikestore_contracts::sagas::SagaId;
use bikestore_contracts::{ErrorCode, OrderId, StoreId};

use super::{App, Overlay, Tab, orders, sagas};
use crate::console::event::{Command, UiError};

/// Every palette command and what it does, for the palette's own list.
pub const COMMANDS: &[(&str, &str)] = &[
    (
        "dashboard, orders, sagas, feed, stock, catalog, customers, staff, system",
        "go to that screen",
    ),
    ("order <id>", "open an order"),
    ("new", "start a new order"),
    ("saga <id>", "open a saga (managers)"),
    ("store <id>|all", "work for a store (admins)"),
    ("logout", "log out"),
    ("q, quit", "quit"),
];

/// Runs one palette line.
pub fn run(app: &mut App, line: &str) -> Vec<Command> {
    let mut words = line.split_whitespace();
    let verb = words.next().unwrap_or_default().to_lowercase();
    let argument = words.next();
    let screen = match verb.as_str() {
        "dashboard" | "home" => Some(Tab::Dashboard),
        "orders" => Some(Tab::Orders),
        "sagas" => Some(Tab::Sagas),
        "feed" | "notifications" => Some(Tab::Notifications),
        "stock" => Some(Tab::Stock),
        "catalog" | "products" => Some(Tab::Catalog),
        "staff" => Some(Tab::Staff),
        "system" | "health" => Some(Tab::System),
        "customers" | "clients" => Some(Tab::Customers),
        _ => None,
    };
    if let Some(tab) = screen {
        if app.visible_tabs().contains(&tab) {
            return app.open_tab(tab);
        }
        app.fail(UiError::new(
            ErrorCode::Forbidden,
            format!("your role has no {} screen", tab.title()),
        ));
        return Vec::new();
    }
    match (verb.as_str(), argument) {
        ("q" | "quit", _) => {
            app.quit = true;
            Vec::new()
        }
        ("logout", _) => app.logout(),
        ("order", Some(id)) => match id.trim_start_matches('#').parse() {
            Ok(id) => {
                let mut commands = app.open_tab(Tab::Orders);
                commands.extend(orders::open(app, OrderId(id)));
                commands
            }
            Err(_) => invalid(app, "an order number, like :order 1620"),
        },
        ("new", _) => {
            let mut commands = app.open_tab(Tab::Orders);
            commands.extend(super::order_form::open(app));
            commands
        }
        ("saga", Some(id)) if app.visible_tabs().contains(&Tab::Sagas) => {
            let mut commands = app.open_tab(Tab::Sagas);
            commands.extend(sagas::open(app, SagaId(id.to_owned())));
            commands
        }
        ("store", Some(which)) if app.role() == Some(Role::Admin) => {
            let store_id = match which {
                "all" => None,
                number => match number.parse() {
                    Ok(id) if app.stores.iter().any(|store| store.store_id == StoreId(id)) => {
                        Some(StoreId(id))
                    }
                    _ => return invalid(app, "a store number (see the dashboard), or all"),
                },
            };
            app.set_store(store_id)
        }
        _ => invalid(app, &format!("no command {line:?}; the palette lists them")),
    }
}

fn invalid(app: &mut App, message: &str) -> Vec<Command> {
    app.fail(UiError::new(ErrorCode::Invalid, message));
    Vec::new()
}

/// Opens the palette.
pub fn open(app: &mut App) {
    app.overlay = Overlay::Palette(super::text_input::TextInput::default());
}
