//! Tests that the key tables and the handlers agree: every key a hint stands for is taken by a
//! handler where the hint is shown, and Ctrl+S places an order through its binding.

use super::order_form::filled_form;
use super::*;
use crate::console::keys::{Action, Hint, Place};
use crate::console::screens::snapshots::every_screen;

/// Every place a hint bar can show.
const EVERY_PLACE: [Place; 28] = [
    Place::Login,
    Place::Dashboard,
    Place::OrderList,
    Place::OrderDetail,
    Place::FormCustomer,
    Place::FormProducts,
    Place::FormCart,
    Place::FormPayment,
    Place::FormWatching,
    Place::SagaList,
    Place::SagaDetail,
    Place::Notifications,
    Place::Confirm,
    Place::ConfirmReason,
    Place::Help,
    Place::Stock,
    Place::StockForm,
    Place::Filter,
    Place::Catalog,
    Place::CatalogDetail,
    Place::Staff,
    Place::Palette,
    Place::Customers,
    Place::CustomerDetail,
    Place::CustomerForm,
    Place::ProductForm,
    Place::StaffForm,
    Place::System,
];

/// Consoles in every place: each screen the snapshots draw, the order form in each pane, the
/// `/` filter being typed, and each list with a filter set (which Esc clears).
fn consoles_everywhere() -> Vec<(String, App)> {
    let mut consoles: Vec<(String, App)> = every_screen()
        .into_iter()
        .map(|(name, app)| (name.to_owned(), app))
        .collect();
    let form = filled_form();
    for pane in [
        FormPane::Customer,
        FormPane::Products,
        FormPane::Cart,
        FormPane::Payment,
    ] {
        let mut in_pane = form.clone();
        in_pane.orders.form.pane = pane;
        consoles.push((format!("order form, {pane:?} pane"), in_pane));
    }
    let mut filtering = orders_app(Role::Manager);
    press(&mut filtering, KeyCode::Char('/'));
    consoles.push(("typing the filter".to_owned(), filtering));
    let filtered: Vec<(String, App)> = consoles
        .iter()
        .filter(|(_, app)| offers(app.place(), Action::ClearFilter))
        .map(|(name, app)| {
            let mut filtered = app.clone();
            filtered.filter.input = text_input::TextInput::with_text("e");
            (format!("{name}, filtered"), filtered)
        })
        .collect();
    consoles.extend(filtered);
    consoles
}

fn offers(place: Place, action: Action) -> bool {
    keys::hints(place)
        .iter()
        .flat_map(Hint::bindings)
        .any(|binding| binding.action == action)
}

fn works_everywhere(action: Action) -> bool {
    keys::GLOBAL
        .iter()
        .flat_map(Hint::bindings)
        .any(|binding| binding.action == action)
}

#[test]
fn every_key_a_hint_stands_for_is_taken_where_the_hint_is_shown() {
    let consoles = consoles_everywhere();
    for place in EVERY_PLACE {
        let here: Vec<&(String, App)> = consoles
            .iter()
            .filter(|(_, app)| app.place() == place)
            .collect();
        assert!(!here.is_empty(), "no console is in {place:?}");
        for hint in keys::hints(place) {
            for binding in hint.bindings() {
                let event = binding.key.event();
                // The table is not ambiguous: the key means this binding's action here.
                assert_eq!(
                    keys::action_for(place, &event),
                    Some(binding.action),
                    "{place:?}: {} means two things",
                    binding.key.label()
                );
                // Some state of the place has a handler take the key (a list needs rows for
                // Enter to open one), and a key of the screen does not leave the screen.
                let taken_by = here.iter().find_map(|(name, app)| {
                    let mut pressed = app.clone();
                    pressed.take_key(event)?;
                    Some((name, app.tab, pressed.tab))
                });
                let Some((name, before, after)) = taken_by else {
                    panic!(
                        "{place:?} shows {} \"{}\", but nothing takes {} ({:?})",
                        hint.keys(),
                        hint.what,
                        binding.key.label(),
                        binding.action
                    );
                };
                if !works_everywhere(binding.action) {
                    assert_eq!(before, after, "{name}: {} left the screen", hint.keys());
                }
            }
        }
    }
}

#[test]
fn keys_no_hint_stands_for_are_left_to_the_keys_that_work_everywhere() {
    // `z` is bound nowhere: on a list it is taken by nothing, so the hint bar never hides a key.
    let mut app = orders_app(Role::Manager);
    assert_eq!(
        keys::action_for(Place::OrderList, &KeyEvent::from(KeyCode::Char('z'))),
        None
    );
    assert!(app.take_key(KeyEvent::from(KeyCode::Char('z'))).is_none());
}
