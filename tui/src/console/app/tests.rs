//! State and key-handling tests: feed keys and backend events, read the state and the commands.

use bikestore_contracts::identity::Role;
use bikestore_contracts::notifications::NotificationKind;
use bikestore_contracts::orders::OrderStatus;
use bikestore_contracts::sagas::{Outcome, Phase, SagaId, SagaProgressed, SagaStarted, SagaState};
use bikestore_contracts::{ErrorCode, OrderId, ProductId, StoreId};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::load::Load;
use super::order_form::{self, FormPane, Submission};
use super::orders::OrdersView;
use super::sagas::SagasView;
use super::*;
use crate::console::demo;
use crate::console::event::{BackendEvent, Command, Event, Operation, UiError};

fn press(app: &mut App, code: KeyCode) -> Vec<Command> {
    app.update(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn type_text(app: &mut App, text: &str) {
    for character in text.chars() {
        press(app, KeyCode::Char(character));
    }
}

fn control(app: &mut App, character: char) -> Vec<Command> {
    app.update(Event::Key(KeyEvent::new(
        KeyCode::Char(character),
        KeyModifiers::CONTROL,
    )))
}

fn backend(app: &mut App, event: BackendEvent) -> Vec<Command> {
    app.update(Event::Backend(event))
}

/// A console on the orders list with the demo page loaded.
fn orders_app(role: Role) -> App {
    let mut app = demo::app(role);
    let commands = press(&mut app, KeyCode::Char('2'));
    let Some(Command::LoadOrders { ticket, .. }) = commands.first() else {
        panic!("opening the orders tab reads the list, got {commands:?}");
    };
    let ticket = *ticket;
    backend(
        &mut app,
        BackendEvent::Orders {
            ticket,
            page: demo::order_page(),
        },
    );
    app
}

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
    assert_eq!(commands, vec![Command::LoadOrder(OrderId(1616))]);
    assert_eq!(app.orders.view, OrdersView::Detail);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.orders.view, OrdersView::List);

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
}

/// Walks the new-order form up to a complete order.
fn filled_form() -> App {
    let mut app = orders_app(Role::Sales);
    let commands = press(&mut app, KeyCode::Char('n'));
    assert_eq!(commands, vec![Command::LoadStoreStock(StoreId(1))]);
    assert_eq!(app.orders.view, OrdersView::Create);
    backend(
        &mut app,
        BackendEvent::StoreStock {
            store_id: StoreId(1),
            levels: demo::stock(),
        },
    );

    // Letters type into the search, even q, which elsewhere quits.
    type_text(&mut app, "burqs");
    assert!(!app.quit);
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Backspace);
    type_text(&mut app, "ks");
    let commands = press(&mut app, KeyCode::Enter);
    let [Command::SearchCustomers { ticket, request }] = commands.as_slice() else {
        panic!("Enter searches, got {commands:?}");
    };
    assert_eq!(request.name.as_deref(), Some("burks"));
    backend(
        &mut app,
        BackendEvent::Customers {
            ticket: *ticket,
            page: demo::customers(),
        },
    );
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        app.orders
            .form
            .customer
            .as_ref()
            .map(|customer| customer.customer_id.0),
        Some(1)
    );
    assert_eq!(app.orders.form.pane, FormPane::Products);

    type_text(&mut app, "trek");
    let commands = press(&mut app, KeyCode::Enter);
    let [Command::SearchProducts { ticket, .. }] = commands.as_slice() else {
        panic!("Enter searches products, got {commands:?}");
    };
    backend(
        &mut app,
        BackendEvent::Products {
            ticket: *ticket,
            page: demo::products(),
        },
    );
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    app
}

#[test]
fn the_order_form_builds_an_order_from_customer_products_and_card() {
    let mut app = filled_form();
    let form = &app.orders.form;
    assert_eq!(form.cart.len(), 2);
    assert_eq!(form.cart[0].quantity, 2);
    assert_eq!(form.cart[1].product_id, ProductId(9));

    // The cart: more of the second line, a discount on the first.
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.orders.form.pane, FormPane::Cart);
    press(&mut app, KeyCode::Char('+'));
    press(&mut app, KeyCode::Char('k'));
    press(&mut app, KeyCode::Char(']'));
    press(&mut app, KeyCode::Char(']'));
    assert_eq!(app.orders.form.cart[1].quantity, 2);
    assert_eq!(app.orders.form.cart[0].discount_percent, 10);

    // Without a card the order is refused here, with the reason.
    assert!(control(&mut app, 's').is_empty());
    assert!(matches!(
        &app.status,
        Some(StatusMessage::Error(error)) if error.message == "enter the card number"
    ));

    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "4242 4242 4242 4242");
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "12/30");
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "123");
    let commands = control(&mut app, 's');
    let [
        Command::PlaceOrder {
            request,
            idempotency_key,
        },
    ] = commands.as_slice()
    else {
        panic!("Ctrl+S places the order, got {commands:?}");
    };
    assert!(idempotency_key.starts_with("console-3-"));
    assert_eq!(request.customer_id.0, 1);
    assert_eq!(request.store_id, StoreId(1));
    assert_eq!(request.lines.len(), 2);
    assert_eq!(request.lines[0].discount_percent, 10);
    assert_eq!(
        (request.card.expiry_month, request.card.expiry_year),
        (12, 2030)
    );
    assert_eq!(app.orders.form.submission, Submission::Submitting);
    assert!(
        app.orders.form.card_number.text().is_empty(),
        "the card is forgotten once sent"
    );
}

