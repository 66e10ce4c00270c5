//! Snapshot tests of every screen at 80x24 and 160x48 with demo data (monochrome, so the
//! snapshots show text and layout), and a check that no screen panics at any small size.
//!
//! The snapshot files under `snapshots/` are reviewed like code: a change to one is a change
//! to what staff see.
#![cfg(test)]

use crate::console::app::tests::stock::stock_app;
use crate::console::app::tests::system::health_report;
use crate::console::app::tests::{backend, orders_app, press, type_text};
use bikestore_contracts::identity::Role;
use bikestore_contracts::sagas::{SagaId, SagaList, SagaStarted, SagaState};
use bikestore_contracts::{ErrorCode, StoreId};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::KeyCode;

use crate::console::app::order_form::{FormPane, Submission};
use crate::console::app::orders::OrdersView;
use crate::console::app::{App, Connection, Tab};
use crate::console::demo;
use crate::console::event::{BackendEvent, Command, Operation, UiError};
use crate::console::keys::Place;
use crate::console::theme::Theme;

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn draw(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
    terminal
        .draw(|frame| super::render(app, frame))
        .expect("drawing on a test terminal");
    terminal
}

fn snapshot(name: &str, app: &App) {
    for (width, height) in SIZES {
        let terminal = draw(app, width, height);
        insta::assert_snapshot!(format!("{name}_{width}x{height}"), terminal.backend());
    }
}

fn login_app() -> App {
    let mut app = App::new(Theme::MONO, demo::NOW_MS);
    backend(&mut app, BackendEvent::Connected);
    backend(&mut app, BackendEvent::NeedsLogin);
    app
}

/// The new-order form with a customer, two products in the cart and a card being typed.
fn form_app() -> App {
    let mut app = orders_app(Role::Sales);
    press(&mut app, KeyCode::Char('n'));
    backend(
        &mut app,
        BackendEvent::StoreStock {
            store_id: StoreId(1),
            levels: demo::stock(),
        },
    );
    type_text(&mut app, "burks");
    let ticket = match press(&mut app, KeyCode::Enter).first() {
        Some(Command::SearchCustomers { ticket, .. }) => *ticket,
        _ => 0,
    };
    backend(
        &mut app,
        BackendEvent::Customers {
            ticket,
            page: demo::customers(),
        },
    );
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "trek");
    let ticket = match press(&mut app, KeyCode::Enter).first() {
        Some(Command::SearchProducts { ticket, .. }) => *ticket,
        _ => 0,
    };
    backend(
        &mut app,
        BackendEvent::Products {
            ticket,
            page: demo::products(),
        },
    );
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    app.orders.form.pane = FormPane::Payment;
    type_text(&mut app, "4000 0000 0000 0002");
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "12/30");
    app
}

/// The form after a declined card: the saga compensated and failed.
fn watching_app(state: SagaState) -> App {
    let mut app = form_app();
    let saga_id = "01JDZ5R3Q8W0WATCHED000001";
    backend(
        &mut app,
        BackendEvent::OrderPlaced(SagaStarted {
            saga_id: SagaId(saga_id.to_owned()),
            state: SagaState::Running,
            error: None,
            order_id: None,
        }),
    );
    backend(&mut app, BackendEvent::Saga(demo::saga(saga_id, state)));
    app
}

fn sagas_app() -> App {
    let mut app = demo::app(Role::Manager);
    press(&mut app, KeyCode::Char('3'));
    backend(
        &mut app,
        BackendEvent::Sagas(SagaList {
            sagas: demo::sagas(),
        }),
    );
    app
}

