//! Tests of the `:` command palette: screens, orders and stores by name, within the role.

use super::*;

#[test]
fn the_palette_opens_screens_orders_and_stores() {
    let mut app = demo::app(Role::Admin);
    let commands = palette(&mut app, "order #1620");
    assert_eq!(app.tab, Tab::Orders);
    assert_eq!(app.orders.view, OrdersView::Detail);
    assert!(commands.contains(&Command::LoadOrder(OrderId(1620))));

    palette(&mut app, "stock");
    assert_eq!(app.tab, Tab::Stock);
    let commands = palette(&mut app, "store 2");
    assert_eq!(app.store_id, Some(StoreId(2)));
    assert!(commands.contains(&Command::LoadStoreStock(StoreId(2))));

    assert!(palette(&mut app, "store 9").is_empty());
    assert_eq!(
        app.store_id,
        Some(StoreId(2)),
        "an unknown store changes nothing"
    );
    assert!(palette(&mut app, "fly").is_empty());
    assert!(
        matches!(&app.status, Some(StatusMessage::Error(error)) if error.code == ErrorCode::Invalid)
    );

    // Esc closes the palette without running anything.
    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "q");
    press(&mut app, KeyCode::Esc);
    assert!(!app.quit);
    palette(&mut app, "q");
    assert!(app.quit);
}

#[test]
fn the_palette_refuses_screens_a_role_does_not_have() {
    let mut sales = demo::app(Role::Sales);
    assert!(palette(&mut sales, "staff").is_empty());
    assert_eq!(sales.tab, Tab::Dashboard);
    assert!(
        matches!(&sales.status, Some(StatusMessage::Error(error)) if error.code == ErrorCode::Forbidden)
    );
    assert!(
        palette(&mut sales, "store 2").is_empty(),
        "only admins switch stores"
    );
    assert_eq!(sales.store_id, Some(StoreId(1)));
    assert_eq!(palette(&mut sales, "logout"), vec![Command::Logout]);
    assert_eq!(sales.place(), Place::Login);
}
