//! The dashboard: today's orders and revenue, sagas by state (managers and admins), low stock.

use bikestore_contracts::sagas::SagaState;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Table};

use super::{loaded, pane};
use crate::console::app::App;
use crate::console::event::DashboardData;
use crate::console::format::{money, saga_state, truncate};

/// Draws the dashboard.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let Some(data) = loaded(
        app,
        frame,
        area,
        &app.dashboard.data,
        "reading today's figures",
    ) else {
        return;
    };
    let [top, bottom] = Layout::vertical([Constraint::Length(7), Constraint::Min(3)]).areas(area);
    let [today, sagas] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(top);
    render_today(app, frame, today, data);
    render_sagas(app, frame, sagas, data);
    render_low_stock(app, frame, bottom, data);
}

fn render_today(app: &App, frame: &mut Frame, area: Rect, data: &DashboardData) {
    let theme = app.theme;
    let scope = match app.store_id {
        Some(store_id) => app.store_name(store_id),
        None => "all stores".to_owned(),
    };
    let block = pane(theme, &format!("Today · {scope}"), false);
    let figure = |label: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("{label:<18}"), theme.dim()),
            Span::styled(value, theme.title()),
        ])
    };
    let lines = vec![
        figure("Orders", data.orders_today.to_string()),
        figure("Revenue", money(data.revenue_today)),
        figure("Still pending", data.pending_today.to_string()),
        figure("Rejected", data.rejected_today.to_string()),
    ];
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn render_sagas(app: &App, frame: &mut Frame, area: Rect, data: &DashboardData) {
    let theme = app.theme;
    let block = pane(theme, "Sagas", false);
    let Some(stats) = &data.saga_stats else {
        let line = Line::styled("Managers see saga figures here.", theme.dim());
        frame.render_widget(Paragraph::new(line).block(block), area);
        return;
    };
    let count = |state: SagaState| {
        stats
            .counts
            .iter()
            .find(|count| count.state == state)
            .map_or(0, |count| count.count)
    };
    let in_flight = count(SagaState::Running) + count(SagaState::Compensating);
    let line = |label: &str, value: u64, alarm: bool| {
        let style = if alarm && value > 0 {
            theme.error()
        } else {
            theme.title()
        };
        Line::from(vec![
            Span::styled(format!("{label:<18}"), theme.dim()),
            Span::styled(value.to_string(), style),
        ])
    };
    let lines = vec![
        line("In flight", in_flight, false),
        line(saga_state(SagaState::Stuck), count(SagaState::Stuck), true),
        line(
            saga_state(SagaState::Failed),
            count(SagaState::Failed),
            false,
        ),
        line(
            saga_state(SagaState::Completed),
            count(SagaState::Completed),
            false,
        ),
        Line::from(vec![
            Span::styled(format!("{:<18}", "p50 / p99"), theme.dim()),
            Span::raw(format!(
                "{} ms / {} ms",
                stats.duration_ms[0], stats.duration_ms[2]
            )),
        ]),
    ];
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn render_low_stock(app: &App, frame: &mut Frame, area: Rect, data: &DashboardData) {
    let theme = app.theme;
    let block = pane(
        theme,
        &format!("Low stock ({})", data.low_stock.len()),
        false,
    );
    if data.low_stock.is_empty() {
        let line = Line::styled("No product is running low.", theme.good());
        frame.render_widget(Paragraph::new(line).block(block), area);
        return;
    }
    let name_width = usize::from(area.width.saturating_sub(40)).max(10);
    let rows = data.low_stock.iter().map(|level| {
        let style = if level.available <= 0 {
            theme.error()
        } else {
            theme.warn()
        };
        Row::new(vec![
            Span::raw(app.store_name(level.store_id)),
            Span::raw(truncate(&level.product_name, name_width)),
            Span::styled(level.available.to_string(), style),
            Span::raw(level.on_hand.to_string()),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(16),
            Constraint::Min(10),
            Constraint::Length(9),
            Constraint::Length(8),
        ],
    )
    .header(Row::new(vec!["Store", "Product", "Available", "On hand"]).style(theme.dim()))
    .block(block);
    frame.render_widget(table, area);
}
