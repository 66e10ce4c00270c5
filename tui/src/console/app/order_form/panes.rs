//! The cart and card panes of the new-order form: lines with quantity and discount, adding a
//! product found by the search (warning when the store has no more to sell), and the card fields.

use bikestore_contracts::inventory::Product;
use bikestore_contracts::{Cents, ErrorCode, ProductId};
use ratatui::crossterm::event::KeyEvent;

use super::{CardField, OrderForm};
use crate::console::app::App;
use crate::console::event::{Command, UiError};
use crate::console::keys::Action;

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
/// Adds one unit of `product`, warning when the store has no more to sell.
pub(super) fn add_to_cart(app: &mut App, product: &Product) {
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

pub(super) fn cart_key(form: &mut OrderForm, action: Option<Action>) -> Option<Vec<Command>> {
    let count = form.cart.len();
    let selected = form.cart_selected.min(count.saturating_sub(1));
    // In the cart no text is typed: keys that are not the cart's are global ones.
    match action? {
        Action::Down => form.cart_selected = (selected + 1).min(count.saturating_sub(1)),
        Action::Up => form.cart_selected = selected.saturating_sub(1),
        Action::More => {
            if let Some(line) = form.cart.get_mut(selected) {
                line.quantity = line.quantity.saturating_add(1).min(9999);
            }
        }
        Action::Fewer => {
            if let Some(line) = form.cart.get_mut(selected) {
                line.quantity = (line.quantity - 1).max(1);
            }
        }
        Action::MoreDiscount => {
            if let Some(line) = form.cart.get_mut(selected) {
                line.discount_percent = line.discount_percent.saturating_add(5).min(100);
            }
        }
        Action::LessDiscount => {
            if let Some(line) = form.cart.get_mut(selected) {
                line.discount_percent = line.discount_percent.saturating_sub(5);
            }
        }
        Action::Remove => {
            if selected < count {
                form.cart.remove(selected);
                form.cart_selected = selected.min(form.cart.len().saturating_sub(1));
            }
        }
        _ => return None,
    }
    Some(Vec::new())
}

pub(super) fn payment_key(
    form: &mut OrderForm,
    action: Option<Action>,
    key: KeyEvent,
) -> Option<Vec<Command>> {
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
    match action {
        Some(Action::NextField) => {
            form.card_field = fields[(position + 1).min(fields.len() - 1)];
        }
        Some(Action::PreviousField) => form.card_field = fields[position.saturating_sub(1)],
        _ => {
            if !form.card_input().handle(key) {
                return None;
            }
        }
    }
    Some(Vec::new())
}