#[test]
fn stock_in_the_form_follows_live_events_of_its_store_only() {
    let mut app = filled_form();
    assert_eq!(app.orders.form.available(ProductId(9)), Some(3));
    backend(
        &mut app,
        BackendEvent::StockChanged(demo::stock_level(9, 1)),
    );
    assert_eq!(app.orders.form.available(ProductId(9)), Some(1));
    let mut elsewhere = demo::stock_level(9, 40);
    elsewhere.store_id = StoreId(2);
    backend(&mut app, BackendEvent::StockChanged(elsewhere));
    assert_eq!(app.orders.form.available(ProductId(9)), Some(1));
}

#[test]
fn a_placed_order_shows_its_saga_steps_live_and_the_rejection_reason() {
    let mut app = filled_form();
    let saga_id = SagaId("01JDZ5R3Q8W0DECLINED00001".to_owned());
    let commands = backend(
        &mut app,
        BackendEvent::OrderPlaced(SagaStarted {
            saga_id: saga_id.clone(),
            state: SagaState::Running,
            error: None,
            order_id: None,
        }),
    );
    assert_eq!(commands, vec![Command::WatchSaga(saga_id.clone())]);
    let progress = |state, entry| {
        BackendEvent::SagaProgressed(SagaProgressed {
            saga_id: saga_id.clone(),
            definition: "place_order".to_owned(),
            state,
            step: String::new(),
            last: Some(entry),
        })
    };
    let created = demo::entry("create_order", Phase::Action, Outcome::Succeeded, 0);
    backend(&mut app, progress(SagaState::Running, created.clone()));
    // The same event twice (a read record and a live event overlap) is shown once.
    backend(&mut app, progress(SagaState::Running, created));
    let declined = demo::entry("authorize_payment", Phase::Action, Outcome::Failed, 100);
    backend(&mut app, progress(SagaState::Compensating, declined));
    let Submission::Watching(watch) = &app.orders.form.submission else {
        panic!("the form watches the saga");
    };
    assert_eq!(watch.history.len(), 2);
    assert_eq!(watch.state, SagaState::Compensating);
    assert_eq!(
        watch.reason.as_deref(),
        Some("the card was declined (card_declined)")
    );

    // The record read once is the truth: it brings the order ID and the saga's own reason.
    backend(
        &mut app,
        BackendEvent::Saga(demo::saga(&saga_id.0, SagaState::Failed)),
    );
    let Submission::Watching(watch) = &app.orders.form.submission else {
        panic!("still watching");
    };
    assert_eq!(watch.state, SagaState::Failed);
    assert_eq!(watch.order_id, Some(OrderId(1621)));
    assert_eq!(
        watch.reason.as_deref(),
        Some("the card was declined (card_declined)")
    );
    assert_eq!(app.place(), Place::FormWatching);
    assert_eq!(
        press(&mut app, KeyCode::Enter),
        vec![Command::LoadOrder(OrderId(1621))]
    );
}

#[test]
fn a_failed_placement_lets_the_form_be_sent_again() {
    let mut app = filled_form();
    app.orders.form.submission = Submission::Submitting;
    backend(
        &mut app,
        BackendEvent::Failed {
            operation: Operation::PlaceOrder,
            error: UiError::new(ErrorCode::Timeout, "late"),
        },
    );
    assert_eq!(app.orders.form.submission, Submission::Editing);
}

#[test]
fn expiry_dates_and_line_totals() {
    assert_eq!(order_form::parse_expiry("12/30"), Some((12, 2030)));
    assert_eq!(order_form::parse_expiry(" 1 / 2031 "), Some((1, 2031)));
    assert_eq!(order_form::parse_expiry("13/30"), None);
    assert_eq!(order_form::parse_expiry("1230"), None);
    assert_eq!(order_form::parse_expiry("12/3"), None);
    let line = order_form::CartLine {
        product_id: ProductId(1),
        name: String::new(),
        unit_price: bikestore_contracts::Cents(333),
        quantity: 3,
        discount_percent: 15,
    };
    // 999 less 15% is 849.15, rounded half up to 849.
    assert_eq!(line.total(), bikestore_contracts::Cents(849));
}

