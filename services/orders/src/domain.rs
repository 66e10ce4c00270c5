//! Rules of customers, orders and money, as plain functions over plain values: parse at the edge.
//!
//! Text rules mirror the inventory's (trimmed, non-empty, printable, at most
//! [`MAX_NAME_CHARS`] characters); they are written here again rather than shared because each
//! service answers in its own error type. Card rules live in `payments::card`.

use std::collections::HashSet;

use bikestore_contracts::calendar::{CalendarTime, is_calendar_date};
use bikestore_contracts::inventory::{MAX_NAME_CHARS, MAX_PAGE_LIMIT, Page};
use bikestore_contracts::orders::{
    CustomerFields, MAX_ORDER_LINES, OrderLine, OrderStatus, OrderTotals,
};
use bikestore_contracts::{Cents, OrderId, ReservationId};

use crate::error::OrdersError;

mod payment;

pub use payment::{
    MoneyBack, PAYMENT_STATUSES, card_token, check_capture, check_refund, check_takes_payment,
    check_void, money_back, payment_status_name,
};

/// The most units one line may order.
pub const MAX_QUANTITY: i64 = 1_000_000;
/// The highest unit list price accepted: ten million dollars, as in the inventory.
pub const MAX_PRICE_CENTS: i64 = 1_000_000_000;
/// The largest single payment amount: one hundred million dollars.
pub const MAX_AMOUNT_CENTS: i64 = 10_000_000_000;
/// The longest reason, in characters, a status move may give.
pub const MAX_REASON_CHARS: usize = 500;
/// The longest e-mail address (RFC 5321's path limit).
pub const MAX_EMAIL_CHARS: usize = 254;
/// The longest phone number, in characters, separators included.
pub const MAX_PHONE_CHARS: usize = 30;
/// The fewest and most digits a phone number may hold (E.164 allows 15).
pub const PHONE_DIGITS: std::ops::RangeInclusive<usize> = 7..=15;

/// A trimmed, non-empty, printable name of at most [`MAX_NAME_CHARS`] characters.
pub fn name(field: &'static str, text: &str) -> Result<String, OrdersError> {
    bounded_text(field, text, MAX_NAME_CHARS)
}

/// An optional field: may be empty, else printable and bounded.
pub fn optional_text(field: &'static str, text: &str) -> Result<String, OrdersError> {
    if text.trim().is_empty() {
        return Ok(String::new());
    }
    bounded_text(field, text, MAX_NAME_CHARS)
}

