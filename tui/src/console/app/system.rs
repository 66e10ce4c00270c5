//! The System screen (admins): the system's health as `just status` shows it: each service's
//! instances and endpoint counts, each stream's consumers' lag, each node, and the stuck and
//! failed sagas. Read when shown, on `g`, and again every [`REFRESH_MS`] while it stays on
//! screen, so it is live without a feed of its own.

use ratatui::crossterm::event::KeyEvent;

use bikestore_contracts::health::SystemHealthReport;

use super::load::Load;
use super::{App, Tab};
use crate::console::event::{BackendEvent, Command};
use crate::console::keys::{self, Action, Place};

/// How often the screen reads the health again while it is shown, in milliseconds.
pub const REFRESH_MS: i64 = 5_000;

/// The System screen's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SystemState {
    /// The report.
    pub report: Load<SystemHealthReport>,
    /// When it was last asked for, in milliseconds since the Unix epoch.
    pub asked_at_ms: i64,
}

/// Reads the report again, unless a read is already on its way.
pub fn reload(app: &mut App) -> Vec<Command> {
    if app.system.report.is_loading() {
        return Vec::new();
    }
    app.system.report.start();
    app.system.asked_at_ms = app.now_ms;
    vec![Command::LoadSystemHealth]
}

/// A tick: the screen on view reads again once its report is [`REFRESH_MS`] old.
pub fn on_tick(app: &mut App) -> Vec<Command> {
    let due = app.now_ms.saturating_sub(app.system.asked_at_ms) >= REFRESH_MS;
    let shown = app.tab == Tab::System && app.staff.is_some();
    if shown && due && !matches!(app.system.report, Load::Idle) {
        reload(app)
    } else {
        Vec::new()
    }
}

/// A key on the System screen.
pub fn on_key(app: &mut App, key: KeyEvent) -> Option<Vec<Command>> {
    match keys::action_for(Place::System, &key)? {
        Action::Reload => Some(reload(app)),
        _ => None,
    }
}

/// The report's answer.
pub fn on_backend(app: &mut App, event: &BackendEvent) -> Vec<Command> {
    if let BackendEvent::SystemHealth(report) = event {
        app.system.report = Load::Ready(report.clone());
    }
    Vec::new()
}
