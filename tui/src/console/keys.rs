//! The key table: for each place in the console, the keys that work there and what they do.
//!
//! The hint bar shows the first few entries of the current place, and `?` help shows them all
//! with the global keys, so what the screen promises and what help says come from one list.
//! The state's key handling (in [`super::app`]) implements exactly these; its tests press them.

use bikestore_contracts::identity::Role;

/// Who a key is offered to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Every role.
    Anyone,
    /// Managers and admins.
    Manager,
    /// Admins only.
    Admin,
}

impl Needs {
    /// Whether `role` gets the key.
    pub fn allows(self, role: Option<Role>) -> bool {
        match self {
            Needs::Anyone => true,
            Needs::Manager => matches!(role, Some(Role::Manager | Role::Admin)),
            Needs::Admin => role == Some(Role::Admin),
        }
    }
}

/// One key and what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    /// The key as printed.
    pub keys: &'static str,
    /// What it does, in a few words.
    pub action: &'static str,
    /// Who it is offered to.
    pub needs: Needs,
}

const fn key(keys: &'static str, action: &'static str) -> Binding {
    Binding {
        keys,
        action,
        needs: Needs::Anyone,
    }
}

const fn manager_key(keys: &'static str, action: &'static str) -> Binding {
    Binding {
        keys,
        action,
        needs: Needs::Manager,
    }
}

const fn admin_key(keys: &'static str, action: &'static str) -> Binding {
    Binding {
        keys,
        action,
        needs: Needs::Admin,
    }
}

/// Where the keyboard is: each place has its own keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The login form.
    Login,
    /// The dashboard.
    Dashboard,
    /// The list of orders.
    OrderList,
    /// One order.
    OrderDetail,
    /// The new-order form, choosing a customer.
    FormCustomer,
    /// The new-order form, adding products.
    FormProducts,
    /// The new-order form, the cart.
    FormCart,
    /// The new-order form, the card.
    FormPayment,
    /// Watching a placed order's saga.
    FormWatching,
    /// The list of sagas.
    SagaList,
    /// One saga.
    SagaDetail,
    /// The notifications feed.
    Notifications,
    /// A yes-or-no question.
    Confirm,
    /// A question that records a reason: letters type into it.
    ConfirmReason,
    /// The help window.
    Help,
    /// The stock list.
    Stock,
    /// The receive, adjust or transfer form.
    StockForm,
    /// Typing the `/` filter.
    Filter,
    /// The catalog list.
    Catalog,
    /// One product.
    CatalogDetail,
    /// The staff list.
    Staff,
    /// The `:` command palette.
    Palette,
    /// The customers list.
    Customers,
    /// One customer and their orders.
    CustomerDetail,
    /// The add-customer form.
    CustomerForm,
    /// The add- or edit-product form.
    ProductForm,
    /// The add-member, role-and-store or password form.
    StaffForm,
}

/// Keys that work everywhere once logged in (outside text fields for the letters).
pub const GLOBAL: &[Binding] = &[
    key("1-9", "go to screen"),
    key("←→ h l", "previous / next screen"),
    key("Tab", "next pane, or next screen"),
    key("?", "help for this screen"),
    key(":", "command palette (:order 1620, :stock, :q)"),
    admin_key("s", "switch store (admins)"),
    key("L", "log out"),
    key("q", "quit"),
    key("Ctrl+C", "quit"),
];

