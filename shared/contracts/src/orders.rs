//! Requests, replies and events of the orders service: customers, orders and payments.

use serde::{Deserialize, Serialize};

use crate::ids::{
    Cents, CustomerId, OrderId, PaymentId, ProductId, ReservationId, StaffId, StoreId,
};
use crate::inventory::Page;
use crate::message;

/// The most lines one order may hold.
pub const MAX_ORDER_LINES: usize = 100;

// ---------------------------------------------------------------- customers

/// A customer's editable fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerFields {
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// E-mail, unique among customers (case-insensitive).
    pub email: String,
    /// Phone number as given; digits, spaces and `+()-.` only.
    #[serde(default)]
    pub phone: String,
    /// Street address.
    #[serde(default)]
    pub street: String,
    /// City.
    #[serde(default)]
    pub city: String,
    /// State or region.
    #[serde(default)]
    pub state: String,
    /// Postal code.
    #[serde(default)]
    pub zip_code: String,
}

/// Adds a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomer {
    /// The customer's fields.
    pub customer: CustomerFields,
}

/// Replaces a customer's fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateCustomer {
    /// The customer.
    pub customer_id: CustomerId,
    /// The new fields.
    pub customer: CustomerFields,
}

/// The customer a command created or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerSaved {
    /// Its ID.
    pub customer_id: CustomerId,
}

/// Reads one customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetCustomer {
    /// The customer.
    pub customer_id: CustomerId,
}

/// A customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    /// Its ID.
    pub customer_id: CustomerId,
    /// Its fields.
    pub fields: CustomerFields,
}

/// Searches customers; every filter optional, all given must match (case-insensitive, substring).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SearchCustomers {
    /// In first or last name.
    #[serde(default)]
    pub name: Option<String>,
    /// In the e-mail.
    #[serde(default)]
    pub email: Option<String>,
    /// In the phone number.
    #[serde(default)]
    pub phone: Option<String>,
    /// In street, city, state or postal code.
    #[serde(default)]
    pub address: Option<String>,
    /// Which page.
    #[serde(default)]
    pub page: Page,
}

/// One page of customers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerPage {
    /// The customers, by last then first name.
    pub customers: Vec<Customer>,
    /// How many match in all.
    pub total: u64,
}

// ---------------------------------------------------------------- orders

/// The state of an order. Pending -> Processing -> Completed; Pending -> Rejected; Pending or
/// Processing -> Cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Created; stock and payment not settled yet.
    Pending,
    /// Stock committed and payment captured; being prepared.
    Processing,
    /// Refused (no stock, declined payment).
    Rejected,
    /// Handed to the customer.
    Completed,
    /// Called off after creation.
    Cancelled,
}

/// One line of an order, priced: what a receipt shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderLine {
    /// The product.
    pub product_id: ProductId,
    /// Units, at least one.
    pub quantity: i64,
    /// The unit list price in cents, from the catalog when the order was placed.
    pub list_price: Cents,
    /// Discount in whole percent, 0 to 100.
    #[serde(default)]
    pub discount_percent: u8,
    /// The product's name when the order was placed; `None` for lines of orders placed before
    /// orders recorded it.
    #[serde(default)]
    pub product_name: Option<String>,
}

/// Creates an order in `pending`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateOrder {
    /// Who buys.
    pub customer_id: CustomerId,
    /// Which store sells.
    pub store_id: StoreId,
    /// Who took the order.
    pub staff_id: StaffId,
    /// What is bought; a product at most once.
    pub lines: Vec<OrderLine>,
    /// When the customer needs it, `YYYY-MM-DD`.
    #[serde(default)]
    pub required_date: Option<String>,
    /// The reservation that holds (or will hold) the order's stock, kept so a cancellation can
    /// put the stock back; the place-order saga chooses it at random.
    #[serde(default)]
    pub reservation_id: Option<ReservationId>,
}

