//! The orders screen: the list (filtered by status, for the store in scope), one order's detail,
//! cancel with confirmation, and the new-order form ([`super::order_form`]).
//!
//! Live: an order placed or moved by anyone reads the list again, and the open detail again when
//! it is that order, so the list never needs a manual refresh.

use bikestore_contracts::OrderId;
use bikestore_contracts::inventory::Page;
use bikestore_contracts::notifications::NotificationKind;
use bikestore_contracts::orders::{ListOrders, Order, OrderPage, OrderStatus, OrderSummary};
use bikestore_contracts::sagas::CancelOrder;
use ratatui::crossterm::event::KeyEvent;

use super::load::Load;
use super::order_form::{self, OrderForm};
use super::text_input::TextInput;
use super::{App, Confirm, ConfirmAction, Overlay};
use crate::console::event::{BackendEvent, Command, Operation, UiError};
use crate::console::keys::{self, Action, Place};

/// How many orders the list reads at once.
pub const ORDERS_PAGE: u32 = 200;

/// The status filters `f` cycles through; `None` is every status.
pub const STATUS_FILTERS: [Option<OrderStatus>; 6] = [
    None,
    Some(OrderStatus::Pending),
    Some(OrderStatus::Processing),
    Some(OrderStatus::Completed),
    Some(OrderStatus::Rejected),
    Some(OrderStatus::Cancelled),
];

/// What the orders screen shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrdersView {
    /// The list.
    #[default]
    List,
    /// One order.
    Detail,
    /// The new-order form.
    Create,
}

/// The orders screen's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrdersState {
    /// What is shown.
    pub view: OrdersView,
    /// The list.
    pub list: Load<OrderPage>,
    /// The ticket of the newest list request.
    pub list_ticket: u64,
    /// The highlighted row.
    pub selected: usize,
    /// The status filter.
    pub status_filter: Option<OrderStatus>,
    /// The order opened.
    pub detail: Load<Order>,
    /// The new-order form.
    pub form: OrderForm,
}

impl OrdersState {
    /// Where the keyboard is on this screen.
    pub fn place(&self) -> Place {
        match self.view {
            OrdersView::List => Place::OrderList,
            OrdersView::Detail => Place::OrderDetail,
            OrdersView::Create => self.form.place(),
        }
    }
}

/// The orders shown, after the `/` filter (on number, status, customer and store).
pub fn visible(app: &App) -> Vec<&OrderSummary> {
    app.orders.list.data().map_or_else(Vec::new, |page| {
        page.orders
            .iter()
            .filter(|order| {
                let text = format!(
                    "#{} {} customer {} {} {}",
                    order.order_id,
                    crate::console::format::order_status(order.status),
                    order.customer_id,
                    order.customer_name,
                    app.store_name(order.store_id)
                );
                app.filter.matches(&text)
            })
            .collect()
    })
}

/// The highlighted order of the list.
fn selected_order(app: &App) -> Option<OrderId> {
    visible(app)
        .get(app.orders.selected)
        .map(|order| order.order_id)
}

/// Reads the list again, with the current filter and store.
pub fn reload(app: &mut App) -> Vec<Command> {
    let ticket = app.ticket();
    app.orders.list_ticket = ticket;
    app.orders.list.start();
    vec![Command::LoadOrders {
        ticket,
        request: ListOrders {
            store_id: app.store_id,
            status: app.orders.status_filter,
            page: Page {
                offset: 0,
                limit: ORDERS_PAGE,
            },
            ..ListOrders::default()
        },
    }]
}

/// A key on the orders screen; with `typing`, only the form's text fields take keys.
pub fn on_key(app: &mut App, key: KeyEvent, typing: bool) -> Option<Vec<Command>> {
    match app.orders.view {
        OrdersView::Create => order_form::on_key(app, key, typing),
        _ if typing => None,
        OrdersView::List => list_key(app, key),
        OrdersView::Detail => detail_key(app, key),
    }
}

fn list_key(app: &mut App, key: KeyEvent) -> Option<Vec<Command>> {
    let count = visible(app).len();
    let selected_order = selected_order(app);
    let orders = &mut app.orders;
    match keys::action_for(Place::OrderList, &key)? {
        Action::Down => orders.selected = (orders.selected + 1).min(count.saturating_sub(1)),
        Action::Up => orders.selected = orders.selected.saturating_sub(1),
        Action::PageDown => orders.selected = (orders.selected + 10).min(count.saturating_sub(1)),
        Action::PageUp => orders.selected = orders.selected.saturating_sub(10),
        Action::First => orders.selected = 0,
        Action::Last => orders.selected = count.saturating_sub(1),
        Action::Open => return Some(open(app, selected_order?)),
        Action::NewOrder => return Some(order_form::open(app)),
        Action::NextFilter => {
            let position = STATUS_FILTERS
                .iter()
                .position(|filter| *filter == orders.status_filter)
                .unwrap_or(0);
            orders.status_filter = STATUS_FILTERS[(position + 1) % STATUS_FILTERS.len()];
            orders.selected = 0;
            return Some(reload(app));
        }
        Action::Reload => return Some(reload(app)),
        Action::CancelOrder => ask_cancel(app, selected_order?),
        _ => return None,
    }
    Some(Vec::new())
}

