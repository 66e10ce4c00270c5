//! Validation rules of the inventory, as plain functions over plain values: parse at the edge.

use std::collections::HashSet;

use bikestore_contracts::inventory::{
    MAX_NAME_CHARS, MAX_PAGE_LIMIT, MAX_RESERVATION_LINES, Page, ProductFields, ReservationLine,
};
use bikestore_contracts::{Cents, ReservationId, calendar};

use crate::error::InventoryError;

/// The most units one command may move.
pub const MAX_QUANTITY: i64 = 1_000_000;
/// The highest list price accepted: ten million dollars.
pub const MAX_PRICE_CENTS: i64 = 1_000_000_000;
/// The longest reason, in characters, an adjustment may give.
pub const MAX_REASON_CHARS: usize = 500;
/// The longest reservation ID.
pub const MAX_RESERVATION_ID_CHARS: usize = 64;

/// A trimmed, non-empty, printable name of at most [`MAX_NAME_CHARS`] characters.
pub fn name(field: &'static str, text: &str) -> Result<String, InventoryError> {
    bounded_text(field, text, MAX_NAME_CHARS)
}

/// An optional contact field: may be empty, else printable and bounded.
pub fn optional_text(field: &'static str, text: &str) -> Result<String, InventoryError> {
    if text.trim().is_empty() {
        return Ok(String::new());
    }
    bounded_text(field, text, MAX_NAME_CHARS)
}

/// A store's IANA time zone (`America/Los_Angeles`), as the bundled tz database knows it;
/// empty means `UTC`, so a store made without one keeps UTC's day.
pub fn time_zone(field: &'static str, text: &str) -> Result<String, InventoryError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok("UTC".to_owned());
    }
    if trimmed.chars().count() > MAX_NAME_CHARS || !calendar::is_time_zone(trimmed) {
        return Err(InventoryError::invalid(
            field,
            "must be an IANA time zone name such as America/Los_Angeles",
        ));
    }
    Ok(trimmed.to_owned())
}

fn bounded_text(
    field: &'static str,
    text: &str,
    max_chars: usize,
) -> Result<String, InventoryError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(InventoryError::invalid(field, "must not be empty"));
    }
    let length = trimmed.chars().count();
    if length > max_chars {
        return Err(InventoryError::invalid(
            field,
            format!("is {length} characters long; the limit is {max_chars}"),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(InventoryError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(trimmed.to_owned())
}

/// A product's fields, checked.
pub fn product_fields(fields: &ProductFields) -> Result<ProductFields, InventoryError> {
    if !(1900..=2100).contains(&fields.model_year) {
        return Err(InventoryError::invalid(
            "model_year",
            format!("{} is not between 1900 and 2100", fields.model_year),
        ));
    }
    Ok(ProductFields {
        name: name("name", &fields.name)?,
        list_price: price("list_price", fields.list_price)?,
        ..fields.clone()
    })
}

/// A price from zero to [`MAX_PRICE_CENTS`].
pub fn price(field: &'static str, price: Cents) -> Result<Cents, InventoryError> {
    if !(0..=MAX_PRICE_CENTS).contains(&price.0) {
        return Err(InventoryError::invalid(
            field,
            format!("{} cents is not between 0 and {MAX_PRICE_CENTS}", price.0),
        ));
    }
    Ok(price)
}

/// A positive quantity of at most [`MAX_QUANTITY`].
pub fn quantity(field: &'static str, quantity: i64) -> Result<i64, InventoryError> {
    if !(1..=MAX_QUANTITY).contains(&quantity) {
        return Err(InventoryError::invalid(
            field,
            format!("{quantity} is not between 1 and {MAX_QUANTITY}"),
        ));
    }
    Ok(quantity)
}

/// A non-zero adjustment of at most [`MAX_QUANTITY`] either way.
pub fn delta(delta: i64) -> Result<i64, InventoryError> {
    if delta == 0 || delta.unsigned_abs() > MAX_QUANTITY as u64 {
        return Err(InventoryError::invalid(
            "delta",
            format!("{delta} must be non-zero and at most {MAX_QUANTITY} either way"),
        ));
    }
    Ok(delta)
}

/// A reason for an adjustment.
pub fn reason(text: &str) -> Result<String, InventoryError> {
    bounded_text("reason", text, MAX_REASON_CHARS)
}

/// A reservation ID: 1 to 64 letters, digits, `-`, `_`, `.` or `:`.
pub fn reservation_id(id: &ReservationId) -> Result<ReservationId, InventoryError> {
    let text = &id.0;
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':');
    if text.is_empty() || text.len() > MAX_RESERVATION_ID_CHARS || !text.chars().all(allowed) {
        return Err(InventoryError::invalid(
            "reservation_id",
            format!(
                "must be 1 to {MAX_RESERVATION_ID_CHARS} letters, digits, '-', '_', '.' or ':'"
            ),
        ));
    }
    Ok(id.clone())
}

/// Reservation lines: at least one, at most [`MAX_RESERVATION_LINES`], each product once, each
/// quantity positive.
pub fn reservation_lines(
    lines: &[ReservationLine],
) -> Result<Vec<ReservationLine>, InventoryError> {
    if lines.is_empty() || lines.len() > MAX_RESERVATION_LINES {
        return Err(InventoryError::invalid(
            "lines",
            format!(
                "must hold 1 to {MAX_RESERVATION_LINES} lines, not {}",
                lines.len()
            ),
        ));
    }
    let mut seen = HashSet::with_capacity(lines.len());
    for line in lines {
        quantity("quantity", line.quantity)?;
        if !seen.insert(line.product_id) {
            return Err(InventoryError::invalid(
                "lines",
                format!("product {} appears more than once", line.product_id),
            ));
        }
    }
    Ok(lines.to_vec())
}

/// A page: the limit from 1 to [`MAX_PAGE_LIMIT`].
pub fn page(page: Page) -> Result<Page, InventoryError> {
    if !(1..=MAX_PAGE_LIMIT).contains(&page.limit) {
        return Err(InventoryError::invalid(
            "page.limit",
            format!("{} is not between 1 and {MAX_PAGE_LIMIT}", page.limit),
        ));
    }
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bikestore_contracts::ProductId;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(name("name", "  Trek  ").ok(), Some("Trek".to_owned()));
        assert!(name("name", "   ").is_err());
        assert!(name("name", &"x".repeat(10_000)).is_err());
        assert!(name("name", "a\u{0}b").is_err());
    }

    #[test]
    fn quantities_must_be_positive_and_bounded() {
        assert!(quantity("quantity", -1).is_err());
        assert!(quantity("quantity", 0).is_err());
        assert!(quantity("quantity", MAX_QUANTITY + 1).is_err());
        assert_eq!(quantity("quantity", 3).ok(), Some(3));
        assert!(delta(0).is_err());
        assert!(delta(i64::MIN).is_err());
    }

    #[test]
    fn a_product_twice_in_one_reservation_is_refused() {
        let line = ReservationLine {
            product_id: ProductId(1),
            quantity: 1,
        };
        assert!(reservation_lines(&[line.clone(), line]).is_err());
        assert!(reservation_lines(&[]).is_err());
    }

    #[test]
    fn reservation_ids_are_restricted_to_safe_characters() {
        assert!(reservation_id(&ReservationId("order-12:v1".into())).is_ok());
        assert!(reservation_id(&ReservationId("has space".into())).is_err());
        assert!(reservation_id(&ReservationId(String::new())).is_err());
    }
}
