//! Tests of the dashboard: it reads again on live news only while it is shown.

use super::*;

#[test]
fn the_dashboard_reads_again_on_live_news_only_when_shown() {
    let mut app = demo::app(Role::Manager);
    backend(&mut app, BackendEvent::Dashboard(demo::dashboard(true)));
    let news = demo::notification(9, NotificationKind::LowStock, "low");
    let commands = backend(&mut app, BackendEvent::Notification(news.clone()));
    assert!(matches!(
        commands.as_slice(),
        [Command::LoadDashboard { .. }]
    ));
    backend(&mut app, BackendEvent::Dashboard(demo::dashboard(true)));
    press(&mut app, KeyCode::Char('4'));
    assert!(backend(&mut app, BackendEvent::Notification(news)).is_empty());
    assert!(matches!(app.dashboard.data, Load::Ready(_)));
}