/// The order that was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderCreated {
    /// Its ID.
    pub order_id: OrderId,
    /// Its total in cents, after discounts.
    pub total: Cents,
}

/// Moves an order to another status; an illegal move is a `conflict` naming both states.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeOrderStatus {
    /// The order.
    pub order_id: OrderId,
    /// The status to move to.
    pub to: OrderStatus,
    /// Why (shown to the customer for a rejection or cancellation).
    #[serde(default)]
    pub reason: Option<String>,
}

/// One status move in an order's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    /// The status before; `None` for creation.
    pub from: Option<OrderStatus>,
    /// The status after.
    pub to: OrderStatus,
    /// Why, if given.
    pub reason: Option<String>,
    /// When, in milliseconds since the Unix epoch.
    pub at_ms: i64,
}

/// Reads an order with its lines and history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetOrder {
    /// The order.
    pub order_id: OrderId,
}

/// An order line with its computed total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderLineDetail {
    /// The line as ordered.
    pub line: OrderLine,
    /// quantity x list price less the discount, rounded half up to the cent.
    pub total: Cents,
}

/// Money totals of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderTotals {
    /// Before discounts.
    pub gross: Cents,
    /// Discounts taken off.
    pub discount: Cents,
    /// What the customer pays.
    pub total: Cents,
}

/// An order as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Order {
    /// Its ID.
    pub order_id: OrderId,
    /// Who buys.
    pub customer_id: CustomerId,
    /// Which store sells.
    pub store_id: StoreId,
    /// Who took it.
    pub staff_id: StaffId,
    /// Its status.
    pub status: OrderStatus,
    /// When it was created, in milliseconds since the Unix epoch.
    pub ordered_at_ms: i64,
    /// When it is needed, `YYYY-MM-DD`.
    pub required_date: Option<String>,
    /// When it was completed, in milliseconds since the Unix epoch.
    pub shipped_at_ms: Option<i64>,
    /// Its lines.
    pub lines: Vec<OrderLineDetail>,
    /// Its totals.
    pub totals: OrderTotals,
    /// Every status move, oldest first.
    pub history: Vec<StatusChange>,
    /// The reservation holding its stock; `None` for orders created before orders kept it
    /// (their stock is held under `order-<order id>`).
    #[serde(default)]
    pub reservation_id: Option<ReservationId>,
    /// The customer's name as the customer record holds it now (first then last), so a
    /// page can show who buys without a second request.
    pub customer_name: String,
}

/// Lists orders, newest first; every filter optional.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ListOrders {
    /// Only this store.
    #[serde(default)]
    pub store_id: Option<StoreId>,
    /// Only this status.
    #[serde(default)]
    pub status: Option<OrderStatus>,
    /// Only this customer.
    #[serde(default)]
    pub customer_id: Option<CustomerId>,
    /// Only orders created at or after this, in milliseconds since the Unix epoch.
    #[serde(default)]
    pub from_ms: Option<i64>,
    /// Only orders created before this, in milliseconds since the Unix epoch.
    #[serde(default)]
    pub to_ms: Option<i64>,
    /// Which page.
    #[serde(default)]
    pub page: Page,
}

/// An order in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderSummary {
    /// Its ID.
    pub order_id: OrderId,
    /// Who buys.
    pub customer_id: CustomerId,
    /// Which store sells.
    pub store_id: StoreId,
    /// Its status.
    pub status: OrderStatus,
    /// When it was created.
    pub ordered_at_ms: i64,
    /// What the customer pays.
    pub total: Cents,
    /// The customer's name as the customer record holds it now (first then last).
    pub customer_name: String,
}

/// One page of orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderPage {
    /// The orders, newest first.
    pub orders: Vec<OrderSummary>,
    /// How many match in all.
    pub total: u64,
}

// ---------------------------------------------------------------- payments