#[test]
fn managers_retry_and_resolve_sagas_after_confirming() {
    let mut app = demo::app(Role::Manager);
    let commands = press(&mut app, KeyCode::Char('3'));
    assert_eq!(app.tab, Tab::Sagas);
    assert!(
        matches!(commands.as_slice(), [Command::LoadSagas(list)] if list.state == Some(SagaState::Stuck))
    );
    backend(
        &mut app,
        BackendEvent::Sagas(bikestore_contracts::sagas::SagaList {
            sagas: demo::sagas(),
        }),
    );
    press(&mut app, KeyCode::Char('r'));
    let commands = press(&mut app, KeyCode::Char('y'));
    assert_eq!(
        commands,
        vec![Command::RetrySaga(SagaId(
            "01JDZ5R3Q8W0ASTUCK0000001".to_owned()
        ))]
    );

    press(&mut app, KeyCode::Char('x'));
    // Resolving needs a reason: an empty one is refused and the question stays.
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert!(matches!(app.overlay, Overlay::Confirm(_)));
    type_text(&mut app, "refunded by phone");
    let commands = press(&mut app, KeyCode::Enter);
    assert!(matches!(
        commands.as_slice(),
        [Command::ResolveSaga { reason, .. }] if reason == "refunded by phone"
    ));
}

#[test]
fn live_progress_moves_saga_rows_and_the_open_saga() {
    let mut app = demo::app(Role::Admin);
    press(&mut app, KeyCode::Char('3'));
    backend(
        &mut app,
        BackendEvent::Sagas(bikestore_contracts::sagas::SagaList {
            sagas: demo::sagas(),
        }),
    );
    press(&mut app, KeyCode::Char('j'));
    let commands = press(&mut app, KeyCode::Enter);
    let running = SagaId("01JDZ5R3Q8W0RUNNING000002".to_owned());
    assert_eq!(commands, vec![Command::WatchSaga(running.clone())]);
    backend(
        &mut app,
        BackendEvent::Saga(demo::saga(&running.0, SagaState::Running)),
    );
    assert_eq!(app.sagas.view, SagasView::Detail);
    backend(
        &mut app,
        BackendEvent::SagaProgressed(SagaProgressed {
            saga_id: running.clone(),
            definition: "place_order".to_owned(),
            state: SagaState::Completed,
            step: "end".to_owned(),
            last: Some(demo::entry(
                "confirm_order",
                Phase::Action,
                Outcome::Succeeded,
                300,
            )),
        }),
    );
    let live = app
        .sagas
        .live
        .as_ref()
        .map(|watch| (watch.state, watch.history.len()));
    assert_eq!(live, Some((SagaState::Completed, 3)));
    let row = app
        .sagas
        .list
        .data()
        .and_then(|sagas| sagas.iter().find(|saga| saga.saga_id == running))
        .map(|saga| saga.state);
    assert_eq!(row, Some(SagaState::Completed));
}