/// Every state worth drawing, by name.
pub(crate) fn every_screen() -> Vec<(&'static str, App)> {
    let mut login_failed = login_app();
    type_text(&mut login_failed, "sales1a");
    backend(
        &mut login_failed,
        BackendEvent::Failed {
            operation: Operation::Login,
            error: UiError::new(ErrorCode::Unauthorized, "invalid username or password"),
        },
    );

    let mut dashboard_manager = demo::app(Role::Manager);
    backend(
        &mut dashboard_manager,
        BackendEvent::Dashboard(demo::dashboard(true)),
    );
    let mut dashboard_sales = demo::app(Role::Sales);
    backend(
        &mut dashboard_sales,
        BackendEvent::Dashboard(demo::dashboard(false)),
    );
    dashboard_sales.connection =
        Connection::Disconnected("connection lost; reconnecting".to_owned());

    // The order's lines name their products as the order recorded them.
    let open_order = |role: Role| {
        let mut app = orders_app(role);
        press(&mut app, KeyCode::Enter);
        backend(&mut app, BackendEvent::Order(demo::order()));
        app
    };
    // A manager sees the seller's name once identity names them; the seller, sales1a, sees
    // their own at once.
    let mut order_detail = open_order(Role::Manager);
    let seller = demo::order().staff_id;
    let named = bikestore_contracts::identity::StaffName {
        staff_id: seller,
        name: "Fabiola Jackson".to_owned(),
    };
    backend(&mut order_detail, BackendEvent::StaffNames(vec![named]));
    let order_detail_seller = open_order(Role::Sales);

    let mut cancel_confirm = orders_app(Role::Manager);
    press(&mut cancel_confirm, KeyCode::Char('c'));

    let mut help = orders_app(Role::Sales);
    press(&mut help, KeyCode::Char('?'));

    let mut saga_detail = sagas_app();
    press(&mut saga_detail, KeyCode::Enter);
    backend(
        &mut saga_detail,
        BackendEvent::Saga(demo::saga("01JDZ5R3Q8W0ASTUCK0000001", SagaState::Stuck)),
    );

    let mut notifications = demo::app(Role::Sales);
    press(&mut notifications, KeyCode::Char('3'));
    backend(
        &mut notifications,
        BackendEvent::Notifications(demo::notifications()),
    );

    let mut empty_orders = demo::app(Role::Admin);
    press(&mut empty_orders, KeyCode::Char('2'));
    if let Some(Command::LoadOrders { ticket, .. }) =
        press(&mut empty_orders, KeyCode::Char('g')).first()
    {
        let ticket = *ticket;
        backend(
            &mut empty_orders,
            BackendEvent::Orders {
                ticket,
                page: bikestore_contracts::orders::OrderPage {
                    orders: Vec::new(),
                    total: 0,
                },
            },
        );
    }

    let mut orders_loading = demo::app(Role::Sales);
    press(&mut orders_loading, KeyCode::Char('2'));

    let stock = stock_app(Role::Manager);
    let mut stock_adjust = stock_app(Role::Manager);
    press(&mut stock_adjust, KeyCode::Char('a'));
    type_text(&mut stock_adjust, "-2");
    press(&mut stock_adjust, KeyCode::Tab);
    type_text(&mut stock_adjust, "damaged in the workshop");
    let mut stock_transfer = stock_app(Role::Manager);
    press(&mut stock_transfer, KeyCode::Char('t'));
    type_text(&mut stock_transfer, "2");
    let mut stock_transferred = stock_app(Role::Manager);
    press(&mut stock_transferred, KeyCode::Char('/'));
    type_text(&mut stock_transferred, "trek c");
    backend(
        &mut stock_transferred,
        BackendEvent::TransferStarted(SagaStarted {
            saga_id: SagaId("01JDZ5R3Q8W0TRANSFER00001".to_owned()),
            state: SagaState::Running,
            error: None,
            order_id: None,
        }),
    );
    backend(
        &mut stock_transferred,
        BackendEvent::SagaProgressed(bikestore_contracts::sagas::SagaProgressed {
            saga_id: SagaId("01JDZ5R3Q8W0TRANSFER00001".to_owned()),
            definition: "transfer_stock".to_owned(),
            state: SagaState::Running,
            step: "receive_at_destination".to_owned(),
            last: Some(demo::entry(
                "reserve_at_source",
                bikestore_contracts::sagas::Phase::Action,
                bikestore_contracts::sagas::Outcome::Succeeded,
                0,
            )),
        }),
    );

    let mut catalog = demo::app(Role::Sales);
    press(&mut catalog, KeyCode::Char('5'));
    backend(
        &mut catalog,
        BackendEvent::Catalog(demo::products().products),
    );
    let mut product = catalog.clone();
    press(&mut product, KeyCode::Enter);
    backend(&mut product, BackendEvent::Product(demo::product_detail()));
    // A manager editing the first product, with the brand field focused.
    let mut product_edit = demo::app(Role::Manager);
    press(&mut product_edit, KeyCode::Char('6'));
    backend(
        &mut product_edit,
        BackendEvent::Catalog(demo::products().products),
    );
    press(&mut product_edit, KeyCode::Char('e'));
    press(&mut product_edit, KeyCode::Tab);
    let mut staff = demo::app(Role::Admin);
    press(&mut staff, KeyCode::Char('8'));
    press(&mut staff, KeyCode::Char('i'));
    backend(&mut staff, BackendEvent::Staff(demo::staff_list()));
    let mut staff_add = staff.clone();
    press(&mut staff_add, KeyCode::Char('a'));
    type_text(&mut staff_add, "kim.lee");
    press(&mut staff_add, KeyCode::Tab);
    type_text(&mut staff_add, "Kim Lee");
    for _ in 0..4 {
        press(&mut staff_add, KeyCode::Tab);
    }
    type_text(&mut staff_add, "secret");
    let mut staff_deactivate = staff.clone();
    press(&mut staff_deactivate, KeyCode::Char('j'));
    press(&mut staff_deactivate, KeyCode::Char('d'));

    let mut palette = orders_app(Role::Manager);
    press(&mut palette, KeyCode::Char(':'));
    type_text(&mut palette, "or");

    let mut customers = demo::app(Role::Sales);
    if let Some(Command::SearchCustomers { ticket, .. }) =
        press(&mut customers, KeyCode::Char('6')).first()
    {
        let ticket = *ticket;
        backend(
            &mut customers,
            BackendEvent::Customers {
                ticket,
                page: demo::customers(),
            },
        );
    }
    let mut customer_orders = customers.clone();
    if let Some(Command::LoadOrders { ticket, .. }) =
        press(&mut customer_orders, KeyCode::Enter).first()
    {
        let ticket = *ticket;
        backend(
            &mut customer_orders,
            BackendEvent::Orders {
                ticket,
                page: demo::order_page(),
            },
        );
    }
    let mut customer_form = customers.clone();
    press(&mut customer_form, KeyCode::Char('a'));
    type_text(&mut customer_form, "Ada");

    // The new-order form's search found nobody; Enter opened the add form with the name typed.
    let mut order_form_add_customer = orders_app(Role::Sales);
    press(&mut order_form_add_customer, KeyCode::Char('n'));
    type_text(&mut order_form_add_customer, "Ada Lovelace");
    if let Some(Command::SearchCustomers { ticket, .. }) =
        press(&mut order_form_add_customer, KeyCode::Enter).first()
    {
        let ticket = *ticket;
        backend(
            &mut order_form_add_customer,
            BackendEvent::Customers {
                ticket,
                page: bikestore_contracts::orders::CustomerPage {
                    customers: Vec::new(),
                    total: 0,
                },
            },
        );
    }
    let order_form_no_customer = order_form_add_customer.clone();
    press(&mut order_form_add_customer, KeyCode::Enter);
    let mut system_healthy = demo::app(Role::Admin);
    press(&mut system_healthy, KeyCode::Char('9'));
    let mut system_degraded = system_healthy.clone();
    backend(
        &mut system_healthy,
        BackendEvent::SystemHealth(health_report(true)),
    );
    backend(
        &mut system_degraded,
        BackendEvent::SystemHealth(health_report(false)),
    );
    let mut sagas_filtered = sagas_app();
    press(&mut sagas_filtered, KeyCode::Char('/'));
    type_text(&mut sagas_filtered, "stuck");

    vec![
        ("login", login_app()),
        ("customers", customers),
        ("customer_orders", customer_orders),
        ("customer_add", customer_form),
        ("palette", palette),
        ("catalog", catalog),
        ("catalog_product", product),
        ("catalog_product_edit", product_edit),
        ("staff_admin", staff),
        ("staff_add", staff_add),
        ("staff_deactivate_confirm", staff_deactivate),
        ("stock", stock),
        ("stock_adjust", stock_adjust),
        ("stock_transfer", stock_transfer),
        ("stock_filtered_transfer_running", stock_transferred),
        ("orders_loading", orders_loading),
        ("login_failed", login_failed),
        ("dashboard_manager", dashboard_manager),
        ("dashboard_sales_offline", dashboard_sales),
        ("orders_list", orders_app(Role::Sales)),
        ("orders_empty_admin", empty_orders),
        ("order_detail", order_detail),
        ("order_detail_seller", order_detail_seller),
        ("order_cancel_confirm", cancel_confirm),
        ("order_form", form_app()),
        ("order_form_no_customer", order_form_no_customer),
        ("order_form_add_customer", order_form_add_customer),
        ("order_saga_rejected", watching_app(SagaState::Failed)),
        ("order_saga_completed", watching_app(SagaState::Completed)),
        ("sagas_list", sagas_app()),
        ("sagas_filtered", sagas_filtered),
        ("saga_detail_stuck", saga_detail),
        ("notifications", notifications),
        ("help_orders", help),
        ("system_healthy", system_healthy),
        ("system_degraded", system_degraded),
    ]
}

