//! The new-order form: choose a customer, add products while seeing the live stock of the store,
//! set quantities and discounts, enter a card, place the order, then watch its saga step by step
//! until it ends (the rejection reason included).
//!
//! Four panes, Tab between them. A search that finds no customer offers the customers screen's
//! add form (Enter again), and the customer added is chosen for the order. Stock comes from the store's stock levels read when the form
//! opens and then from live `stock_changed` events; nothing polls. The card lives only in this
//! form until it is sent, and is forgotten once the order is placed.

use std::collections::BTreeMap;

use bikestore_contracts::inventory::{ListProducts, Page, Product, ProductPage, StockLevel};
use bikestore_contracts::orders::{
    Card, Customer, CustomerFields, CustomerPage, OrderLine, SearchCustomers,
};
use bikestore_contracts::sagas::{HistoryEntry, PlaceOrder, SagaId, SagaRecord, SagaState};
use bikestore_contracts::{Cents, ErrorCode, OrderId, ProductId, StoreId};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::customers::CustomerForm;
use super::load::Load;
use super::orders::{self, OrdersView};
use super::text_input::TextInput;
use super::{App, Overlay};
use crate::console::event::{BackendEvent, Command, Operation, UiError};
use crate::console::keys::Place;

/// How many matches a search shows.
const SEARCH_LIMIT: u32 = 50;

/// The panes of the form, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FormPane {
    /// Find the customer.
    #[default]
    Customer,
    /// Find and add products.
    Products,
    /// The lines: quantity, discount.
    Cart,
    /// The card.
    Payment,
}

impl FormPane {
    const ORDER: [FormPane; 4] = [
        FormPane::Customer,
        FormPane::Products,
        FormPane::Cart,
        FormPane::Payment,
    ];

    fn step(self, step: isize) -> FormPane {
        let position = FormPane::ORDER
            .iter()
            .position(|pane| *pane == self)
            .unwrap_or(0) as isize;
        let next = (position + step).rem_euclid(FormPane::ORDER.len() as isize) as usize;
        FormPane::ORDER[next]
    }
}

/// The card's fields, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CardField {
    /// The number.
    #[default]
    Number,
    /// `MM/YY` or `MM/YYYY`.
    Expiry,
    /// The security code.
    Cvc,
    /// The name on the card.
    Holder,
}

/// One line of the cart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartLine {
    /// The product.
    pub product_id: ProductId,
    /// Its name, for display.
    pub name: String,
    /// The unit list price.
    pub unit_price: Cents,
    /// Units.
    pub quantity: i64,
    /// Whole percent off.
    pub discount_percent: u8,
}

impl CartLine {
    /// The line total after discount, rounded half up to the cent, as orders computes it.
    pub fn total(&self) -> Cents {
        let gross = i128::from(self.unit_price.0) * i128::from(self.quantity);
        let kept = gross * i128::from(100 - self.discount_percent.min(100));
        Cents(i64::try_from((kept + 50) / 100).unwrap_or(i64::MAX))
    }
}

/// A search box with its results.
#[derive(Debug, Clone, PartialEq)]
pub struct Search<T> {
    /// What is typed.
    pub query: TextInput,
    /// The text of the last search sent, so Enter knows whether to search or to pick.
    pub searched: Option<String>,
    /// The results.
    pub results: Load<T>,
    /// The newest request's ticket.
    pub ticket: u64,
    /// The highlighted result.
    pub selected: usize,
}

impl<T> Default for Search<T> {
    fn default() -> Self {
        Search {
            query: TextInput::default(),
            searched: None,
            results: Load::Idle,
            ticket: 0,
            selected: 0,
        }
    }
}

/// A placed order's saga as it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct SagaWatch {
    /// The saga.
    pub saga_id: SagaId,
    /// The order it created, once known.
    pub order_id: Option<OrderId>,
    /// Where it stands.
    pub state: SagaState,
    /// What happened, oldest first: the record's history, then live entries.
    pub history: Vec<HistoryEntry>,
    /// Why it failed, if it did: the saga's failure reason, else its last error.
    pub reason: Option<String>,
}

impl SagaWatch {
    /// Takes in a record read from the orchestrator; it is the truth, so it replaces the
    /// history, and live entries already in it are not repeated.
    pub fn apply_record(&mut self, record: &SagaRecord) {
        self.state = record.state;
        self.history = record.history.clone();
        if let bikestore_contracts::sagas::SagaPayload::PlaceOrder(place) = &record.payload {
            self.order_id = place.order_id.or(self.order_id);
            if let Some(reason) = &place.failure_reason {
                self.reason = Some(reason.clone());
            }
        }
        if self.reason.is_none() {
            self.reason = record.error.as_ref().map(|error| error.message.clone());
        }
    }