#[test]
fn the_feed_shows_each_live_notification_once() {
    let mut app = demo::app(Role::Sales);
    press(&mut app, KeyCode::Char('3'));
    backend(&mut app, BackendEvent::Notifications(demo::notifications()));
    let fresh = demo::notification(
        9,
        NotificationKind::OrderConfirmed,
        "Order #1621 is confirmed.",
    );
    backend(&mut app, BackendEvent::Notification(fresh.clone()));
    backend(&mut app, BackendEvent::Notification(fresh));
    let mut other_store = demo::notification(10, NotificationKind::LowStock, "elsewhere");
    other_store.store_id = Some(StoreId(2));
    backend(&mut app, BackendEvent::Notification(other_store));
    let ids: Vec<i64> = app
        .notifications
        .list
        .data()
        .map(|list| list.iter().map(|n| n.notification_id.0).collect())
        .unwrap_or_default();
    assert_eq!(ids, vec![9, 1, 2, 3]);
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
fn ctrl_c_quits_even_while_typing() {
    let mut app = filled_form();
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
    assert!(commands.contains(&Command::Subscribe {
        store_id: Some(StoreId(1)),
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
fn the_dashboard_reads_again_on_live_news_only_when_shown() {
    let mut app = demo::app(Role::Manager);
    backend(&mut app, BackendEvent::Dashboard(demo::dashboard(true)));
    let news = demo::notification(9, NotificationKind::LowStock, "low");
    let commands = backend(&mut app, BackendEvent::Notification(news.clone()));
    assert!(matches!(
        commands.as_slice(),
        [Command::LoadDashboard { .. }]
    ));
    backend(&mut app, BackendEvent::Dashboard(demo::dashboard(true)));
    press(&mut app, KeyCode::Char('4'));
    assert!(backend(&mut app, BackendEvent::Notification(news)).is_empty());
    assert!(matches!(app.dashboard.data, Load::Ready(_)));
}

/// A console on the stock screen of store 1 with the demo levels.
fn stock_app(role: Role) -> App {
    let mut app = demo::app(role);
    let tab = app.visible_tabs().iter().position(|tab| *tab == Tab::Stock);
    let digit = char::from(b'1' + tab.unwrap_or(0) as u8);
    let commands = press(&mut app, KeyCode::Char(digit));
    assert_eq!(commands, vec![Command::LoadStoreStock(StoreId(1))]);
    backend(
        &mut app,
        BackendEvent::StoreStock {
            store_id: StoreId(1),
            levels: demo::stock(),
        },
    );
    app
}

#[test]
fn stock_is_received_by_anyone_and_adjusted_only_by_managers_with_a_reason() {
    let mut sales = stock_app(Role::Sales);
    // Sorted by name: Trek Conduit+, Trek Fuel EX 8, Trek Remedy, Trek Slash.
    press(&mut sales, KeyCode::Char('a'));
    assert_eq!(sales.overlay, Overlay::None, "sales may not adjust");
    press(&mut sales, KeyCode::Char('r'));
    assert_eq!(sales.place(), Place::StockForm);
    type_text(&mut sales, "x");
    assert!(press(&mut sales, KeyCode::Enter).is_empty(), "not a number");
    control(&mut sales, 'u');
    type_text(&mut sales, "5");
    let commands = press(&mut sales, KeyCode::Enter);
    assert!(matches!(
        commands.as_slice(),
        [Command::ReceiveStock(receive)] if receive.quantity == 5 && receive.product_id == ProductId(9)
    ));
    assert_eq!(sales.overlay, Overlay::None);

    let mut manager = stock_app(Role::Manager);
    press(&mut manager, KeyCode::Char('j'));
    press(&mut manager, KeyCode::Char('a'));
    type_text(&mut manager, "-2");
    assert!(
        press(&mut manager, KeyCode::Enter).is_empty(),
        "a reason is needed"
    );
    press(&mut manager, KeyCode::Tab);
    type_text(&mut manager, "damaged in the workshop");
    let commands = press(&mut manager, KeyCode::Enter);
    assert!(matches!(
        commands.as_slice(),
        [Command::AdjustStock(adjust)]
            if adjust.delta == -2 && adjust.product_id == ProductId(13)
                && adjust.reason == "damaged in the workshop"
    ));
    backend(
        &mut manager,
        BackendEvent::StockUpdated(demo::stock_level(13, 7)),
    );
    let level = manager
        .stock
        .list
        .data()
        .and_then(|levels| {
            levels
                .iter()
                .find(|level| level.product_id == ProductId(13))
        })
        .map(|level| level.available);
    assert_eq!(level, Some(7));
}

#[test]
fn a_transfer_goes_to_another_store_and_its_saga_is_followed() {
    let mut app = stock_app(Role::Manager);
    press(&mut app, KeyCode::Char('t'));
    type_text(&mut app, "2");
    press(&mut app, KeyCode::Right);
    let commands = press(&mut app, KeyCode::Enter);
    let [
        Command::TransferStock {
            request,
            idempotency_key,
        },
    ] = commands.as_slice()
    else {
        panic!("Enter starts the transfer, got {commands:?}");
    };
    assert_eq!(request.from_store_id, StoreId(1));
    assert_eq!(
        request.to_store_id,
        StoreId(3),
        "→ moved from store 2 to store 3"
    );
    assert_eq!(request.quantity, 2);
    assert!(idempotency_key.starts_with("console-2-"));
    let saga_id = SagaId("01JDZ5R3Q8W0TRANSFER00001".to_owned());
    let commands = backend(
        &mut app,
        BackendEvent::TransferStarted(SagaStarted {
            saga_id: saga_id.clone(),
            state: SagaState::Running,
            error: None,
            order_id: None,
        }),
    );
    assert_eq!(commands, vec![Command::WatchSaga(saga_id.clone())]);
    backend(
        &mut app,
        BackendEvent::SagaProgressed(SagaProgressed {
            saga_id,
            definition: "transfer_stock".to_owned(),
            state: SagaState::Completed,
            step: "end".to_owned(),
            last: Some(demo::entry(
                "commit_at_source",
                Phase::Action,
                Outcome::Succeeded,
                0,
            )),
        }),
    );
    let watch = app
        .stock
        .transfer
        .as_ref()
        .map(|watch| (watch.state, watch.history.len()));
    assert_eq!(watch, Some((SagaState::Completed, 1)));
}

#[test]
fn the_filter_keeps_matching_rows_and_esc_clears_it() {
    let mut app = stock_app(Role::Sales);
    press(&mut app, KeyCode::Char('/'));
    assert_eq!(app.place(), Place::Filter);
    // While filtering, letters are text: q does not quit.
    type_text(&mut app, "SLASHq");
    assert!(!app.quit);
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Enter);
    let names: Vec<String> = super::stock::visible(&app)
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
    assert_eq!(super::stock::visible(&app).len(), 4);
}

#[test]
fn admins_need_a_store_for_the_stock_screen() {
    let mut app = demo::app(Role::Admin);
    let commands = press(&mut app, KeyCode::Char('5'));
    assert_eq!(app.tab, Tab::Stock);
    assert!(commands.is_empty());
    assert!(matches!(app.stock.list, Load::Failed(_)));
    let commands = press(&mut app, KeyCode::Char('s'));
    assert!(commands.contains(&Command::LoadStoreStock(StoreId(1))));
}

#[test]
fn only_admins_see_the_staff_screen() {
    assert!(!demo::app(Role::Sales).visible_tabs().contains(&Tab::Staff));
    assert!(
        !demo::app(Role::Manager)
            .visible_tabs()
            .contains(&Tab::Staff)
    );
    let mut admin = demo::app(Role::Admin);
    assert_eq!(admin.visible_tabs().last(), Some(&Tab::Staff));
    let commands = press(&mut admin, KeyCode::Char('8'));
    assert_eq!(admin.tab, Tab::Staff);
    assert_eq!(
        commands,
        vec![Command::LoadStaff {
            include_inactive: false
        }]
    );
    assert_eq!(
        press(&mut admin, KeyCode::Char('i')),
        vec![Command::LoadStaff {
            include_inactive: true
        }]
    );
}

#[test]
fn the_catalog_opens_a_product_with_its_stock_everywhere() {
    let mut app = demo::app(Role::Sales);
    let commands = press(&mut app, KeyCode::Char('5'));
    assert_eq!(app.tab, Tab::Catalog);
    assert_eq!(commands, vec![Command::LoadCatalog]);
    backend(&mut app, BackendEvent::Catalog(demo::products().products));
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "slash");
    press(&mut app, KeyCode::Enter);
    let commands = press(&mut app, KeyCode::Enter);
    assert_eq!(commands, vec![Command::LoadProduct(ProductId(14))]);
    assert_eq!(app.place(), Place::CatalogDetail);
    backend(&mut app, BackendEvent::Product(demo::product_detail()));
    assert!(matches!(app.catalog.detail, Some(Load::Ready(_))));
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.place(), Place::Catalog);
}

fn palette(app: &mut App, line: &str) -> Vec<Command> {
    press(app, KeyCode::Char(':'));
    assert_eq!(app.place(), Place::Palette);
    type_text(app, line);
    press(app, KeyCode::Enter)
}

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

#[test]
fn customers_are_searched_on_the_server_opened_with_their_orders_and_added() {
    let mut app = demo::app(Role::Sales);
    let commands = palette(&mut app, "customers");
    assert_eq!(app.tab, Tab::Customers);
    let [Command::SearchCustomers { ticket, request }] = commands.as_slice() else {
        panic!("the screen reads the first customers, got {commands:?}");
    };
    assert_eq!(request.name, None);
    backend(
        &mut app,
        BackendEvent::Customers {
            ticket: *ticket,
            page: demo::customers(),
        },
    );
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "ivette");
    let commands = press(&mut app, KeyCode::Enter);
    let [Command::SearchCustomers { ticket, request }] = commands.as_slice() else {
        panic!("Enter on the filter searches, got {commands:?}");
    };
    assert_eq!(request.name.as_deref(), Some("ivette"));
    backend(
        &mut app,
        BackendEvent::Customers {
            ticket: *ticket,
            page: demo::customers(),
        },
    );
    assert_eq!(super::customers::visible(&app).len(), 1);
    let commands = press(&mut app, KeyCode::Enter);
    assert!(matches!(
        commands.as_slice(),
        [Command::LoadOrders { request, .. }] if request.customer_id.map(|id| id.0) == Some(940)
    ));
    assert_eq!(app.place(), Place::CustomerDetail);
    press(&mut app, KeyCode::Esc);

    press(&mut app, KeyCode::Char('a'));
    assert_eq!(app.place(), Place::CustomerForm);
    type_text(&mut app, "Ada");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "Lovelace");
    assert!(
        press(&mut app, KeyCode::Enter).is_empty(),
        "an e-mail is needed"
    );
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "ada@example.com");
    let commands = press(&mut app, KeyCode::Enter);
    assert!(matches!(
        commands.as_slice(),
        [Command::CreateCustomer(create)]
            if create.customer.last_name == "Lovelace" && create.customer.email == "ada@example.com"
    ));
}

