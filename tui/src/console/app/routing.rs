//! Where a key goes: Ctrl+C first, then the window over the screen, the login form, the `/`
//! filter being typed, a screen taking text, the keys that work everywhere, and last the screen.

use bikestore_contracts::identity::Role;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::{
    App, ListFilter, Overlay, Tab, catalog, customers, dashboard, login, notifications, orders,
    palette, sagas, staff, stock,
};
use crate::console::event::Command;

impl App {
    /// A key, routed to the first of these that takes it.
    pub(super) fn on_key(&mut self, key: KeyEvent) -> Vec<Command> {
        // Terminals that report releases would otherwise act twice per key.
        if key.kind == KeyEventKind::Release {
            return Vec::new();
        }
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            self.quit = true;
            return Vec::new();
        }
        match &self.overlay {
            Overlay::Help => return self.on_help_key(key),
            Overlay::Confirm(_) => return self.on_confirm_key(key),
            Overlay::Stock(_) => return stock::on_form_key(self, key),
            Overlay::Customer(_) => return customers::on_form_key(self, key),
            Overlay::Product(_) => return catalog::on_form_key(self, key),
            Overlay::Staff(_) => return staff::on_form_key(self, key),
            Overlay::Palette(_) => return self.on_palette_key(key),
            Overlay::None => {}
        }
        if self.staff.is_none() {
            return login::on_key(self, key);
        }
        if self.filter.editing {
            return self.on_filter_key(key);
        }
        // A screen that is taking text sees the key first.
        if let Some(commands) = self.screen_key(key, true) {
            return commands;
        }
        match key.code {
            KeyCode::Char('?') => {
                self.overlay = Overlay::Help;
                Vec::new()
            }
            KeyCode::Char('q') => {
                self.quit = true;
                Vec::new()
            }
            KeyCode::Char('L') => self.logout(),
            KeyCode::Char('s') if self.role() == Some(Role::Admin) => self.next_store(),
            KeyCode::Char(':') => {
                palette::open(self);
                Vec::new()
            }
            KeyCode::Char('/') if self.filters_a_list() => {
                self.filter.editing = true;
                Vec::new()
            }
            KeyCode::Esc if self.filter.is_active() && self.filters_a_list() => {
                self.filter = ListFilter::default();
                Vec::new()
            }
            KeyCode::Char(digit @ '1'..='9') => {
                let index = digit as usize - '1' as usize;
                match self.visible_tabs().get(index) {
                    Some(tab) => self.open_tab(*tab),
                    None => Vec::new(),
                }
            }
            KeyCode::Tab | KeyCode::Right | KeyCode::Char('l') => self.step_tab(1),
            KeyCode::BackTab | KeyCode::Left | KeyCode::Char('h') => self.step_tab(-1),
            _ => self.screen_key(key, false).unwrap_or_default(),
        }
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
        }
    }
}
