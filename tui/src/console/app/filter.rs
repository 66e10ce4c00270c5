//! The `/` filter of the list on screen: what is typed, which screens have a list it narrows,
//! and the keys while it is typed.

use ratatui::crossterm::event::KeyEvent;

use super::text_input::TextInput;
use super::{App, Tab, customers, orders, sagas};
use crate::console::event::Command;
use crate::console::keys::{self, Action, Place};

/// The `/` filter of the list on screen: rows whose text contains it, case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// What is typed.
    pub input: TextInput,
    /// Whether keys go to the filter.
    pub editing: bool,
}

impl ListFilter {
    /// Whether a row with `text` passes.
    pub fn matches(&self, text: &str) -> bool {
        let wanted = self.input.text().trim().to_lowercase();
        wanted.is_empty() || text.to_lowercase().contains(&wanted)
    }

    /// Whether any filter is set.
    pub fn is_active(&self) -> bool {
        !self.input.is_blank()
    }
}

impl App {
    /// A key while the filter is typed. Customers are too many to read at once: their filter is
    /// a search on the server, sent when the filter is kept or cleared.
    pub(super) fn on_filter_key(&mut self, key: KeyEvent) -> Vec<Command> {
        let searches = self.tab == Tab::Customers;
        match keys::action_for(Place::Filter, &key) {
            Some(Action::Submit) => {
                self.filter.editing = false;
                if searches {
                    return customers::reload(self);
                }
            }
            Some(Action::Close) => {
                self.filter = ListFilter::default();
                if searches {
                    return customers::reload(self);
                }
            }
            _ => {
                self.filter.input.handle(key);
                self.clamp_selections();
            }
        }
        Vec::new()
    }

    /// Whether the screen shows a list the `/` filter applies to.
    pub(super) fn filters_a_list(&self) -> bool {
        match self.tab {
            Tab::Dashboard | Tab::System => false,
            Tab::Sagas => self.sagas.view == sagas::SagasView::List,
            Tab::Orders => self.orders.view == orders::OrdersView::List,
            Tab::Notifications | Tab::Stock | Tab::Staff => true,
            Tab::Catalog => self.catalog.detail.is_none(),
            Tab::Customers => self.customers.detail.is_none(),
        }
    }

    /// Moves each highlight to the first row, which passes the new filter.
    fn clamp_selections(&mut self) {
        self.notifications.selected = 0;
        self.orders.selected = 0;
        self.sagas.selected = 0;
        self.stock.selected = 0;
        self.catalog.selected = 0;
        self.staff_screen.selected = 0;
        self.customers.selected = 0;
    }
}