#[test]
fn the_order_list_filter_narrows_what_enter_opens() {
    let mut app = orders_app(Role::Sales);
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "rejected");
    press(&mut app, KeyCode::Enter);
    assert_eq!(super::orders::visible(&app).len(), 1);
    assert_eq!(
        press(&mut app, KeyCode::Enter),
        vec![Command::LoadOrder(OrderId(1618))]
    );
}

/// A console on the catalog with the demo products, one of them by a second brand.
fn catalog_app(role: Role) -> App {
    let mut app = demo::app(role);
    assert_eq!(palette(&mut app, "catalog"), vec![Command::LoadCatalog]);
    let mut products = demo::products().products;
    if let Some(electra) = products.get_mut(1) {
        electra.brand = bikestore_contracts::inventory::Named {
            id: bikestore_contracts::BrandId(1),
            name: "Electra".to_owned(),
        };
    }
    backend(&mut app, BackendEvent::Catalog(products));
    app
}

#[test]
fn sales_neither_see_nor_open_the_product_form() {
    let mut sales = catalog_app(Role::Sales);
    let offered: Vec<_> = crate::console::keys::bindings_for(Place::Catalog, Some(Role::Sales))
        .map(|binding| binding.keys)
        .collect();
    assert!(!offered.contains(&"a") && !offered.contains(&"e"));
    for letter in ['a', 'e'] {
        assert!(press(&mut sales, KeyCode::Char(letter)).is_empty());
        assert_eq!(sales.overlay, Overlay::None);
        assert!(matches!(
            &sales.status,
            Some(StatusMessage::Error(error)) if error.code == ErrorCode::Forbidden
        ));
    }
    let offered: Vec<_> = crate::console::keys::bindings_for(Place::Catalog, Some(Role::Manager))
        .map(|binding| binding.keys)
        .collect();
    assert!(offered.contains(&"a") && offered.contains(&"e"));
}

