//! The staff screen (admins only): every member with role, store and whether active. Reading
//! only; staff administration stays with the command line (`bikestore staff ...`).

use bikestore_contracts::identity::StaffSummary;
use ratatui::crossterm::event::{KeyCode, KeyEvent};

use super::App;
use super::load::Load;
use crate::console::event::{BackendEvent, Command};

/// The staff screen's state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StaffState {
    /// The members.
    pub list: Load<Vec<StaffSummary>>,
    /// The highlighted row.
    pub selected: usize,
    /// Whether deactivated members are listed too.
    pub include_inactive: bool,
}

/// Reads the list again.
pub fn reload(app: &mut App) -> Vec<Command> {
    app.staff_screen.list.start();
    vec![Command::LoadStaff {
        include_inactive: app.staff_screen.include_inactive,
    }]
}

/// The members shown, after the `/` filter (on username, name, e-mail and role).
pub fn visible(app: &App) -> Vec<&StaffSummary> {
    app.staff_screen.list.data().map_or_else(Vec::new, |list| {
        list.iter()
            .filter(|member| {
                let text = format!(
                    "{} {} {} {}",
                    member.username, member.name, member.email, member.role
                );
                app.filter.matches(&text)
            })
            .collect()
    })
}

/// A key on the staff screen.
pub fn on_key(app: &mut App, key: KeyEvent) -> Option<Vec<Command>> {
    let count = visible(app).len();
    let screen = &mut app.staff_screen;
    match key.code {
        KeyCode::Down | KeyCode::Char('j') => {
            screen.selected = (screen.selected + 1).min(count.saturating_sub(1));
        }
        KeyCode::Up | KeyCode::Char('k') => screen.selected = screen.selected.saturating_sub(1),
        KeyCode::Char('i') => {
            screen.include_inactive = !screen.include_inactive;
            return Some(reload(app));
        }
        KeyCode::Char('g') => return Some(reload(app)),
        _ => return None,
    }
    Some(Vec::new())
}

/// The list arrived.
pub fn on_backend(app: &mut App, event: &BackendEvent) {
    if let BackendEvent::Staff(list) = event {
        app.staff_screen.list = Load::Ready(list.clone());
    }
}
