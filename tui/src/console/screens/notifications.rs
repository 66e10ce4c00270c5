//! The notifications feed, newest first, growing live.

use bikestore_contracts::notifications::{DeliveryStatus, NotificationKind};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Row, Table, TableState};

use super::{loaded, note, pane};
use crate::console::app::App;
use crate::console::format::{date_time, truncate};

fn kind(kind: NotificationKind) -> &'static str {
    match kind {
        NotificationKind::OrderConfirmed => "order confirmed",
        NotificationKind::OrderRejected => "order rejected",
        NotificationKind::OrderCancelled => "order cancelled",
        NotificationKind::LowStock => "low stock",
        NotificationKind::StockTransferDone => "transfer done",
    }
}

/// Draws the feed.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let theme = app.theme;
    let block = pane(
        theme,
        &format!("Notifications · live{}", super::filter_title(app)),
        false,
    );
    let Some(_) = loaded(
        app,
        frame,
        area,
        &app.notifications.list,
        "reading notifications",
    ) else {
        return;
    };
    let list = crate::console::app::notifications::visible(app);
    if list.is_empty() {
        frame.render_widget(block, area);
        note(
            frame,
            area,
            Line::styled("No notifications yet.", theme.dim()),
        );
        return;
    }
    // The fixed columns, their gaps and the borders take 43 cells.
    let text_width = usize::from(area.width.saturating_sub(43)).max(10);
    let rows = list.iter().map(|notification| {
        let status = match notification.status {
            DeliveryStatus::Pending => Span::styled("pending", theme.warn()),
            DeliveryStatus::Delivered => Span::styled("sent", theme.good()),
            DeliveryStatus::Failed => Span::styled("failed", theme.error()),
        };
        Row::new(vec![
            Span::raw(date_time(notification.created_at_ms, app.utc_offset)),
            Span::raw(kind(notification.kind)),
            status,
            Span::raw(truncate(&notification.text, text_width)),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(16),
            Constraint::Length(15),
            Constraint::Length(7),
            Constraint::Min(10),
        ],
    )
    .header(Row::new(vec!["When", "What", "Sent", "Text"]).style(theme.dim()))
    .row_highlight_style(theme.selected())
    .block(block);
    let mut state = TableState::default().with_selected(Some(app.notifications.selected));
    frame.render_stateful_widget(table, area, &mut state);
}