#[test]
fn managers_add_a_product_choosing_brand_and_category_from_the_catalog() {
    let mut app = catalog_app(Role::Manager);
    press(&mut app, KeyCode::Char('a'));
    assert_eq!(app.place(), Place::ProductForm);
    type_text(&mut app, "Trek Marlin 5");
    press(&mut app, KeyCode::Tab);
    // Brands are offered by name: Electra, then Trek.
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "2017");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "12x");
    assert!(
        press(&mut app, KeyCode::Enter).is_empty(),
        "a bad price is refused"
    );
    assert!(matches!(
        &app.status,
        Some(StatusMessage::Error(error)) if error.code == ErrorCode::Invalid
    ));
    assert_eq!(
        app.place(),
        Place::ProductForm,
        "the form stays open to fix"
    );
    press(&mut app, KeyCode::Backspace);
    type_text(&mut app, "49.99");
    let commands = press(&mut app, KeyCode::Enter);
    let [Command::CreateProduct(create)] = commands.as_slice() else {
        panic!("Enter adds the product, got {commands:?}");
    };
    let fields = &create.product;
    assert_eq!(fields.name, "Trek Marlin 5");
    assert_eq!(fields.brand_id, bikestore_contracts::BrandId(9));
    assert_eq!(fields.category_id, bikestore_contracts::CategoryId(6));
    assert_eq!(fields.model_year, 2017);
    assert_eq!(fields.list_price, bikestore_contracts::Cents(124_999));
    assert_eq!(app.overlay, Overlay::None);

    let commands = backend(
        &mut app,
        BackendEvent::ProductSaved(bikestore_contracts::inventory::ProductSaved {
            product_id: ProductId(99),
        }),
    );
    assert_eq!(commands, vec![Command::LoadCatalog], "the list reads again");
}

#[test]
fn admins_edit_the_highlighted_product_from_its_current_fields() {
    let mut app = catalog_app(Role::Admin);
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('e'));
    let Overlay::Product(form) = &app.overlay else {
        panic!("e opens the form, got {:?}", app.overlay);
    };
    assert_eq!(form.product_id, Some(ProductId(9)));
    assert_eq!(form.list_price.text(), "2999.99");
    // The year must be a year; a cleared one is refused.
    for _ in 0..3 {
        press(&mut app, KeyCode::Tab);
    }
    control(&mut app, 'u');
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    type_text(&mut app, "2018");
    let commands = press(&mut app, KeyCode::Enter);
    let [Command::UpdateProduct(update)] = commands.as_slice() else {
        panic!("Enter saves the product, got {commands:?}");
    };
    assert_eq!(update.product_id, ProductId(9));
    assert_eq!(update.product.name, "Trek Conduit+ - 2016");
    assert_eq!(update.product.brand_id, bikestore_contracts::BrandId(1));
    assert_eq!(update.product.model_year, 2018);
    assert_eq!(
        update.product.list_price,
        bikestore_contracts::Cents(299_999)
    );
}

#[test]
fn prices_are_read_as_dollars_and_cents() {
    use super::catalog::parse_price;
    use bikestore_contracts::Cents;
    assert_eq!(parse_price("1299"), Some(Cents(129_900)));
    assert_eq!(parse_price(" $1,299.9 "), Some(Cents(129_990)));
    assert_eq!(parse_price("0.05"), Some(Cents(5)));
    for refused in ["", "-3", "1.234", "12a", ".5", "1.2.3"] {
        assert_eq!(parse_price(refused), None, "{refused:?}");
    }
}