#[test]
fn every_screen_at_80x24_and_160x48() {
    for (name, app) in every_screen() {
        snapshot(name, &app);
    }
}

#[test]
fn the_screens_reached_are_the_ones_named() {
    let screens = every_screen();
    let find = |wanted: &str| {
        screens
            .iter()
            .find(|(name, _)| *name == wanted)
            .map(|(_, app)| app)
            .expect("a named screen")
    };
    assert_eq!(find("order_detail").orders.view, OrdersView::Detail);
    assert_eq!(find("order_form").orders.view, OrdersView::Create);
    assert!(matches!(
        find("order_saga_rejected").orders.form.submission,
        Submission::Watching(_)
    ));
    assert_eq!(find("sagas_list").tab, Tab::Sagas);
    assert_eq!(find("notifications").tab, Tab::Notifications);
    assert_eq!(find("catalog_product_edit").place(), Place::ProductForm);
    assert_eq!(find("order_form_add_customer").place(), Place::CustomerForm);
    assert_eq!(find("staff_add").place(), Place::StaffForm);
    assert_eq!(find("staff_deactivate_confirm").place(), Place::Confirm);
    assert_eq!(find("system_degraded").place(), Place::System);
}

#[test]
fn no_screen_panics_at_any_small_size() {
    for (name, app) in every_screen() {
        for width in [1, 2, 10, 39, 40, 41, 52, 60, 79] {
            for height in [1, 2, 5, 9, 10, 11, 14, 23] {
                let terminal = draw(&app, width, height);
                // Below the minimum the note asks for more room; above it the shell is drawn.
                let text = format!("{:?}", terminal.backend().buffer());
                if width >= super::MIN_WIDTH && height >= super::MIN_HEIGHT {
                    assert!(
                        text.contains("connect") || text.contains("offline"),
                        "{name} at {width}x{height} draws the status line"
                    );
                }
            }
        }
    }
}

#[test]
fn a_tiny_terminal_asks_for_more_room() {
    let terminal = draw(&login_app(), 30, 8);
    insta::assert_snapshot!("too_small_30x8", terminal.backend());
}

#[test]
fn no_color_draws_without_colour_and_color_draws_with_it() {
    let mut colored = orders_app(Role::Sales);
    colored.theme = Theme::COLOR;
    let colored_terminal = draw(&colored, 80, 24);
    let mono_terminal = draw(&orders_app(Role::Sales), 80, 24);
    let has_colour = |terminal: &Terminal<TestBackend>| {
        terminal
            .backend()
            .buffer()
            .content
            .iter()
            .any(|cell| cell.fg != ratatui::style::Color::Reset)
    };
    assert!(has_colour(&colored_terminal));
    assert!(!has_colour(&mono_terminal));
}