fn detail_key(app: &mut App, key: KeyEvent) -> Option<Vec<Command>> {
    let order_id = app.orders.detail.data().map(|order| order.order_id);
    match keys::action_for(Place::OrderDetail, &key)? {
        Action::Back => app.orders.view = OrdersView::List,
        Action::Reload => return Some(order_id.map(|id| open(app, id)).unwrap_or_default()),
        Action::CancelOrder => ask_cancel(app, order_id?),
        _ => return None,
    }
    Some(Vec::new())
}

/// Opens one order.
pub fn open(app: &mut App, order_id: OrderId) -> Vec<Command> {
    app.orders.view = OrdersView::Detail;
    if app.orders.detail.data().map(|order| order.order_id) != Some(order_id) {
        app.orders.detail = Load::Idle;
    }
    app.orders.detail.start();
    // Each line names its product as orders recorded it, so the catalog is not needed here.
    vec![Command::LoadOrder(order_id)]
}

/// Asks before cancelling: only managers and admins may, and only what can still be cancelled.
fn ask_cancel(app: &mut App, order_id: OrderId) {
    if !app.is_manager() {
        app.fail(UiError::new(
            bikestore_contracts::ErrorCode::Forbidden,
            "only a manager can cancel an order",
        ));
        return;
    }
    app.overlay = Overlay::Confirm(Confirm {
        action: ConfirmAction::CancelOrder(order_id),
        prompt: format!("Cancel order #{order_id}? The payment and the stock are given back."),
        reason: Some(TextInput::with_text("cancelled at the customer's request")),
    });
}

/// Starts the cancel saga for a confirmed cancellation.
pub fn cancel(app: &mut App, order_id: OrderId, reason: String) -> Vec<Command> {
    app.inform(format!("cancelling order #{order_id}…"));
    vec![Command::CancelOrder(CancelOrder {
        order_id,
        reason,
        wait_ms: None,
    })]
}

/// A backend answer or live event the orders screen cares about.
pub fn on_backend(app: &mut App, event: &BackendEvent) -> Vec<Command> {
    match event {
        BackendEvent::Orders { ticket, page } if *ticket == app.orders.list_ticket => {
            app.orders.selected = app.orders.selected.min(page.orders.len().saturating_sub(1));
            app.orders.list = Load::Ready(page.clone());
            Vec::new()
        }
        BackendEvent::Order(order) => {
            app.orders.detail = Load::Ready(order.clone());
            if app.known_staff_name(order.staff_id).is_some() {
                Vec::new()
            } else {
                vec![Command::LoadStaffNames(vec![order.staff_id])]
            }
        }
        BackendEvent::CancelStarted(started) => {
            let order = started
                .order_id
                .map_or_else(String::new, |order_id| format!(" for order #{order_id}"));
            app.inform(format!("cancellation started{order}"));
            vec![Command::WatchSaga(started.saga_id.clone())]
        }
        // The console may not follow the orders stream itself; an order that ends shows up as
        // its saga ending or as the store's notification, and either reads the list again.
        BackendEvent::Notification(notification) if is_order_news(notification.kind) => {
            let mut commands = order_form::on_backend(app, event);
            commands.extend(orders_changed(app));
            commands
        }
        BackendEvent::SagaProgressed(progress) if progress.state.is_terminal() => {
            let mut commands = order_form::on_backend(app, event);
            commands.extend(orders_changed(app));
            commands
        }
        _ => order_form::on_backend(app, event),
    }
}

/// Whether a notification is about an order ending one way or another.
pub fn is_order_news(kind: NotificationKind) -> bool {
    matches!(
        kind,
        NotificationKind::OrderConfirmed
            | NotificationKind::OrderRejected
            | NotificationKind::OrderCancelled
    )
}

/// Some order changed: read the list again (unless a read is on its way), and the open order.
fn orders_changed(app: &mut App) -> Vec<Command> {
    let mut commands = Vec::new();
    if app.orders.list.data().is_some() && !app.orders.list.is_loading() {
        commands.extend(reload(app));
    }
    if app.orders.view == OrdersView::Detail
        && let Some(order_id) = app.orders.detail.data().map(|order| order.order_id)
    {
        app.orders.detail.start();
        commands.push(Command::LoadOrder(order_id));
    }
    commands
}

/// A request of the orders screen failed.
pub fn failed(app: &mut App, operation: Operation, error: &UiError) {
    match operation {
        Operation::Orders => app.orders.list = Load::Failed(error.clone()),
        Operation::Order => app.orders.detail = Load::Failed(error.clone()),
        _ => order_form::failed(app, operation, error),
    }
}
