//! The dashboard: today's orders and revenue for the store in scope, sagas by state (managers
//! and admins), low stock. Read once when shown, again on `g`, and again when a live event says
//! an order or the stock changed.

use ratatui::crossterm::event::KeyEvent;

use super::App;
use super::load::Load;
use crate::console::event::{BackendEvent, Command, DashboardData};
use crate::console::format::{start_of_day_ms, start_of_zone_day_ms};
use crate::console::keys::{self, Action, Place};

/// The dashboard's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DashboardState {
    /// The figures.
    pub data: Load<DashboardData>,
}

/// Reads the figures again, unless a read is already on its way.
pub fn reload(app: &mut App) -> Vec<Command> {
    if app.dashboard.data.is_loading() {
        return Vec::new();
    }
    app.dashboard.data.start();
    vec![Command::LoadDashboard {
        store_id: app.store_id,
        since_ms: day_start_ms(app),
        with_sagas: app.is_manager(),
    }]
}

/// Where "today" begins: midnight in the time zone of the store in scope, wherever the
/// console runs; for the whole chain (an admin's view) or a store whose zone is not known, at
/// the console's own offset.
pub fn day_start_ms(app: &App) -> i64 {
    app.store_id
        .and_then(|store_id| app.stores.iter().find(|store| store.store_id == store_id))
        .and_then(|store| start_of_zone_day_ms(app.now_ms, &store.time_zone))
        .unwrap_or_else(|| start_of_day_ms(app.now_ms, app.utc_offset))
}

/// A key on the dashboard.
pub fn on_key(app: &mut App, key: KeyEvent) -> Option<Vec<Command>> {
    match keys::action_for(Place::Dashboard, &key)? {
        Action::Reload => Some(reload(app)),
        _ => None,
    }
}

/// A backend answer or live event the dashboard cares about.
pub fn on_backend(app: &mut App, event: &BackendEvent) -> Vec<Command> {
    match event {
        BackendEvent::Dashboard(data) => {
            app.dashboard.data = Load::Ready(data.clone());
            Vec::new()
        }
        // Live figures: an order or a low stock changes what the dashboard shows. Only a
        // dashboard on screen reads again, and at most one read is in flight.
        BackendEvent::Notification(_) | BackendEvent::StockLow(_)
            if app.tab == super::Tab::Dashboard && app.dashboard.data.data().is_some() =>
        {
            reload(app)
        }
        BackendEvent::SagaProgressed(progress)
            if progress.state.is_terminal()
                && app.tab == super::Tab::Dashboard
                && app.dashboard.data.data().is_some() =>
        {
            reload(app)
        }
        _ => Vec::new(),
    }
}
