//! Tests of the new-order form: searching, the cart, the card, placing the order and watching
//! its saga, and adding a customer the search did not find.

use super::*;

/// Walks the new-order form up to a complete order.
pub(super) fn filled_form() -> App {
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
fn ctrl_s_places_the_order_through_its_binding() {
    let mut app = filled_form();
    app.orders.form.pane = FormPane::Payment;
    type_text(&mut app, "4242 4242 4242 4242");
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "12/30");
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "123");
    let place_order = keys::hints(app.place())
        .iter()
        .flat_map(keys::Hint::bindings)
        .find(|binding| binding.action == keys::Action::PlaceOrder)
        .expect("the card pane offers to place the order");
    assert_eq!(place_order.key.label(), "Ctrl+S");
    // The letter alone is typed into the card field, not taken as the binding.
    let mut typed = app.clone();
    assert!(press(&mut typed, KeyCode::Char('s')).is_empty());
    assert_eq!(typed.orders.form.submission, Submission::Editing);
    let commands = app.update(Event::Key(place_order.key.event()));
    assert!(
        matches!(commands.as_slice(), [Command::PlaceOrder { .. }]),
        "the binding places the order, got {commands:?}"
    );
    assert_eq!(app.orders.form.submission, Submission::Submitting);
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
    assert!(
        request.lines.iter().all(|line| line.list_price.is_none()),
        "the console sends no price: the saga prices from the catalog"
    );
    assert_eq!(request.staff_id.0, 3, "the seller is the member logged in");
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
    assert_eq!(app::order_form::parse_expiry("12/30"), Some((12, 2030)));
    assert_eq!(app::order_form::parse_expiry(" 1 / 2031 "), Some((1, 2031)));
    assert_eq!(app::order_form::parse_expiry("13/30"), None);
    assert_eq!(app::order_form::parse_expiry("1230"), None);
    assert_eq!(app::order_form::parse_expiry("12/3"), None);
    let line = app::order_form::CartLine {
        product_id: ProductId(1),
        name: String::new(),
        unit_price: bikestore_contracts::Cents(333),
        quantity: 3,
        discount_percent: 15,
    };
    // 999 less 15% is 849.15, rounded half up to 849.
    assert_eq!(line.total(), bikestore_contracts::Cents(849));
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