    /// Takes in a live progress event.
    pub fn apply_progress(&mut self, state: SagaState, last: Option<&HistoryEntry>) {
        self.state = state;
        if let Some(entry) = last
            && !self.history.contains(entry)
        {
            if let Some(error) = &entry.error
                && self.reason.is_none()
                && entry.outcome == bikestore_contracts::sagas::Outcome::Failed
            {
                self.reason = Some(error.message.clone());
            }
            self.history.push(entry.clone());
        }
    }
}

/// Where the form is in its life.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Submission {
    /// Being filled in.
    #[default]
    Editing,
    /// Sent; waiting for the saga to start.
    Submitting,
    /// The saga runs (or ran); its steps are shown.
    Watching(SagaWatch),
}

/// The new-order form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrderForm {
    /// The focused pane.
    pub pane: FormPane,
    /// The store the order is for.
    pub store_id: Option<StoreId>,
    /// The customer search.
    pub customers: Search<CustomerPage>,
    /// The customer chosen.
    pub customer: Option<Customer>,
    /// A customer added from this form and not yet saved: chosen once identity answers.
    pub adding_customer: Option<CustomerFields>,
    /// The product search.
    pub products: Search<ProductPage>,
    /// The store's stock by product, kept live.
    pub stock: BTreeMap<ProductId, StockLevel>,
    /// Whether the store's stock was read.
    pub stock_loaded: bool,
    /// The lines.
    pub cart: Vec<CartLine>,
    /// The highlighted line.
    pub cart_selected: usize,
    /// The focused card field.
    pub card_field: CardField,
    /// Card number.
    pub card_number: TextInput,
    /// Expiry, `MM/YY`.
    pub card_expiry: TextInput,
    /// Security code.
    pub card_cvc: TextInput,
    /// Name on the card.
    pub card_holder: TextInput,
    /// Where the form is in its life.
    pub submission: Submission,
}

impl OrderForm {
    /// Where the keyboard is in the form.
    pub fn place(&self) -> Place {
        if !matches!(self.submission, Submission::Editing) {
            return Place::FormWatching;
        }
        match self.pane {
            FormPane::Customer => Place::FormCustomer,
            FormPane::Products => Place::FormProducts,
            FormPane::Cart => Place::FormCart,
            FormPane::Payment => Place::FormPayment,
        }
    }

    /// What the cart costs.
    pub fn total(&self) -> Cents {
        Cents(self.cart.iter().map(|line| line.total().0).sum())
    }

    /// Units of `product_id` the store can still sell, if known.
    pub fn available(&self, product_id: ProductId) -> Option<i64> {
        self.stock.get(&product_id).map(|level| level.available)
    }

    /// The field a card key goes to.
    pub fn card_input(&mut self) -> &mut TextInput {
        match self.card_field {
            CardField::Number => &mut self.card_number,
            CardField::Expiry => &mut self.card_expiry,
            CardField::Cvc => &mut self.card_cvc,
            CardField::Holder => &mut self.card_holder,
        }
    }
}

/// Opens a fresh form for the store in scope, reading its stock.
pub fn open(app: &mut App) -> Vec<Command> {
    let Some(store_id) = app.store_id else {
        app.fail(UiError::new(
            ErrorCode::Invalid,
            "choose a store first (s switches the store)",
        ));
        return Vec::new();
    };
    app.orders.form = OrderForm {
        store_id: Some(store_id),
        ..OrderForm::default()
    };
    app.orders.view = OrdersView::Create;
    vec![Command::LoadStoreStock(store_id)]
}

/// A key in the form. With `typing`, only keys for a text field (and the form's own control
/// keys) are taken, so global letters like `q` type into the search instead of quitting.
pub fn on_key(app: &mut App, key: KeyEvent, typing: bool) -> Option<Vec<Command>> {
    let control = key.modifiers.contains(KeyModifiers::CONTROL);
    if !matches!(app.orders.form.submission, Submission::Editing) {
        return if typing { None } else { watching_key(app, key) };
    }
    match key.code {
        KeyCode::Esc => {
            app.orders.view = OrdersView::List;
            return Some(Vec::new());
        }
        KeyCode::Tab => {
            app.orders.form.pane = app.orders.form.pane.step(1);
            return Some(Vec::new());
        }
        KeyCode::BackTab => {
            app.orders.form.pane = app.orders.form.pane.step(-1);
            return Some(Vec::new());
        }
        KeyCode::Char('s') if control => return Some(submit(app)),
        _ => {}
    }
    let form = &mut app.orders.form;
    match form.pane {
        FormPane::Customer => customer_key(app, key),
        FormPane::Products => product_key(app, key),
        FormPane::Cart => cart_key(form, key),
        FormPane::Payment => payment_key(form, key),
    }
}

