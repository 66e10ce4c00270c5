//! The new-order form: choose a customer, add products while seeing the live stock of the store,
//! set quantities and discounts, enter a card, place the order, then watch its saga step by step
//! until it ends (the rejection reason included).
//!
//! Four panes, Tab between them. A search that finds no customer offers the customers screen's
//! add form (Enter again), and the customer added is chosen for the order. Stock comes from the
//! store's stock levels read when the form opens and then from live `stock_changed` events;
//! nothing polls. The card lives only in this
//! form until it is sent, and is forgotten once the order is placed.
//!
//! This file holds the form's state and routes its keys; the panes' keys are in [`search`]
//! (customer and product) and [`panes`] (cart and card), sending and the watch after it in
//! [`submit`], and backend answers in [`answers`].

mod answers;
mod panes;
mod search;
mod submit;

use std::collections::BTreeMap;

use bikestore_contracts::inventory::{ProductPage, StockLevel};
use bikestore_contracts::orders::{Customer, CustomerFields, CustomerPage};
use bikestore_contracts::{Cents, ErrorCode, ProductId, StoreId};
use ratatui::crossterm::event::KeyEvent;

use super::App;
use super::orders::OrdersView;
use super::text_input::TextInput;
use crate::console::event::{Command, UiError};
use crate::console::keys::{self, Action, Place};
pub use answers::{SagaWatch, failed, on_backend};
pub use panes::CartLine;
pub use search::Search;
pub use submit::{build_order, parse_expiry};

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
    let action = keys::action_for(app.orders.form.place(), &key);
    if !matches!(app.orders.form.submission, Submission::Editing) {
        return if typing {
            None
        } else {
            submit::watching_key(app, action)
        };
    }
    match action {
        Some(Action::Back) => {
            app.orders.view = OrdersView::List;
            return Some(Vec::new());
        }
        Some(Action::NextPane) => {
            app.orders.form.pane = app.orders.form.pane.step(1);
            return Some(Vec::new());
        }
        Some(Action::PreviousPane) => {
            app.orders.form.pane = app.orders.form.pane.step(-1);
            return Some(Vec::new());
        }
        Some(Action::PlaceOrder) => return Some(submit::submit(app)),
        _ => {}
    }
    let form = &mut app.orders.form;
    match form.pane {
        FormPane::Customer => search::customer_key(app, action, key),
        FormPane::Products => search::product_key(app, action, key),
        FormPane::Cart => panes::cart_key(form, action),
        FormPane::Payment => panes::payment_key(form, action, key),
    }
}