fn bounded_text(field: &'static str, text: &str, max_chars: usize) -> Result<String, OrdersError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(OrdersError::invalid(field, "must not be empty"));
    }
    let length = trimmed.chars().count();
    if length > max_chars {
        return Err(OrdersError::invalid(
            field,
            format!("is {length} characters long; the limit is {max_chars}"),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(OrdersError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(trimmed.to_owned())
}

/// A customer's fields, checked and trimmed.
pub fn customer_fields(fields: &CustomerFields) -> Result<CustomerFields, OrdersError> {
    Ok(CustomerFields {
        first_name: name("first_name", &fields.first_name)?,
        last_name: name("last_name", &fields.last_name)?,
        email: email(&fields.email)?,
        phone: phone(&fields.phone)?,
        street: optional_text("street", &fields.street)?,
        city: optional_text("city", &fields.city)?,
        state: optional_text("state", &fields.state)?,
        zip_code: optional_text("zip_code", &fields.zip_code)?,
    })
}

/// An e-mail address of a plain shape: `local@domain.tld`, no spaces, one `@`, a dotted domain
/// of letters, digits and inner hyphens.
pub fn email(text: &str) -> Result<String, OrdersError> {
    let email = bounded_text("email", text, MAX_EMAIL_CHARS)?;
    let refuse = |reason: &str| Err(OrdersError::invalid("email", reason.to_owned()));
    let Some((local, domain)) = email.split_once('@') else {
        return refuse("must look like name@example.com");
    };
    let local_char = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c);
    if local.is_empty()
        || local.len() > 64
        || !local.chars().all(local_char)
        || local.starts_with('.')
        || local.ends_with('.')
        || local.contains("..")
    {
        return refuse("the part before @ must be 1 to 64 letters, digits or !#$%&'*+/=?^_`{|}~.-");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    let top_level_ok = labels
        .last()
        .is_some_and(|top| top.len() >= 2 && top.chars().all(|c| c.is_ascii_alphabetic()));
    if labels.len() < 2 || !labels.iter().all(label_ok) || !top_level_ok {
        return refuse("the part after @ must be a domain such as example.com");
    }
    Ok(email)
}

/// The key that makes e-mails unique regardless of case.
pub fn email_key(email: &str) -> String {
    email.to_lowercase()
}

/// A phone number: may be empty; else digits, spaces and `+()-.` only, `+` only first, 7 to 15
/// digits, at most [`MAX_PHONE_CHARS`] characters.
pub fn phone(text: &str) -> Result<String, OrdersError> {
    let phone = text.trim();
    if phone.is_empty() {
        return Ok(String::new());
    }
    let allowed = |c: char| c.is_ascii_digit() || " ()-.".contains(c);
    let body = phone.strip_prefix('+').unwrap_or(phone);
    if !body.chars().all(allowed) {
        return Err(OrdersError::invalid(
            "phone",
            "may hold only digits, spaces and +()-. with + only first",
        ));
    }
    let digits = body.chars().filter(char::is_ascii_digit).count();
    let length = phone.chars().count();
    if !PHONE_DIGITS.contains(&digits) || length > MAX_PHONE_CHARS {
        return Err(OrdersError::invalid(
            "phone",
            format!(
                "must hold {} to {} digits in at most {MAX_PHONE_CHARS} characters",
                PHONE_DIGITS.start(),
                PHONE_DIGITS.end()
            ),
        ));
    }
    Ok(phone.to_owned())
}

/// A search filter: trimmed, non-empty, bounded like a name.
pub fn search_term(field: &'static str, text: &str) -> Result<String, OrdersError> {
    bounded_text(field, text, MAX_NAME_CHARS)
}

/// A page: the limit from 1 to [`MAX_PAGE_LIMIT`].
pub fn page(page: Page) -> Result<Page, OrdersError> {
    if !(1..=MAX_PAGE_LIMIT).contains(&page.limit) {
        return Err(OrdersError::invalid(
            "page.limit",
            format!("{} is not between 1 and {MAX_PAGE_LIMIT}", page.limit),
        ));
    }
    Ok(page)
}

/// The longest reservation ID an order keeps, as inventory allows.
pub const MAX_RESERVATION_ID_CHARS: usize = 64;

/// A reservation ID to keep with an order: 1 to [`MAX_RESERVATION_ID_CHARS`] printable ASCII
/// characters. Inventory decides what it accepts; this only bounds what orders stores.
pub fn reservation_id(id: &ReservationId) -> Result<ReservationId, OrdersError> {
    let text = &id.0;
    if text.is_empty()
        || text.len() > MAX_RESERVATION_ID_CHARS
        || !text.chars().all(|c| c.is_ascii_graphic())
    {
        return Err(OrdersError::invalid(
            "reservation_id",
            format!("must be 1 to {MAX_RESERVATION_ID_CHARS} printable characters"),
        ));
    }
    Ok(id.clone())
}

/// The longest product name an order line keeps.
pub const MAX_PRODUCT_NAME_CHARS: usize = 200;

/// Order lines: 1 to [`MAX_ORDER_LINES`], a product at most once, quantity 1 to
/// [`MAX_QUANTITY`], list price 0 to [`MAX_PRICE_CENTS`], discount 0 to 100 percent, a product
/// name of at most [`MAX_PRODUCT_NAME_CHARS`].
pub fn order_lines(lines: &[OrderLine]) -> Result<Vec<OrderLine>, OrdersError> {
    if lines.is_empty() || lines.len() > MAX_ORDER_LINES {
        return Err(OrdersError::invalid(
            "lines",
            format!(
                "must hold 1 to {MAX_ORDER_LINES} lines, not {}",
                lines.len()
            ),
        ));
    }
    let mut seen = HashSet::with_capacity(lines.len());
    for (index, line) in lines.iter().enumerate() {
        let number = index + 1;
        if !(1..=MAX_QUANTITY).contains(&line.quantity) {
            return Err(OrdersError::invalid(
                "lines.quantity",
                format!(
                    "line {number}: {} is not between 1 and {MAX_QUANTITY}",
                    line.quantity
                ),
            ));
        }
        if !(0..=MAX_PRICE_CENTS).contains(&line.list_price.0) {
            return Err(OrdersError::invalid(
                "lines.list_price",
                format!(
                    "line {number}: {} cents is not between 0 and {MAX_PRICE_CENTS}",
                    line.list_price.0
                ),
            ));
        }
        if line.discount_percent > 100 {
            return Err(OrdersError::invalid(
                "lines.discount_percent",
                format!(
                    "line {number}: {} is not between 0 and 100",
                    line.discount_percent
                ),
            ));
        }
        // The name comes from the catalog through the saga; the bound only keeps a hand-made
        // request from storing an unbounded text.
        if line
            .product_name
            .as_ref()
            .is_some_and(|name| name.chars().count() > MAX_PRODUCT_NAME_CHARS)
        {
            return Err(OrdersError::invalid(
                "lines.product_name",
                format!("line {number}: longer than {MAX_PRODUCT_NAME_CHARS} characters"),
            ));
        }
        if !seen.insert(line.product_id) {
            return Err(OrdersError::invalid(
                "lines.product_id",
                format!("product {} appears more than once", line.product_id),
            ));
        }
    }
    Ok(lines.to_vec())
}

/// quantity x list price, before the discount. Validated lines keep this far below `i64::MAX`.
pub fn line_gross(line: &OrderLine) -> Cents {
    Cents(line.quantity.saturating_mul(line.list_price.0))
}

/// quantity x list price x (100 - discount) / 100, rounded half up to the cent.
pub fn line_total(line: &OrderLine) -> Cents {
    let discount = i64::from(line.discount_percent.min(100));
    let hundredths = line_gross(line).0.saturating_mul(100 - discount);
    Cents(hundredths.saturating_add(50) / 100)
}

/// The order's gross, discount and total: sums over the lines.
pub fn totals(lines: &[OrderLine]) -> OrderTotals {
    let gross: i64 = lines.iter().map(|line| line_gross(line).0).sum();
    let total: i64 = lines.iter().map(|line| line_total(line).0).sum();
    OrderTotals {
        gross: Cents(gross),
        discount: Cents(gross - total),
        total: Cents(total),
    }
}

/// A `YYYY-MM-DD` date that exists on the calendar.
pub fn required_date(text: &str) -> Result<String, OrdersError> {
    let refuse = || {
        Err(OrdersError::invalid(
            "required_date",
            "must be a calendar date written YYYY-MM-DD",
        ))
    };
    let bytes = text.as_bytes();
    let digits_at = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return refuse();
    }
    if !(digits_at(0..4) && digits_at(5..7) && digits_at(8..10)) {
        return refuse();
    }
    let number = |range: std::ops::Range<usize>| text[range].parse::<u32>().unwrap_or(0);
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    if year < 1900 || !is_calendar_date(i64::from(year), month, day) {
        return refuse();
    }
    Ok(text.to_owned())
}

/// The UTC (year, month) of a time in milliseconds since the Unix epoch.
pub fn year_month(at_ms: i64) -> (i64, u32) {
    let moment = CalendarTime::utc(at_ms);
    (moment.year, moment.month)
}

/// The stored and wire name of a status.
pub fn status_name(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Pending => "pending",
        OrderStatus::Processing => "processing",
        OrderStatus::Rejected => "rejected",
        OrderStatus::Completed => "completed",
        OrderStatus::Cancelled => "cancelled",
    }
}

/// Every status.
pub const STATUSES: [OrderStatus; 5] = [
    OrderStatus::Pending,
    OrderStatus::Processing,
    OrderStatus::Rejected,
    OrderStatus::Completed,
    OrderStatus::Cancelled,
];

/// Reads a stored status name.
pub fn parse_status(name: &str) -> Option<OrderStatus> {
    STATUSES
        .into_iter()
        .find(|status| status_name(*status) == name)
}

/// What a requested status move amounts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusMove {
    /// The order already has the status: succeed and change nothing, so a retry is harmless.
    AlreadyThere,
    /// A legal move.
    Move,
}