/// What a key did in a search box.
enum SearchKey {
    /// It moved the highlight or edited the text.
    Handled,
    /// Enter on new text: search for it.
    Search(String),
    /// Enter on the text already searched: take the highlighted result.
    Pick(usize),
    /// Not a key for the search box.
    NotMine,
}

impl<T> Search<T> {
    /// Applies a key, given how many results there are.
    fn key(&mut self, key: KeyEvent, count: usize) -> SearchKey {
        match key.code {
            KeyCode::Down => self.selected = (self.selected + 1).min(count.saturating_sub(1)),
            KeyCode::Up => self.selected = self.selected.saturating_sub(1),
            KeyCode::Enter => {
                let query = self.query.text().trim().to_owned();
                if self.searched.as_deref() == Some(query.as_str()) {
                    return SearchKey::Pick(self.selected);
                }
                return SearchKey::Search(query);
            }
            _ if self.query.handle(key) => {}
            _ => return SearchKey::NotMine,
        }
        SearchKey::Handled
    }

    /// Marks a search for `query` as sent under `ticket`.
    fn start(&mut self, query: &str, ticket: u64) {
        self.searched = Some(query.to_owned());
        self.ticket = ticket;
        self.selected = 0;
        self.results.start();
    }
}

/// The first page of a search's results.
const SEARCH_PAGE: Page = Page {
    offset: 0,
    limit: SEARCH_LIMIT,
};

fn customer_key(app: &mut App, key: KeyEvent) -> Option<Vec<Command>> {
    let search = &mut app.orders.form.customers;
    let count = search.results.data().map_or(0, |page| page.customers.len());
    match search.key(key, count) {
        SearchKey::NotMine => return None,
        SearchKey::Handled => {}
        SearchKey::Search(query) => {
            let ticket = app.ticket();
            app.orders.form.customers.start(&query, ticket);
            let request = SearchCustomers {
                name: (!query.is_empty()).then_some(query),
                page: SEARCH_PAGE,
                ..SearchCustomers::default()
            };
            return Some(vec![Command::SearchCustomers { ticket, request }]);
        }
        SearchKey::Pick(index) => {
            let form = &mut app.orders.form;
            let chosen = form
                .customers
                .results
                .data()
                .and_then(|page| page.customers.get(index));
            let found_none = chosen.is_none()
                && form
                    .customers
                    .results
                    .data()
                    .is_some_and(|page| page.customers.is_empty());
            if let Some(customer) = chosen.cloned() {
                form.customer = Some(customer);
                form.pane = FormPane::Products;
            } else if found_none {
                let name = form.customers.query.text().to_owned();
                app.overlay = Overlay::Customer(CustomerForm::for_order(&name));
            }
        }
    }
    Some(Vec::new())
}

fn product_key(app: &mut App, key: KeyEvent) -> Option<Vec<Command>> {
    let search = &mut app.orders.form.products;
    let count = search.results.data().map_or(0, |page| page.products.len());
    match search.key(key, count) {
        SearchKey::NotMine => return None,
        SearchKey::Handled => {}
        SearchKey::Search(query) => {
            let ticket = app.ticket();
            app.orders.form.products.start(&query, ticket);
            let request = ListProducts {
                text: (!query.is_empty()).then_some(query),
                page: SEARCH_PAGE,
                ..ListProducts::default()
            };
            return Some(vec![Command::SearchProducts { ticket, request }]);
        }
        SearchKey::Pick(index) => {
            let products = app.orders.form.products.results.data();
            if let Some(product) = products.and_then(|page| page.products.get(index)).cloned() {
                add_to_cart(app, &product);
            }
        }
    }
    Some(Vec::new())
}

