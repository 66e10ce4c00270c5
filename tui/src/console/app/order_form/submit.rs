//! Placing the order: checking the form and building the request (the card is forgotten once
//! sent), then the keys while its saga is watched.

use bikestore_contracts::ErrorCode;
use bikestore_contracts::orders::Card;
use bikestore_contracts::sagas::{PlaceOrder, PlaceOrderLine};

use super::{OrderForm, Submission, open};
use crate::console::app::App;
use crate::console::app::orders::{self, OrdersView};
use crate::console::event::{Command, UiError};
use crate::console::keys::Action;

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
            // No price: the saga prices every line from the catalog, and the order it creates
            // shows the prices charged.
            .map(|line| PlaceOrderLine {
                product_id: line.product_id,
                quantity: line.quantity,
                discount_percent: line.discount_percent,
                list_price: None,
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

pub(super) fn submit(app: &mut App) -> Vec<Command> {
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

pub(super) fn watching_key(app: &mut App, action: Option<Action>) -> Option<Vec<Command>> {
    let Submission::Watching(watch) = &app.orders.form.submission else {
        // Still waiting for the saga to start: only leaving is possible.
        if action == Some(Action::Back) {
            app.orders.view = OrdersView::List;
            return Some(Vec::new());
        }
        return None;
    };
    let order_id = watch.order_id;
    match action? {
        Action::Back => {
            app.orders.view = OrdersView::List;
            Some(orders::reload(app))
        }
        Action::OpenOrder => Some(order_id.map(|id| orders::open(app, id)).unwrap_or_default()),
        Action::AnotherOrder => Some(open(app)),
        _ => None,
    }
}