#[test]
fn the_saga_filter_narrows_what_enter_opens_and_retry_names() {
    let mut app = demo::app(Role::Manager);
    press(&mut app, KeyCode::Char('3'));
    backend(
        &mut app,
        BackendEvent::Sagas(bikestore_contracts::sagas::SagaList {
            sagas: demo::sagas(),
        }),
    );
    assert!(
        press(&mut app, KeyCode::Char('/')).is_empty(),
        "the filter works on the rows read"
    );
    assert_eq!(app.place(), Place::Filter);
    type_text(&mut app, "failed");
    press(&mut app, KeyCode::Enter);
    assert_eq!(super::sagas::visible(&app).len(), 1);
    let failed = SagaId("01JDZ5R3Q8W0FAILED0000003".to_owned());
    assert_eq!(press(&mut app, KeyCode::Char('j')), Vec::new());
    assert_eq!(app.sagas.selected, 0, "one row: j stays on it");
    press(&mut app, KeyCode::Char('r'));
    assert_eq!(
        press(&mut app, KeyCode::Char('y')),
        vec![Command::RetrySaga(failed.clone())]
    );
    assert_eq!(
        press(&mut app, KeyCode::Enter),
        vec![Command::WatchSaga(failed)]
    );
    // The detail has no list to filter: `/` does nothing there, Esc goes back to the list.
    assert_eq!(app.place(), Place::SagaDetail);
    press(&mut app, KeyCode::Char('/'));
    assert_eq!(app.place(), Place::SagaDetail);
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Esc);
    assert!(!app.filter.is_active(), "Esc on the list clears the filter");
    assert_eq!(super::sagas::visible(&app).len(), 3);
}

/// The new-order form after a customer search for `name` that found nobody.
fn form_that_found_no_customer(name: &str) -> App {
    let mut app = orders_app(Role::Sales);
    press(&mut app, KeyCode::Char('n'));
    type_text(&mut app, name);
    let commands = press(&mut app, KeyCode::Enter);
    let [Command::SearchCustomers { ticket, .. }] = commands.as_slice() else {
        panic!("Enter searches, got {commands:?}");
    };
    let empty = bikestore_contracts::orders::CustomerPage {
        customers: Vec::new(),
        total: 0,
    };
    backend(
        &mut app,
        BackendEvent::Customers {
            ticket: *ticket,
            page: empty,
        },
    );
    app
}

#[test]
fn the_order_form_adds_the_customer_its_search_did_not_find_and_chooses_them() {
    let mut app = form_that_found_no_customer("Ada King Lovelace");
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    let Overlay::Customer(form) = &app.overlay else {
        panic!(
            "Enter on no match opens the add form, got {:?}",
            app.overlay
        );
    };
    assert_eq!(form.inputs[0].text(), "Ada");
    assert_eq!(form.inputs[1].text(), "King Lovelace");
    assert_eq!(form.field, 2, "the e-mail, still missing, has the focus");
    type_text(&mut app, "ada@example.com");
    let commands = press(&mut app, KeyCode::Enter);
    let [Command::CreateCustomer(create)] = commands.as_slice() else {
        panic!("Enter adds the customer, got {commands:?}");
    };
    assert_eq!(create.customer.last_name, "King Lovelace");
    assert_eq!(create.customer.email, "ada@example.com");
    assert_eq!(app.orders.view, OrdersView::Create, "the order form stays");

    let saved = bikestore_contracts::orders::CustomerSaved {
        customer_id: bikestore_contracts::CustomerId(2001),
    };
    assert!(backend(&mut app, BackendEvent::CustomerSaved(saved)).is_empty());
    let chosen = app.orders.form.customer.as_ref();
    assert_eq!(chosen.map(|customer| customer.customer_id.0), Some(2001));
    assert_eq!(
        chosen.map(|customer| customer.fields.first_name.as_str()),
        Some("Ada")
    );
    assert_eq!(app.orders.form.pane, FormPane::Products);
    assert_eq!(app.orders.form.adding_customer, None);
}

#[test]
fn a_customer_that_could_not_be_added_is_not_chosen_later() {
    let mut app = form_that_found_no_customer("Ada");
    press(&mut app, KeyCode::Enter);
    // One word is the first name: the focus waits on the last name.
    type_text(&mut app, "Lovelace");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "ada@example.com");
    assert_eq!(press(&mut app, KeyCode::Enter).len(), 1);
    backend(
        &mut app,
        BackendEvent::Failed {
            operation: Operation::CustomerChange,
            error: UiError::new(ErrorCode::Conflict, "that e-mail is taken"),
        },
    );
    assert_eq!(app.orders.form.adding_customer, None);
    // A customer added later from the customers screen does not land in this order.
    let saved = bikestore_contracts::orders::CustomerSaved {
        customer_id: bikestore_contracts::CustomerId(2002),
    };
    backend(&mut app, BackendEvent::CustomerSaved(saved));
    assert_eq!(app.orders.form.customer, None);
    assert_eq!(app.orders.form.pane, FormPane::Customer);
}

/// An admin on the staff screen with the demo members: admin, manager, and an inactive sales.
fn staff_app() -> App {
    let mut app = demo::app(Role::Admin);
    press(&mut app, KeyCode::Char('8'));
    backend(&mut app, BackendEvent::Staff(demo::staff_list()));
    app
}