/// Adds one unit of `product`, warning when the store has no more to sell.
fn add_to_cart(app: &mut App, product: &Product) {
    let form = &mut app.orders.form;
    let position = form
        .cart
        .iter()
        .position(|line| line.product_id == product.product_id);
    let index = match position {
        Some(index) => index,
        None if form.cart.len() >= bikestore_contracts::orders::MAX_ORDER_LINES => {
            app.fail(UiError::new(
                ErrorCode::Invalid,
                "an order holds at most 100 lines",
            ));
            return;
        }
        None => {
            form.cart.push(CartLine {
                product_id: product.product_id,
                name: product.name.clone(),
                unit_price: product.list_price,
                quantity: 0,
                discount_percent: 0,
            });
            form.cart.len() - 1
        }
    };
    if let Some(line) = form.cart.get_mut(index) {
        line.quantity += 1;
        let quantity = line.quantity;
        form.cart_selected = index;
        let available = form.available(product.product_id);
        match available {
            Some(available) if quantity > available => app.fail(UiError::new(
                ErrorCode::InsufficientStock,
                format!("only {available} of {} in stock here", product.name),
            )),
            _ => app.inform(format!("added {} (×{quantity})", product.name)),
        }
    }
}

fn cart_key(form: &mut OrderForm, key: KeyEvent) -> Option<Vec<Command>> {
    let count = form.cart.len();
    let selected = form.cart_selected.min(count.saturating_sub(1));
    match key.code {
        KeyCode::Down | KeyCode::Char('j') => {
            form.cart_selected = (selected + 1).min(count.saturating_sub(1));
        }
        KeyCode::Up | KeyCode::Char('k') => form.cart_selected = selected.saturating_sub(1),
        KeyCode::Char('+') | KeyCode::Char('=') => {
            if let Some(line) = form.cart.get_mut(selected) {
                line.quantity = line.quantity.saturating_add(1).min(9999);
            }
        }
        KeyCode::Char('-') => {
            if let Some(line) = form.cart.get_mut(selected) {
                line.quantity = (line.quantity - 1).max(1);
            }
        }
        KeyCode::Char(']') => {
            if let Some(line) = form.cart.get_mut(selected) {
                line.discount_percent = line.discount_percent.saturating_add(5).min(100);
            }
        }
        KeyCode::Char('[') => {
            if let Some(line) = form.cart.get_mut(selected) {
                line.discount_percent = line.discount_percent.saturating_sub(5);
            }
        }
        KeyCode::Delete | KeyCode::Char('d') | KeyCode::Char('x') => {
            if selected < count {
                form.cart.remove(selected);
                form.cart_selected = selected.min(form.cart.len().saturating_sub(1));
            }
        }
        // In the cart no text is typed: other keys are global ones.
        _ => return None,
    }
    Some(Vec::new())
}

fn payment_key(form: &mut OrderForm, key: KeyEvent) -> Option<Vec<Command>> {
    let fields = [
        CardField::Number,
        CardField::Expiry,
        CardField::Cvc,
        CardField::Holder,
    ];
    let position = fields
        .iter()
        .position(|field| *field == form.card_field)
        .unwrap_or(0);
    match key.code {
        KeyCode::Down | KeyCode::Enter => {
            form.card_field = fields[(position + 1).min(fields.len() - 1)];
        }
        KeyCode::Up => form.card_field = fields[position.saturating_sub(1)],
        _ => {
            if !form.card_input().handle(key) {
                return None;
            }
        }
    }
    Some(Vec::new())
}

/// Reads `MM/YY` or `MM/YYYY` into a month and a four-digit year.
pub fn parse_expiry(text: &str) -> Option<(u8, u16)> {
    let (month, year) = text.trim().split_once('/')?;
    let month: u8 = month.trim().parse().ok()?;
    let year = year.trim();
    let year: u16 = match year.len() {
        2 => 2000 + year.parse::<u16>().ok()?,
        4 => year.parse().ok()?,
        _ => return None,
    };
    (1..=12).contains(&month).then_some((month, year))
}

/// Checks the form and builds the order; the first thing missing is the error.
pub fn build_order(
    form: &OrderForm,
    staff_id: bikestore_contracts::StaffId,
) -> Result<PlaceOrder, UiError> {
    let invalid = |message: &str| UiError::new(ErrorCode::Invalid, message);
    let customer = form
        .customer
        .as_ref()
        .ok_or_else(|| invalid("choose a customer"))?;
    let store_id = form.store_id.ok_or_else(|| invalid("choose a store"))?;
    if form.cart.is_empty() {
        return Err(invalid("add at least one product"));
    }
    if form.card_number.is_blank() {
        return Err(invalid("enter the card number"));
    }
    let (expiry_month, expiry_year) = parse_expiry(form.card_expiry.text())
        .ok_or_else(|| invalid("enter the card's expiry as MM/YY"))?;
    if form.card_cvc.is_blank() {
        return Err(invalid("enter the card's security code"));
    }
    Ok(PlaceOrder {
        customer_id: customer.customer_id,
        store_id,
        staff_id,
        lines: form
            .cart
            .iter()
            .map(|line| OrderLine {
                product_id: line.product_id,
                quantity: line.quantity,
                list_price: line.unit_price,
                discount_percent: line.discount_percent,
            })
            .collect(),
        card: Card {
            number: form.card_number.text().trim().to_owned(),
            expiry_month,
            expiry_year,
            cvc: form.card_cvc.text().trim().to_owned(),
            holder: form.card_holder.text().trim().to_owned(),
        },
        wait_ms: None,
    })
}