/// Pending -> Processing -> Completed; Pending -> Rejected; Pending or Processing ->
/// Cancelled. Anything else is a conflict naming both states.
pub fn status_move(
    order_id: OrderId,
    from: OrderStatus,
    to: OrderStatus,
) -> Result<StatusMove, OrdersError> {
    use OrderStatus::{Cancelled, Completed, Pending, Processing, Rejected};
    if from == to {
        return Ok(StatusMove::AlreadyThere);
    }
    match (from, to) {
        (Pending, Processing | Rejected | Cancelled) | (Processing, Completed | Cancelled) => {
            Ok(StatusMove::Move)
        }
        _ => Err(OrdersError::conflict(format!(
            "order {order_id} cannot move from {} to {}",
            status_name(from),
            status_name(to)
        ))),
    }
}

/// A status move's reason: absent or blank is none; else bounded printable text.
pub fn reason(text: Option<&str>) -> Result<Option<String>, OrdersError> {
    match text {
        Some(text) if !text.trim().is_empty() => {
            bounded_text("reason", text, MAX_REASON_CHARS).map(Some)
        }
        _ => Ok(None),
    }
}

/// A payment amount: more than zero and at most [`MAX_AMOUNT_CENTS`].
pub fn amount(amount: Cents) -> Result<Cents, OrdersError> {
    if !(1..=MAX_AMOUNT_CENTS).contains(&amount.0) {
        return Err(OrdersError::invalid(
            "amount",
            format!("{} cents is not between 1 and {MAX_AMOUNT_CENTS}", amount.0),
        ));
    }
    Ok(amount)
}

#[cfg(test)]
mod tests;