/// A card as the customer gives it. Only brand, last four digits and expiry are ever stored;
/// the number and CVC are never stored or logged.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Card {
    /// The card number, 12 to 19 digits (spaces allowed).
    pub number: String,
    /// Expiry month, 1 to 12.
    pub expiry_month: u8,
    /// Expiry year, four digits.
    pub expiry_year: u16,
    /// The security code, 3 or 4 digits.
    pub cvc: String,
    /// The name on the card.
    #[serde(default)]
    pub holder: String,
}

impl std::fmt::Debug for Card {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The number and CVC must never reach a log line, even through `{:?}`.
        let digits: String = self.number.chars().filter(char::is_ascii_digit).collect();
        let last_four = digits
            .get(digits.len().saturating_sub(4)..)
            .unwrap_or_default();
        formatter
            .debug_struct("Card")
            .field("number", &format_args!("**** {last_four}"))
            .field("expiry_month", &self.expiry_month)
            .field("expiry_year", &self.expiry_year)
            .finish_non_exhaustive()
    }
}

/// What is kept of a card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardSummary {
    /// `visa`, `mastercard`, `amex` or `unknown`.
    pub brand: String,
    /// The last four digits.
    pub last_four: String,
    /// Expiry month.
    pub expiry_month: u8,
    /// Expiry year.
    pub expiry_year: u16,
}

/// The state of a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Money held on the card.
    Authorized,
    /// Money taken (some or all of the authorization).
    Captured,
    /// The hold was dropped before capture.
    Voided,
    /// Captured money was given back, in part or in full.
    Refunded,
    /// The provider refused the authorization.
    Declined,
}

/// Holds money on a card for an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizePayment {
    /// The order paid for.
    pub order_id: OrderId,
    /// How much to hold, in cents, more than zero.
    pub amount: Cents,
    /// The card.
    pub card: Card,
}

/// Exchanges a card for a provider token, so sagas can pay without ever keeping the card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenizeCard {
    /// The card.
    pub card: Card,
}

/// A provider token for a card, and what is kept of the card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardToken {
    /// The provider's token.
    pub token: String,
    /// What is kept of the card.
    pub card: CardSummary,
}

/// Holds money for an order on a card known by its provider token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeWithToken {
    /// The order paid for.
    pub order_id: OrderId,
    /// How much to hold, in cents, more than zero.
    pub amount: Cents,
    /// The token from `tokenize_card`.
    pub card_token: String,
}

/// Takes held money; at most what was authorized, in one capture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapturePayment {
    /// The payment.
    pub payment_id: PaymentId,
    /// How much, at most the authorized amount.
    pub amount: Cents,
}

/// Drops an authorization that was not captured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoidPayment {
    /// The payment.
    pub payment_id: PaymentId,
}

/// Gives captured money back; refunds add up to at most what was captured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefundPayment {
    /// The payment.
    pub payment_id: PaymentId,
    /// How much, more than zero.
    pub amount: Cents,
}

/// Gives back an order's money: voids what is only authorized, refunds what was captured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelOrderPayments {
    /// The order.
    pub order_id: OrderId,
}

/// An order's payments after `cancel_order_payments`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderPayments {
    /// The payments, oldest first.
    pub payments: Vec<Payment>,
}

/// Reads one payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetPayment {
    /// The payment.
    pub payment_id: PaymentId,
}

/// A payment and its amounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    /// Its ID.
    pub payment_id: PaymentId,
    /// The order paid for.
    pub order_id: OrderId,
    /// Its state.
    pub status: PaymentStatus,
    /// Held.
    pub authorized: Cents,
    /// Taken.
    pub captured: Cents,
    /// Given back.
    pub refunded: Cents,
    /// The card, as kept.
    pub card: CardSummary,
    /// The provider's reference.
    pub provider_reference: String,
}

// ---------------------------------------------------------------- events