/// The keys of one place, in the order the hint bar shows them.
pub fn bindings(place: Place) -> &'static [Binding] {
    match place {
        Place::Login => {
            const KEYS: &[Binding] = &[
                key("Tab ↑↓", "field"),
                key("Enter", "log in"),
                key("Ctrl+C", "quit"),
            ];
            KEYS
        }
        Place::Dashboard => {
            const KEYS: &[Binding] = &[key("g", "reload"), key("?", "help"), key("q", "quit")];
            KEYS
        }
        Place::OrderList => {
            const KEYS: &[Binding] = &[
                key("↑↓ j k", "move"),
                key("Enter", "open"),
                key("n", "new order"),
                key("f", "status filter"),
                key("/", "filter"),
                manager_key("c", "cancel"),
                key("g", "reload"),
            ];
            KEYS
        }
        Place::OrderDetail => {
            const KEYS: &[Binding] = &[
                key("Esc", "back"),
                manager_key("c", "cancel order"),
                key("g", "reload"),
            ];
            KEYS
        }
        Place::FormCustomer => {
            const KEYS: &[Binding] = &[
                key("type", "search"),
                key("Enter", "search / choose / add"),
                key("↑↓", "move"),
                key("Tab", "next pane"),
                key("Ctrl+S", "place order"),
                key("Esc", "back"),
            ];
            KEYS
        }
        Place::FormProducts => {
            const KEYS: &[Binding] = &[
                key("type", "search"),
                key("Enter", "search / add"),
                key("↑↓", "move"),
                key("Tab", "next pane"),
                key("Ctrl+S", "place order"),
                key("Esc", "back"),
            ];
            KEYS
        }
        Place::FormCart => {
            const KEYS: &[Binding] = &[
                key("↑↓", "move"),
                key("+ -", "quantity"),
                key("] [", "discount"),
                key("Del", "remove"),
                key("Tab", "next pane"),
                key("Ctrl+S", "place order"),
            ];
            KEYS
        }
        Place::FormPayment => {
            const KEYS: &[Binding] = &[
                key("type", "card"),
                key("↑↓ Enter", "field"),
                key("Tab", "next pane"),
                key("Ctrl+S", "place order"),
                key("Esc", "back"),
            ];
            KEYS
        }
        Place::FormWatching => {
            const KEYS: &[Binding] = &[
                key("Enter", "open the order"),
                key("n", "another order"),
                key("Esc", "back to orders"),
            ];
            KEYS
        }
        Place::SagaList => {
            const KEYS: &[Binding] = &[
                key("↑↓ j k", "move"),
                key("Enter", "open"),
                key("f F", "state filter"),
                manager_key("r", "retry"),
                manager_key("x", "resolve"),
                key("/", "filter"),
                key("g", "reload"),
            ];
            KEYS
        }
        Place::SagaDetail => {
            const KEYS: &[Binding] = &[
                key("Esc", "back"),
                key("↑↓ j k", "scroll"),
                manager_key("r", "retry"),
                manager_key("x", "resolve"),
                key("g", "reload"),
            ];
            KEYS
        }
        Place::Notifications => {
            const KEYS: &[Binding] = &[
                key("↑↓ j k", "move"),
                key("/", "filter"),
                key("g", "reload"),
            ];
            KEYS
        }
        Place::ConfirmReason => {
            const KEYS: &[Binding] = &[
                key("type", "the reason"),
                key("Enter", "yes"),
                key("Esc", "no"),
            ];
            KEYS
        }
        Place::Confirm => {
            const KEYS: &[Binding] = &[key("y Enter", "yes"), key("n Esc", "no")];
            KEYS
        }
        Place::Stock => {
            const KEYS: &[Binding] = &[
                key("↑↓ j k", "move"),
                key("r", "receive"),
                manager_key("a", "adjust"),
                manager_key("t", "transfer"),
                key("/", "filter"),
                key("g", "reload"),
            ];
            KEYS
        }
        Place::StockForm => {
            const KEYS: &[Binding] = &[
                key("type", "units"),
                key("Tab", "reason (adjust)"),
                key("←→", "store (transfer)"),
                key("Enter", "send"),
                key("Esc", "close"),
            ];
            KEYS
        }
        Place::Catalog => {
            const KEYS: &[Binding] = &[
                key("↑↓ j k", "move"),
                key("Enter", "stock per store"),
                manager_key("a", "add a product"),
                manager_key("e", "edit"),
                key("/", "filter"),
                key("g", "reload"),
            ];
            KEYS
        }
        Place::ProductForm => {
            const KEYS: &[Binding] = &[
                key("type", "the field"),
                key("Tab ↑↓", "field"),
                key("←→", "brand, category"),
                key("Enter", "save"),
                key("Esc", "close"),
            ];
            KEYS
        }
        Place::CatalogDetail => {
            const KEYS: &[Binding] = &[key("Esc", "back")];
            KEYS
        }
        Place::Staff => {
            const KEYS: &[Binding] = &[
                key("↑↓ j k", "move"),
                key("i", "inactive too"),
                admin_key("a", "add"),
                admin_key("e", "role/store"),
                admin_key("p", "password"),
                admin_key("d", "deactivate"),
                key("/", "filter"),
                key("g", "reload"),
            ];
            KEYS
        }
        Place::StaffForm => {
            const KEYS: &[Binding] = &[
                key("type", "the field"),
                key("Tab ↑↓", "field"),
                key("←→", "role, store"),
                key("Enter", "save"),
                key("Esc", "close"),
            ];
            KEYS
        }
        Place::Customers => {
            const KEYS: &[Binding] = &[
                key("↑↓ j k", "move"),
                key("Enter", "their orders"),
                key("/", "search"),
                key("a", "add a customer"),
                key("g", "reload"),
            ];
            KEYS
        }
        Place::CustomerDetail => {
            const KEYS: &[Binding] = &[key("Esc", "back")];
            KEYS
        }
        Place::CustomerForm => {
            const KEYS: &[Binding] = &[
                key("type", "the field"),
                key("Tab ↑↓", "field"),
                key("Enter", "add"),
                key("Esc", "close"),
            ];
            KEYS
        }
        Place::Palette => {
            const KEYS: &[Binding] = &[
                key("type", "a command"),
                key("Enter", "run"),
                key("Esc", "close"),
            ];
            KEYS
        }
        Place::Filter => {
            const KEYS: &[Binding] = &[
                key("type", "rows containing"),
                key("Enter", "keep"),
                key("Esc", "clear"),
            ];
            KEYS
        }
        Place::Help => {
            const KEYS: &[Binding] = &[key("Esc ? q", "close help")];
            KEYS
        }
    }
}

/// The keys of `place` that `role` gets.
pub fn bindings_for(place: Place, role: Option<Role>) -> impl Iterator<Item = &'static Binding> {
    bindings(place)
        .iter()
        .filter(move |binding| binding.needs.allows(role))
}

/// The global keys `role` gets.
pub fn global_for(role: Option<Role>) -> impl Iterator<Item = &'static Binding> {
    GLOBAL
        .iter()
        .filter(move |binding| binding.needs.allows(role))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sales_are_not_offered_manager_keys() {
        let sales: Vec<_> = bindings_for(Place::OrderList, Some(Role::Sales))
            .map(|binding| binding.keys)
            .collect();
        assert!(!sales.contains(&"c"));
        let manager: Vec<_> = bindings_for(Place::OrderList, Some(Role::Manager))
            .map(|binding| binding.keys)
            .collect();
        assert!(manager.contains(&"c"));
        assert!(!global_for(Some(Role::Manager)).any(|binding| binding.keys == "s"));
        assert!(global_for(Some(Role::Admin)).any(|binding| binding.keys == "s"));
    }
}
