//! State and key-handling tests, one module per screen: feed keys and backend events, read the
//! state and the commands. This file holds what they share: the imports, the key and backend
//! helpers, and a console on the orders list.

use bikestore_contracts::identity::Role;
use bikestore_contracts::notifications::NotificationKind;
use bikestore_contracts::orders::OrderStatus;
use bikestore_contracts::sagas::{Outcome, Phase, SagaId, SagaProgressed, SagaStarted, SagaState};
use bikestore_contracts::{ErrorCode, OrderId, ProductId, StaffId, StoreId};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::load::Load;
use super::order_form::{FormPane, Submission};
use super::orders::OrdersView;
use super::sagas::SagasView;
use super::*;
use crate::console::event::{BackendEvent, Command, Event, Operation, UiError};
use crate::console::{app, demo, keys};

mod bindings;
mod catalog;
mod customers;
mod dashboard;
mod notifications;
mod order_form;
mod orders;
mod palette;
mod sagas;
mod shell;
mod staff;
pub(crate) mod stock;
pub(crate) mod system;

pub(crate) fn press(app: &mut App, code: KeyCode) -> Vec<Command> {
    app.update(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

pub(crate) fn type_text(app: &mut App, text: &str) {
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

pub(crate) fn backend(app: &mut App, event: BackendEvent) -> Vec<Command> {
    app.update(Event::Backend(event))
}

/// A console on the orders list with the demo page loaded.
pub(crate) fn orders_app(role: Role) -> App {
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

fn palette(app: &mut App, line: &str) -> Vec<Command> {
    press(app, KeyCode::Char(':'));
    assert_eq!(app.place(), Place::Palette);
    type_text(app, line);
    press(app, KeyCode::Enter)
}
