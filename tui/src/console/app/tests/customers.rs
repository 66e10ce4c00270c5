//! Tests of the customers screen: the server-side search, a customer's orders, adding one.

use super::*;

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
    assert_eq!(app::customers::visible(&app).len(), 1);
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
