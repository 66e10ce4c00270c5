//! The windows over a screen: help, the confirmation question before anything destructive, the
//! palette and the screens' forms; this file owns the shell's own ones (help, confirm, palette)
//! and the keys they take.

use bikestore_contracts::ErrorCode;
use bikestore_contracts::sagas::SagaId;
use bikestore_contracts::{OrderId, StaffId};
use ratatui::crossterm::event::KeyEvent;

use super::text_input::TextInput;
use super::{App, catalog, customers, orders, palette, sagas, staff, stock};
use crate::console::event::{Command, UiError};
use crate::console::keys::{self, Action, Place};

/// What a confirmation would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfirmAction {
    /// Cancel an order (a saga gives money and stock back).
    CancelOrder(OrderId),
    /// Retry a saga.
    RetrySaga(SagaId),
    /// End a saga by hand.
    ResolveSaga(SagaId),
    /// Stop a member of staff from logging in.
    DeactivateStaff(StaffId),
}

/// A question before anything destructive, with a reason where one is recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    /// What yes does.
    pub action: ConfirmAction,
    /// The question.
    pub prompt: String,
    /// The reason to record, when the action takes one.
    pub reason: Option<TextInput>,
}

/// A window over the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    /// Nothing over the screen.
    None,
    /// Help for the current place.
    Help,
    /// A confirmation question.
    Confirm(Confirm),
    /// The receive, adjust or transfer form of the stock screen.
    Stock(stock::StockForm),
    /// The `:` command palette, with what is typed.
    Palette(TextInput),
    /// The add-customer form.
    Customer(customers::CustomerForm),
    /// The add- or edit-product form of the catalog.
    Product(catalog::ProductForm),
    /// The add-member, role-and-store or password form of the staff screen.
    Staff(staff::StaffForm),
}

impl App {
    /// A key in the help window: the closing keys close it, the rest do nothing.
    pub(super) fn on_help_key(&mut self, key: KeyEvent) -> Vec<Command> {
        if keys::action_for(Place::Help, &key) == Some(Action::Close) {
            self.overlay = Overlay::None;
        }
        Vec::new()
    }

    /// A key in the palette: Enter runs the line, Esc closes, the rest edit it.
    pub(super) fn on_palette_key(&mut self, key: KeyEvent) -> Vec<Command> {
        let Overlay::Palette(input) = &mut self.overlay else {
            return Vec::new();
        };
        match keys::action_for(Place::Palette, &key) {
            Some(Action::Close) => self.overlay = Overlay::None,
            Some(Action::Submit) => {
                let line = input.text().trim().to_owned();
                self.overlay = Overlay::None;
                return palette::run(self, &line);
            }
            _ => {
                input.handle(key);
            }
        }
        Vec::new()
    }

    pub(super) fn on_confirm_key(&mut self, key: KeyEvent) -> Vec<Command> {
        let Overlay::Confirm(confirm) = &mut self.overlay else {
            return Vec::new();
        };
        // A question that records a reason takes letters as text, so it answers on Enter and Esc.
        let place = if confirm.reason.is_some() {
            Place::ConfirmReason
        } else {
            Place::Confirm
        };
        match keys::action_for(place, &key) {
            Some(Action::No) => {
                self.overlay = Overlay::None;
                Vec::new()
            }
            Some(Action::Yes) => self.confirmed(),
            _ => {
                if let Some(reason) = &mut confirm.reason {
                    reason.handle(key);
                }
                Vec::new()
            }
        }
    }

    fn confirmed(&mut self) -> Vec<Command> {
        let Overlay::Confirm(confirm) = std::mem::replace(&mut self.overlay, Overlay::None) else {
            return Vec::new();
        };
        let reason = confirm
            .reason
            .as_ref()
            .map(|reason| reason.text().trim().to_owned());
        if reason.as_deref() == Some("") {
            self.fail(UiError::new(ErrorCode::Invalid, "a reason is needed"));
            self.overlay = Overlay::Confirm(confirm);
            return Vec::new();
        }
        let reason = reason.unwrap_or_default();
        match confirm.action {
            ConfirmAction::CancelOrder(order_id) => orders::cancel(self, order_id, reason),
            ConfirmAction::RetrySaga(saga_id) => sagas::retry(self, saga_id),
            ConfirmAction::ResolveSaga(saga_id) => sagas::resolve(self, saga_id, reason),
            ConfirmAction::DeactivateStaff(staff_id) => staff::deactivate(self, staff_id),
        }
    }
}