fn submit(app: &mut App) -> Vec<Command> {
    let Some(staff_id) = app.staff.as_ref().map(|staff| staff.staff_id) else {
        return Vec::new();
    };
    match build_order(&app.orders.form, staff_id) {
        Err(error) => {
            app.fail(error);
            Vec::new()
        }
        Ok(order) => {
            let form = &mut app.orders.form;
            // The card is sent once; the form forgets it now.
            form.card_number.clear();
            form.card_cvc.clear();
            form.submission = Submission::Submitting;
            let ticket = app.ticket();
            app.inform("placing the order…");
            vec![Command::PlaceOrder {
                request: Box::new(order),
                idempotency_key: format!("console-{staff_id}-{}-{ticket}", app.now_ms),
            }]
        }
    }
}

fn watching_key(app: &mut App, key: KeyEvent) -> Option<Vec<Command>> {
    let Submission::Watching(watch) = &app.orders.form.submission else {
        // Still waiting for the saga to start: only leaving is possible.
        if key.code == KeyCode::Esc {
            app.orders.view = OrdersView::List;
            return Some(Vec::new());
        }
        return None;
    };
    let order_id = watch.order_id;
    match key.code {
        KeyCode::Esc => {
            app.orders.view = OrdersView::List;
            Some(orders::reload(app))
        }
        KeyCode::Enter => Some(order_id.map(|id| orders::open(app, id)).unwrap_or_default()),
        KeyCode::Char('n') => Some(open(app)),
        _ => None,
    }
}

/// A backend answer or live event the form cares about.
pub fn on_backend(app: &mut App, event: &BackendEvent) -> Vec<Command> {
    let form = &mut app.orders.form;
    match event {
        BackendEvent::Customers { ticket, page } if *ticket == form.customers.ticket => {
            form.customers.results = Load::Ready(page.clone());
        }
        BackendEvent::CustomerSaved(saved) => {
            if let Some(fields) = form.adding_customer.take() {
                form.customer = Some(Customer {
                    customer_id: saved.customer_id,
                    fields,
                });
                form.pane = FormPane::Products;
            }
        }
        BackendEvent::Products { ticket, page } if *ticket == form.products.ticket => {
            form.products.results = Load::Ready(page.clone());
        }
        BackendEvent::StoreStock { store_id, levels } if Some(*store_id) == form.store_id => {
            form.stock = levels
                .iter()
                .map(|level| (level.product_id, level.clone()))
                .collect();
            form.stock_loaded = true;
        }
        BackendEvent::StockChanged(level) if Some(level.store_id) == form.store_id => {
            form.stock.insert(level.product_id, level.clone());
        }
        BackendEvent::OrderPlaced(started) => {
            form.submission = Submission::Watching(SagaWatch {
                saga_id: started.saga_id.clone(),
                order_id: started.order_id,
                state: started.state,
                history: Vec::new(),
                reason: started.error.as_ref().map(|error| error.message.clone()),
            });
            app.inform(format!("order saga {} started", started.saga_id));
            return vec![Command::WatchSaga(started.saga_id.clone())];
        }
        BackendEvent::Saga(record) => {
            if let Submission::Watching(watch) = &mut form.submission
                && watch.saga_id == record.saga_id
            {
                watch.apply_record(record);
            }
        }
        BackendEvent::SagaProgressed(progress) => {
            if let Submission::Watching(watch) = &mut form.submission
                && watch.saga_id == progress.saga_id
            {
                watch.apply_progress(progress.state, progress.last.as_ref());
            }
        }
        _ => {}
    }
    Vec::new()
}

/// A request of the form failed.
pub fn failed(app: &mut App, operation: Operation, error: &UiError) {
    let form = &mut app.orders.form;
    match operation {
        Operation::Customers => form.customers.results = Load::Failed(error.clone()),
        Operation::CustomerChange => form.adding_customer = None,
        Operation::Products => form.products.results = Load::Failed(error.clone()),
        Operation::PlaceOrder => form.submission = Submission::Editing,
        _ => {}
    }
}