#[test]
fn admins_add_a_member_with_role_store_and_first_password() {
    let mut app = staff_app();
    press(&mut app, KeyCode::Char('a'));
    assert_eq!(app.place(), Place::StaffForm);
    type_text(&mut app, "kim.lee");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "Kim Lee");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "kim@bikes.shop");
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Tab);
    assert!(
        press(&mut app, KeyCode::Enter).is_empty(),
        "no password yet"
    );
    assert!(matches!(
        &app.status,
        Some(StatusMessage::Error(error)) if error.code == ErrorCode::Invalid
    ));
    type_text(&mut app, "first-pass-42");
    let commands = press(&mut app, KeyCode::Enter);
    let [Command::CreateStaff(create)] = commands.as_slice() else {
        panic!("Enter adds the member, got {commands:?}");
    };
    assert_eq!(create.username, "kim.lee");
    assert_eq!(create.name, "Kim Lee");
    assert_eq!(create.email, "kim@bikes.shop");
    assert_eq!(create.role, Role::Manager);
    assert_eq!(create.store_id, Some(StoreId(2)));
    assert_eq!(
        create.password,
        bikestore_contracts::identity::Password::from("first-pass-42")
    );
    assert_eq!(app.overlay, Overlay::None);
    let saved = bikestore_contracts::identity::StaffSaved {
        staff_id: bikestore_contracts::StaffId(4),
    };
    assert_eq!(
        backend(&mut app, BackendEvent::StaffSaved(saved)),
        vec![Command::LoadStaff {
            include_inactive: false
        }]
    );
}

#[test]
fn admins_change_only_the_role_or_store_that_changed() {
    let mut app = staff_app();
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('e'));
    assert!(
        press(&mut app, KeyCode::Enter).is_empty(),
        "nothing changed yet"
    );
    press(&mut app, KeyCode::Right);
    let commands = press(&mut app, KeyCode::Enter);
    let [Command::ChangeStaffRole(change)] = commands.as_slice() else {
        panic!("Enter changes the role, got {commands:?}");
    };
    assert_eq!(change.staff_id, bikestore_contracts::StaffId(2));
    assert_eq!(change.role, Some(Role::Admin));
    assert_eq!(change.store_id, None);

    press(&mut app, KeyCode::Char('e'));
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Right);
    let commands = press(&mut app, KeyCode::Enter);
    let [Command::ChangeStaffRole(change)] = commands.as_slice() else {
        panic!("Enter changes the store, got {commands:?}");
    };
    assert_eq!(change.role, None);
    assert_eq!(change.store_id, Some(StoreId(2)));
}

#[test]
fn admins_reset_a_password_and_deactivate_only_after_yes() {
    let mut app = staff_app();
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('p'));
    assert!(
        press(&mut app, KeyCode::Enter).is_empty(),
        "a blank password is refused"
    );
    type_text(&mut app, "new-pass-77");
    let commands = press(&mut app, KeyCode::Enter);
    let [Command::ResetPassword(reset)] = commands.as_slice() else {
        panic!("Enter sets the password, got {commands:?}");
    };
    assert_eq!(reset.staff_id, bikestore_contracts::StaffId(2));

    press(&mut app, KeyCode::Char('d'));
    assert_eq!(app.place(), Place::Confirm);
    assert!(press(&mut app, KeyCode::Char('n')).is_empty());
    assert_eq!(app.overlay, Overlay::None);
    press(&mut app, KeyCode::Char('d'));
    let commands = press(&mut app, KeyCode::Char('y'));
    let [Command::DeactivateStaff(deactivate)] = commands.as_slice() else {
        panic!("yes deactivates, got {commands:?}");
    };
    assert_eq!(deactivate.staff_id, bikestore_contracts::StaffId(2));

    // The inactive member is not asked about again.
    press(&mut app, KeyCode::Char('j'));
    assert!(press(&mut app, KeyCode::Char('d')).is_empty());
    assert_eq!(app.overlay, Overlay::None);
}

#[test]
fn only_admins_get_the_staff_keys() {
    let offered = |role| -> Vec<&str> {
        crate::console::keys::bindings_for(Place::Staff, Some(role))
            .map(|binding| binding.keys)
            .collect()
    };
    assert!(offered(Role::Admin).contains(&"d"));
    assert!(!offered(Role::Manager).contains(&"a"));
    assert!(!offered(Role::Manager).contains(&"d"));
    // Even with the screen forced open, a manager's keys open nothing.
    let mut manager = demo::app(Role::Manager);
    manager.tab = Tab::Staff;
    backend(&mut manager, BackendEvent::Staff(demo::staff_list()));
    for letter in ['a', 'e', 'p', 'd'] {
        press(&mut manager, KeyCode::Char(letter));
        assert_eq!(manager.overlay, Overlay::None, "{letter}");
    }
    assert!(matches!(
        &manager.status,
        Some(StatusMessage::Error(error)) if error.code == ErrorCode::Forbidden
    ));
}
