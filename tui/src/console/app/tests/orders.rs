//! Tests of the orders screen: the list, its filters, late answers, cancelling and live news.

use super::*;
use bikestore_contracts::identity::StaffName;

#[test]
fn the_order_list_moves_opens_and_filters() {
    let mut app = orders_app(Role::Sales);
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Down);
    assert_eq!(app.orders.selected, 2);
    for _ in 0..20 {
        press(&mut app, KeyCode::Char('j'));
    }
    assert_eq!(app.orders.selected, 5, "the cursor stops at the last order");
    press(&mut app, KeyCode::Char('k'));
    let commands = press(&mut app, KeyCode::Enter);
    assert_eq!(
        commands,
        vec![Command::LoadOrder(OrderId(1616))],
        "an order's lines name their products themselves: no catalog read"
    );
    assert_eq!(app.orders.view, OrdersView::Detail);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.orders.view, OrdersView::List);
    assert_eq!(
        press(&mut app, KeyCode::Enter),
        vec![Command::LoadOrder(OrderId(1616))],
        "a catalog already read is not read again"
    );
    press(&mut app, KeyCode::Esc);

    let commands = press(&mut app, KeyCode::Char('f'));
    let [Command::LoadOrders { request, .. }] = commands.as_slice() else {
        panic!("the filter reads the list again, got {commands:?}");
    };
    assert_eq!(request.status, Some(OrderStatus::Pending));
    assert_eq!(request.store_id, Some(StoreId(1)));
    assert_eq!(app.orders.selected, 0);
}

#[test]
fn a_late_answer_to_an_older_filter_is_dropped() {
    let mut app = orders_app(Role::Sales);
    let first = press(&mut app, KeyCode::Char('f'));
    let second = press(&mut app, KeyCode::Char('f'));
    let (
        Some(Command::LoadOrders { ticket: old, .. }),
        Some(Command::LoadOrders { ticket: new, .. }),
    ) = (first.first(), second.first())
    else {
        panic!("each filter change reads the list");
    };
    let (old, new) = (*old, *new);
    let mut stale = demo::order_page();
    stale.total = 999;
    backend(
        &mut app,
        BackendEvent::Orders {
            ticket: old,
            page: stale,
        },
    );
    assert!(app.orders.list.is_loading(), "the stale page is not shown");
    backend(
        &mut app,
        BackendEvent::Orders {
            ticket: new,
            page: demo::order_page(),
        },
    );
    assert_eq!(app.orders.list.data().map(|page| page.total), Some(6));
}

#[test]
fn cancelling_asks_first_and_only_managers_may() {
    let mut sales = orders_app(Role::Sales);
    assert!(press(&mut sales, KeyCode::Char('c')).is_empty());
    assert_eq!(sales.overlay, Overlay::None);
    assert!(matches!(
        &sales.status,
        Some(StatusMessage::Error(error)) if error.code == ErrorCode::Forbidden
    ));

    let mut manager = orders_app(Role::Manager);
    assert!(press(&mut manager, KeyCode::Char('c')).is_empty());
    assert!(matches!(manager.overlay, Overlay::Confirm(_)));
    // Esc says no: nothing is sent.
    assert!(press(&mut manager, KeyCode::Esc).is_empty());
    assert_eq!(manager.overlay, Overlay::None);

    press(&mut manager, KeyCode::Char('c'));
    control(&mut manager, 'u');
    type_text(&mut manager, "wrong size");
    let commands = press(&mut manager, KeyCode::Enter);
    let [Command::CancelOrder(cancel)] = commands.as_slice() else {
        panic!("yes cancels, got {commands:?}");
    };
    assert_eq!(cancel.order_id, OrderId(1620));
    assert_eq!(cancel.reason, "wrong size");

    // An order still being placed cannot be cancelled yet: the server's reason is shown.
    let pending = "order 1620 is still pending: its place-order saga has not ended";
    backend(
        &mut manager,
        BackendEvent::Failed {
            operation: Operation::CancelOrder,
            error: UiError::new(ErrorCode::Conflict, pending),
        },
    );
    assert!(matches!(
        &manager.status,
        Some(StatusMessage::Error(error))
            if error.code == ErrorCode::Conflict && error.message.contains("still pending")
    ));
}

#[test]
fn order_news_reads_the_open_list_again() {
    let mut app = orders_app(Role::Sales);
    let news = demo::notification(
        9,
        NotificationKind::OrderRejected,
        "Order #1621 was rejected.",
    );
    let commands = backend(&mut app, BackendEvent::Notification(news));
    assert!(matches!(commands.as_slice(), [Command::LoadOrders { .. }]));
    // While that read is on its way, more news sends nothing more.
    let news = demo::notification(
        10,
        NotificationKind::OrderConfirmed,
        "Order #1622 is confirmed.",
    );
    assert!(backend(&mut app, BackendEvent::Notification(news)).is_empty());
}

#[test]
fn the_order_list_filter_narrows_what_enter_opens() {
    let mut app = orders_app(Role::Sales);
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "rejected");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app::orders::visible(&app).len(), 1);
    assert_eq!(
        press(&mut app, KeyCode::Enter),
        vec![Command::LoadOrder(OrderId(1618))]
    );
}

#[test]
fn the_order_list_filter_finds_a_customer_by_name() {
    let mut app = orders_app(Role::Sales);
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "kasha");
    press(&mut app, KeyCode::Enter);
    let visible = app::orders::visible(&app);
    assert_eq!(visible.len(), 1);
    assert_eq!(visible[0].customer_name, "Kasha Todd");
}

#[test]
fn the_seller_is_named_when_the_console_knows_them() {
    let sales = orders_app(Role::Sales);
    assert_eq!(sales.staff_name(StaffId(3)), "Fabiola Jackson");
    assert_eq!(sales.staff_name(StaffId(2)), "staff #2");
}

#[test]
fn an_order_taken_by_a_colleague_asks_for_their_name_once() {
    let mut manager = orders_app(Role::Manager);
    press(&mut manager, KeyCode::Enter);
    let order = demo::order();
    let seller = order.staff_id;
    assert_eq!(
        backend(&mut manager, BackendEvent::Order(order.clone())),
        vec![Command::LoadStaffNames(vec![seller])]
    );
    assert_eq!(manager.staff_name(seller), format!("staff #{seller}"));
    let named = StaffName {
        staff_id: seller,
        name: "Fabiola Jackson".into(),
    };
    backend(&mut manager, BackendEvent::StaffNames(vec![named]));
    assert_eq!(manager.staff_name(seller), "Fabiola Jackson");
    // Known now: the order read again asks for nothing more.
    assert!(backend(&mut manager, BackendEvent::Order(order)).is_empty());
    // The seller's own console knows them without asking.
    let mut seller_console = orders_app(Role::Sales);
    press(&mut seller_console, KeyCode::Enter);
    assert!(backend(&mut seller_console, BackendEvent::Order(demo::order())).is_empty());
}
