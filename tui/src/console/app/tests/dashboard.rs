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

#[test]
fn the_dashboards_day_starts_at_local_midnight_not_at_utc_midnight() {
    let pacific = time::UtcOffset::from_hms(-8, 0, 0).expect("eight hours is a valid offset");
    let mut app = demo::app(Role::Manager).with_utc_offset(pacific);
    backend(&mut app, BackendEvent::Dashboard(demo::dashboard(true)));
    // 2026-12-01 04:30 UTC: still 20:30 on the 30th for a store in California.
    app.now_ms = 1_796_099_400_000;
    let commands = super::super::dashboard::reload(&mut app);
    let Some(Command::LoadDashboard { since_ms, .. }) = commands.first() else {
        panic!("reloading reads the dashboard, got {commands:?}");
    };
    // 2026-11-30 00:00 local is 08:00 UTC.
    assert_eq!(*since_ms, 1_796_025_600_000);
}

#[test]
fn today_is_the_stores_local_day_wherever_the_console_runs() {
    // The console runs at UTC; 2026-12-01 04:30 UTC is already the 1st there.
    let mut manager = demo::app(Role::Manager);
    manager.now_ms = 1_796_099_400_000;
    assert_eq!(manager.utc_offset, time::UtcOffset::UTC);
    // Store 1, Santa Cruz (America/Los_Angeles, UTC-8): still the 30th, which began at
    // 08:00 UTC.
    assert_eq!(app::dashboard::day_start_ms(&manager), 1_796_025_600_000);
    // An admin looking at store 2, Baldwin (America/New_York, UTC-5): the 30th began at
    // 05:00 UTC.
    let mut admin = demo::app(Role::Admin);
    admin.now_ms = manager.now_ms;
    admin.store_id = Some(StoreId(2));
    assert_eq!(app::dashboard::day_start_ms(&admin), 1_796_014_800_000);
    // The whole chain has no zone of its own: the console's day, 2026-12-01 00:00 UTC.
    admin.store_id = None;
    assert_eq!(app::dashboard::day_start_ms(&admin), 1_796_083_200_000);
}