/// Published when an order is created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderPlaced {
    /// The order.
    pub order_id: OrderId,
    /// Who buys.
    pub customer_id: CustomerId,
    /// Which store sells.
    pub store_id: StoreId,
    /// What the customer pays.
    pub total: Cents,
}

/// Published on every status move.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderStatusChanged {
    /// The order.
    pub order_id: OrderId,
    /// Who buys.
    pub customer_id: CustomerId,
    /// Which store sells.
    pub store_id: StoreId,
    /// The status before.
    pub from: OrderStatus,
    /// The status after.
    pub to: OrderStatus,
    /// Why, if given.
    pub reason: Option<String>,
}

/// Published when a payment changes: authorized, captured, voided, refunded or declined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentEvent {
    /// The payment.
    pub payment_id: PaymentId,
    /// The order.
    pub order_id: OrderId,
    /// The amount this event is about.
    pub amount: Cents,
    /// The payment's state after it.
    pub status: PaymentStatus,
    /// For a decline, the provider's reason.
    pub reason: Option<String>,
}

/// A payment was authorized.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PaymentAuthorized(pub PaymentEvent);
/// A payment was captured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PaymentCaptured(pub PaymentEvent);
/// A payment was voided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PaymentVoided(pub PaymentEvent);
/// A payment was refunded, in part or in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PaymentRefunded(pub PaymentEvent);
/// A payment was declined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PaymentDeclined(pub PaymentEvent);

message!(command CreateCustomer => CustomerSaved, Orders."create_customer", v 1);
message!(command UpdateCustomer => CustomerSaved, Orders."update_customer", v 1);
message!(CustomerSaved, "customer_saved", v 1);
message!(query GetCustomer => Customer, Orders."get_customer", v 1);
message!(Customer, "customer", v 1);
message!(query SearchCustomers => CustomerPage, Orders."search_customers", v 1);
message!(CustomerPage, "customer_page", v 1);
// Version 2 of create_order and order: each line names its product (`OrderLine::product_name`)
// and the order its reservation.
// Postcard encodes by position, so a version 1 reader refuses them instead of misreading.
message!(command CreateOrder => OrderCreated, Orders."create_order", v 2);
message!(OrderCreated, "order_created", v 1);
message!(command ChangeOrderStatus => Order, Orders."change_order_status", v 1);
message!(query GetOrder => Order, Orders."get_order", v 1);
// Version 3 of `order` (2 named each line's product and kept the reservation) and version 2
// of `order_page`: the customer's name at the end, which an older postcard body lacks.
message!(Order, "order", v 3);
message!(query ListOrders => OrderPage, Orders."list_orders", v 1);
message!(OrderPage, "order_page", v 2);
message!(command AuthorizePayment => Payment, Orders."authorize_payment", v 1);
message!(command TokenizeCard => CardToken, Orders."tokenize_card", v 1);
message!(CardToken, "card_token", v 1);
message!(command AuthorizeWithToken => Payment, Orders."authorize_with_token", v 1);
message!(command CapturePayment => Payment, Orders."capture_payment", v 1);
message!(command VoidPayment => Payment, Orders."void_payment", v 1);
message!(command RefundPayment => Payment, Orders."refund_payment", v 1);
message!(command CancelOrderPayments => OrderPayments, Orders."cancel_order_payments", v 1);
message!(OrderPayments, "order_payments", v 1);
message!(query GetPayment => Payment, Orders."get_payment", v 1);
message!(Payment, "payment", v 1);
message!(event OrderPlaced, Orders."order_placed", v 1);
message!(event OrderStatusChanged, Orders."order_status_changed", v 1);
message!(event PaymentAuthorized, Orders."payment_authorized", v 1);
message!(event PaymentCaptured, Orders."payment_captured", v 1);
message!(event PaymentVoided, Orders."payment_voided", v 1);
message!(event PaymentRefunded, Orders."payment_refunded", v 1);
message!(event PaymentDeclined, Orders."payment_declined", v 1);
