//! The notifications feed: the newest notifications of the store in scope, read once, then
//! grown live from the store's notification subject. A notification seen twice (the live
//! subject is at least once) is shown once.

use bikestore_contracts::notifications::Notification;
use ratatui::crossterm::event::KeyEvent;

use super::App;
use super::load::Load;
use crate::console::event::{BackendEvent, Command};
use crate::console::keys::{self, Action, Place};

/// The most notifications kept on screen.
pub const FEED_LIMIT: usize = 200;

/// The feed's state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NotificationsState {
    /// The notifications, newest first.
    pub list: Load<Vec<Notification>>,
    /// The highlighted row.
    pub selected: usize,
}

/// Reads the feed again.
pub fn reload(app: &mut App) -> Vec<Command> {
    app.notifications.list.start();
    vec![Command::LoadNotifications(app.store_id)]
}

/// The notifications shown, after the `/` filter.
pub fn visible(app: &App) -> Vec<&Notification> {
    app.notifications.list.data().map_or_else(Vec::new, |list| {
        list.iter()
            .filter(|notification| app.filter.matches(&notification.text))
            .collect()
    })
}

/// A key on the feed.
pub fn on_key(app: &mut App, key: KeyEvent) -> Option<Vec<Command>> {
    let count = visible(app).len();
    let feed = &mut app.notifications;
    match keys::action_for(Place::Notifications, &key)? {
        Action::Down => feed.selected = (feed.selected + 1).min(count.saturating_sub(1)),
        Action::Up => feed.selected = feed.selected.saturating_sub(1),
        Action::Reload => return Some(reload(app)),
        _ => return None,
    }
    Some(Vec::new())
}

/// A backend answer or live notification.
pub fn on_backend(app: &mut App, event: &BackendEvent) -> Vec<Command> {
    let feed = &mut app.notifications;
    match event {
        BackendEvent::Notifications(list) => feed.list = Load::Ready(list.clone()),
        BackendEvent::Notification(notification) => {
            let in_scope = app.store_id.is_none() || notification.store_id == app.store_id;
            if let Some(list) = feed.list.data_mut()
                && in_scope
                && !list
                    .iter()
                    .any(|seen| seen.notification_id == notification.notification_id)
            {
                list.insert(0, notification.clone());
                list.truncate(FEED_LIMIT);
                // Keep the highlighted notification where it was.
                if feed.selected > 0 {
                    feed.selected = (feed.selected + 1).min(list.len().saturating_sub(1));
                }
            }
        }
        _ => {}
    }
    Vec::new()
}
