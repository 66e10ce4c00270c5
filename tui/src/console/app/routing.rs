//! Where a key goes: Ctrl+C first, then the window over the screen, the login form, the `/`
//! filter being typed, a screen taking text, the keys that work everywhere, and last the screen.

use bikestore_contracts::identity::Role;
use ratatui::crossterm::event::{KeyEvent, KeyEventKind};

use super::{
    App, ListFilter, Overlay, Tab, catalog, customers, dashboard, login, notifications, orders,
    palette, sagas, staff, stock, system,
};
use crate::console::event::Command;
use crate::console::keys::{self, Action};

impl App {
    /// A key, routed to the first of these that takes it.
    pub(super) fn on_key(&mut self, key: KeyEvent) -> Vec<Command> {
        self.take_key(key).unwrap_or_default()
    }

    /// Routes a key and answers `None` when nothing took it, so tests can tell a key that
    /// did nothing from one that was handled.
    pub(crate) fn take_key(&mut self, key: KeyEvent) -> Option<Vec<Command>> {
        // Terminals that report releases would otherwise act twice per key.
        if key.kind == KeyEventKind::Release {
            return None;
        }
        if keys::INTERRUPT.matches(&key) {
            self.quit = true;
            return Some(Vec::new());
        }
        match &self.overlay {
            Overlay::Help => return Some(self.on_help_key(key)),
            Overlay::Confirm(_) => return Some(self.on_confirm_key(key)),
            Overlay::Stock(_) => return Some(stock::on_form_key(self, key)),
            Overlay::Customer(_) => return Some(customers::on_form_key(self, key)),
            Overlay::Product(_) => return Some(catalog::on_form_key(self, key)),
            Overlay::Staff(_) => return Some(staff::on_form_key(self, key)),
            Overlay::Palette(_) => return Some(self.on_palette_key(key)),
            Overlay::None => {}
        }
        if self.staff.is_none() {
            return Some(login::on_key(self, key));
        }
        if self.filter.editing {
            return Some(self.on_filter_key(key));
        }
        // A screen that is taking text sees the key first.
        if let Some(commands) = self.screen_key(key, true) {
            return Some(commands);
        }
        // The `/` filter's keys are listed with each list they filter; the rest work everywhere.
        let shell_action = keys::action_for(self.place(), &key)
            .filter(|action| matches!(action, Action::Filter | Action::ClearFilter))
            .or_else(|| keys::global_action(&key));
        let commands = match shell_action {
            Some(Action::Help) => {
                self.overlay = Overlay::Help;
                Vec::new()
            }
            Some(Action::Quit) => {
                self.quit = true;
                Vec::new()
            }
            Some(Action::LogOut) => self.logout(),
            Some(Action::SwitchStore) if self.role() == Some(Role::Admin) => self.next_store(),
            Some(Action::Palette) => {
                palette::open(self);
                Vec::new()
            }
            Some(Action::Filter) if self.filters_a_list() => {
                self.filter.editing = true;
                Vec::new()
            }
            Some(Action::ClearFilter) if self.filter.is_active() && self.filters_a_list() => {
                self.filter = ListFilter::default();
                Vec::new()
            }
            Some(Action::GoToScreen(index)) => match self.visible_tabs().get(usize::from(index)) {
                Some(tab) => self.open_tab(*tab),
                None => Vec::new(),
            },
            Some(Action::NextScreen) => self.step_tab(1),
            Some(Action::PreviousScreen) => self.step_tab(-1),
            _ => return self.screen_key(key, false),
        };
        Some(commands)
    }

    /// Hands a key to the current screen. With `typing`, only a screen whose focus is a text
    /// field takes it; answers `None` when the screen did not take it.
    fn screen_key(&mut self, key: KeyEvent, typing: bool) -> Option<Vec<Command>> {
        match self.tab {
            Tab::Dashboard => (!typing).then(|| dashboard::on_key(self, key)).flatten(),
            Tab::Orders => orders::on_key(self, key, typing),
            Tab::Sagas => (!typing).then(|| sagas::on_key(self, key)).flatten(),
            Tab::Notifications => (!typing)
                .then(|| notifications::on_key(self, key))
                .flatten(),
            Tab::Stock => (!typing).then(|| stock::on_key(self, key)).flatten(),
            Tab::Catalog => (!typing).then(|| catalog::on_key(self, key)).flatten(),
            Tab::Staff => (!typing).then(|| staff::on_key(self, key)).flatten(),
            Tab::Customers => (!typing).then(|| customers::on_key(self, key)).flatten(),
            Tab::System => (!typing).then(|| system::on_key(self, key)).flatten(),
        }
    }
}
