//! The customers screen: the first customers by name, a search (typed with `/`, sent on
//! Enter), one customer with their orders, and a form to add a customer, which the new-order
//! form opens too when its search finds nobody.

use bikestore_contracts::ErrorCode;
use bikestore_contracts::inventory::Page;
use bikestore_contracts::orders::{
    CreateCustomer, Customer, CustomerFields, CustomerPage, ListOrders, OrderPage, SearchCustomers,
};
use ratatui::crossterm::event::KeyEvent;

use super::load::Load;
use super::text_input::TextInput;
use super::{App, Overlay};
use crate::console::event::{BackendEvent, Command, UiError};
use crate::console::keys::{self, Action, Place};

/// How many customers a search reads.
const CUSTOMERS_PAGE: u32 = 200;
/// How many of a customer's orders the detail shows.
const CUSTOMER_ORDERS: u32 = 50;

/// The customers screen's state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CustomersState {
    /// The customers found.
    pub list: Load<CustomerPage>,
    /// The ticket of the newest search.
    pub ticket: u64,
    /// The highlighted row.
    pub selected: usize,
    /// The customer opened, and their orders.
    pub detail: Option<(Customer, Load<OrderPage>)>,
    /// The ticket of the opened customer's orders.
    pub orders_ticket: u64,
}

/// The fields of the add-customer form, in order.
pub const FIELDS: [&str; 4] = ["First name", "Last name", "E-mail", "Phone"];

/// The add-customer form.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CustomerForm {
    /// One input per entry of [`FIELDS`].
    pub inputs: [TextInput; 4],
    /// The focused field, an index into [`FIELDS`].
    pub field: usize,
    /// Whether the new-order form opened it: the customer saved is then chosen for the order.
    pub for_order: bool,
}

impl CustomerForm {
    /// The form the new-order form opens when its search for `name` found nobody: the first
    /// word as the first name, the rest as the last name, the focus on what is still missing.
    pub fn for_order(name: &str) -> CustomerForm {
        let mut words = name.split_whitespace();
        let first = words.next().unwrap_or_default();
        let last = words.collect::<Vec<_>>().join(" ");
        let field = match (first.is_empty(), last.is_empty()) {
            (true, _) => 0,
            (false, true) => 1,
            (false, false) => 2,
        };
        CustomerForm {
            inputs: [
                TextInput::with_text(first),
                TextInput::with_text(&last),
                TextInput::default(),
                TextInput::default(),
            ],
            field,
            for_order: true,
        }
    }
}

/// Searches customers by name (all when `name` is empty).
pub fn search(app: &mut App, name: &str) -> Vec<Command> {
    let ticket = app.ticket();
    app.customers.ticket = ticket;
    app.customers.selected = 0;
    app.customers.list.start();
    let name = name.trim();
    vec![Command::SearchCustomers {
        ticket,
        request: SearchCustomers {
            name: (!name.is_empty()).then(|| name.to_owned()),
            page: Page {
                offset: 0,
                limit: CUSTOMERS_PAGE,
            },
            ..SearchCustomers::default()
        },
    }]
}

/// Reads the list again with the current filter.
pub fn reload(app: &mut App) -> Vec<Command> {
    let name = app.filter.input.text().to_owned();
    search(app, &name)
}

/// The customers shown, after the `/` filter.
pub fn visible(app: &App) -> Vec<&Customer> {
    app.customers.list.data().map_or_else(Vec::new, |page| {
        page.customers
            .iter()
            .filter(|customer| {
                let fields = &customer.fields;
                app.filter
                    .matches(&format!("{} {}", fields.first_name, fields.last_name))
            })
            .collect()
    })
}

/// A key on the customers screen.
pub fn on_key(app: &mut App, key: KeyEvent) -> Option<Vec<Command>> {
    if app.customers.detail.is_some() {
        if keys::action_for(Place::CustomerDetail, &key) == Some(Action::Back) {
            app.customers.detail = None;
            return Some(Vec::new());
        }
        return None;
    }
    let count = visible(app).len();
    let customers = &mut app.customers;
    match keys::action_for(Place::Customers, &key)? {
        Action::Down => {
            customers.selected = (customers.selected + 1).min(count.saturating_sub(1));
        }
        Action::Up => customers.selected = customers.selected.saturating_sub(1),
        Action::Open => {
            let selected = customers.selected;
            let customer = (*visible(app).get(selected)?).clone();
            let ticket = app.ticket();
            let request = ListOrders {
                customer_id: Some(customer.customer_id),
                page: Page {
                    offset: 0,
                    limit: CUSTOMER_ORDERS,
                },
                ..ListOrders::default()
            };
            app.customers.orders_ticket = ticket;
            app.customers.detail = Some((customer, Load::Loading(None)));
            return Some(vec![Command::LoadOrders { ticket, request }]);
        }
        Action::Add => app.overlay = Overlay::Customer(CustomerForm::default()),
        Action::Reload => return Some(reload(app)),
        _ => return None,
    }
    Some(Vec::new())
}

/// A key in the add-customer form.
pub fn on_form_key(app: &mut App, key: KeyEvent) -> Vec<Command> {
    let Overlay::Customer(form) = &mut app.overlay else {
        return Vec::new();
    };
    match keys::action_for(Place::CustomerForm, &key) {
        Some(Action::Close) => app.overlay = Overlay::None,
        Some(Action::NextField) => form.field = (form.field + 1) % FIELDS.len(),
        Some(Action::PreviousField) => {
            form.field = (form.field + FIELDS.len() - 1) % FIELDS.len();
        }
        Some(Action::Submit) => {
            let [first, last, email, phone] = form
                .inputs
                .clone()
                .map(|input| input.text().trim().to_owned());
            if first.is_empty() || last.is_empty() || email.is_empty() {
                app.fail(UiError::new(
                    ErrorCode::Invalid,
                    "a customer needs a first name, a last name and an e-mail",
                ));
                return Vec::new();
            }
            let customer = CustomerFields {
                first_name: first,
                last_name: last,
                email,
                phone,
                street: String::new(),
                city: String::new(),
                state: String::new(),
                zip_code: String::new(),
            };
            if form.for_order {
                app.orders.form.adding_customer = Some(customer.clone());
            }
            app.overlay = Overlay::None;
            return vec![Command::CreateCustomer(CreateCustomer { customer })];
        }
        _ => {
            if let Some(input) = form.inputs.get_mut(form.field) {
                input.handle(key);
            }
        }
    }
    Vec::new()
}

/// A backend answer the customers screen cares about.
pub fn on_backend(app: &mut App, event: &BackendEvent) -> Vec<Command> {
    match event {
        BackendEvent::Customers { ticket, page } if *ticket == app.customers.ticket => {
            app.customers.list = Load::Ready(page.clone());
        }
        BackendEvent::Orders { ticket, page } if *ticket == app.customers.orders_ticket => {
            if let Some((_, orders)) = &mut app.customers.detail {
                *orders = Load::Ready(page.clone());
            }
        }
        BackendEvent::CustomerSaved(saved) => {
            app.inform(format!("customer #{} added", saved.customer_id));
            if app.tab == super::Tab::Customers {
                return reload(app);
            }
        }
        _ => {}
    }
    Vec::new()
}
