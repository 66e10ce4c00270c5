//! Tests of the shell: logging in and out, the tabs a role sees, help, quitting, the admin's
//! store scope and the `/` filter.

use super::*;

#[test]
fn login_sends_the_credentials_once_and_forgets_the_password() {
    let mut app = App::new(Theme::MONO, demo::NOW_MS);
    backend(&mut app, BackendEvent::NeedsLogin);
    type_text(&mut app, "sales1a");
    // Enter on the username with no password yet moves on instead of sending.
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    type_text(&mut app, "sales1a-demo-1");
    let commands = press(&mut app, KeyCode::Enter);
    let [Command::Login { username, password }] = commands.as_slice() else {
        panic!("expected one login, got {commands:?}");
    };
    assert_eq!(username, "sales1a");
    assert_eq!(password.expose(), "sales1a-demo-1");
    assert!(app.login.password.text().is_empty());
    assert!(app.login.submitting);
    // A second Enter while the first is on its way sends nothing.
    assert!(press(&mut app, KeyCode::Enter).is_empty());

    backend(
        &mut app,
        BackendEvent::Failed {
            operation: Operation::Login,
            error: UiError::new(ErrorCode::Unauthorized, "invalid username or password"),
        },
    );
    assert!(app.staff.is_none());
    assert_eq!(
        app.login.error.as_deref(),
        Some("invalid username or password")
    );
    assert!(!app.login.submitting);
}

#[test]
fn a_login_opens_the_dashboard_and_follows_the_live_feeds() {
    let mut app = App::new(Theme::MONO, demo::NOW_MS);
    let commands = backend(&mut app, BackendEvent::LoggedIn(demo::staff(Role::Manager)));
    assert_eq!(app.tab, Tab::Dashboard);
    assert_eq!(app.store_id, Some(StoreId(1)));
    assert!(commands.contains(&Command::LoadStores));
    assert!(commands.contains(&Command::Subscribe {
        store_id: Some(StoreId(1)),
        member_store: Some(StoreId(1)),
        all_sagas: true,
    }));
    assert!(commands.iter().any(|command| matches!(
        command,
        Command::LoadDashboard {
            with_sagas: true,
            ..
        }
    )));
}

#[test]
fn screens_a_role_may_not_use_are_hidden() {
    let sales = demo::app(Role::Sales);
    assert_eq!(
        sales.visible_tabs(),
        vec![
            Tab::Dashboard,
            Tab::Orders,
            Tab::Notifications,
            Tab::Stock,
            Tab::Catalog,
            Tab::Customers
        ]
    );
    let manager = demo::app(Role::Manager);
    assert!(manager.visible_tabs().contains(&Tab::Sagas));
    assert!(!manager.visible_tabs().contains(&Tab::Staff));

    // For sales, the third screen is the feed, never the sagas.
    let mut sales = sales;
    press(&mut sales, KeyCode::Char('3'));
    assert_eq!(sales.tab, Tab::Notifications);
    press(&mut sales, KeyCode::Char('9'));
    assert_eq!(sales.tab, Tab::Notifications);
    press(&mut sales, KeyCode::Tab);
    assert_eq!(sales.tab, Tab::Stock);
    press(&mut sales, KeyCode::Char('l'));
    assert_eq!(sales.tab, Tab::Catalog);
    press(&mut sales, KeyCode::Tab);
    press(&mut sales, KeyCode::Tab);
    assert_eq!(sales.tab, Tab::Dashboard);
    press(&mut sales, KeyCode::Left);
    assert_eq!(sales.tab, Tab::Customers);
}

#[test]
fn help_opens_and_closes_and_q_quits() {
    let mut app = demo::app(Role::Sales);
    press(&mut app, KeyCode::Char('?'));
    assert_eq!(app.overlay, Overlay::Help);
    assert_eq!(app.place(), Place::Help);
    // q closes help rather than quitting.
    press(&mut app, KeyCode::Char('q'));
    assert_eq!(app.overlay, Overlay::None);
    assert!(!app.quit);
    press(&mut app, KeyCode::Char('q'));
    assert!(app.quit);
}

#[test]
fn an_ended_session_goes_back_to_login() {
    let mut app = demo::app(Role::Sales);
    backend(
        &mut app,
        BackendEvent::Failed {
            operation: Operation::Orders,
            error: UiError::new(ErrorCode::Unauthorized, "refresh token revoked"),
        },
    );
    assert!(app.staff.is_none());
    assert_eq!(app.place(), Place::Login);
    assert!(matches!(app.status, Some(StatusMessage::Error(_))));
}

#[test]
fn ctrl_c_quits_even_while_typing() {
    let mut app = super::order_form::filled_form();
    assert_eq!(app.orders.form.pane, FormPane::Products);
    control(&mut app, 'c');
    assert!(app.quit);
}

#[test]
fn admins_switch_the_store_they_work_for() {
    let mut app = demo::app(Role::Admin);
    assert_eq!(app.store_id, None);
    let commands = press(&mut app, KeyCode::Char('s'));
    assert_eq!(app.store_id, Some(StoreId(1)));
    // An admin's console may follow every store's sagas, whichever store it works for.
    assert!(commands.contains(&Command::Subscribe {
        store_id: Some(StoreId(1)),
        member_store: None,
        all_sagas: true,
    }));
    press(&mut app, KeyCode::Char('s'));
    press(&mut app, KeyCode::Char('s'));
    assert_eq!(app.store_id, Some(StoreId(3)));
    press(&mut app, KeyCode::Char('s'));
    assert_eq!(app.store_id, None);
    // A new order needs one store.
    press(&mut app, KeyCode::Char('2'));
    assert!(press(&mut app, KeyCode::Char('n')).is_empty());
    assert_eq!(app.orders.view, OrdersView::List);

    // Managers have no store switch: s does nothing for them.
    let mut manager = demo::app(Role::Manager);
    press(&mut manager, KeyCode::Char('s'));
    assert_eq!(manager.store_id, Some(StoreId(1)));
}

#[test]
fn the_filter_keeps_matching_rows_and_esc_clears_it() {
    let mut app = super::stock::stock_app(Role::Sales);
    press(&mut app, KeyCode::Char('/'));
    assert_eq!(app.place(), Place::Filter);
    // While filtering, letters are text: q does not quit.
    type_text(&mut app, "SLASHq");
    assert!(!app.quit);
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Enter);
    let names: Vec<String> = app::stock::visible(&app)
        .iter()
        .map(|level| level.product_name.clone())
        .collect();
    assert_eq!(names, vec!["Trek Slash 8 27.5 - 2016".to_owned()]);
    // r acts on the filtered row.
    press(&mut app, KeyCode::Char('r'));
    assert!(matches!(&app.overlay, Overlay::Stock(form) if form.product_id == ProductId(14)));
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Esc);
    assert!(!app.filter.is_active());
    assert_eq!(app::stock::visible(&app).len(), 4);
}
