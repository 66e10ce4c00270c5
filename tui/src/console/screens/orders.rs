//! The orders screen: the list with its status filter, and one order with lines and history.

use bikestore_contracts::orders::{Order, OrderStatus, OrderSummary};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Table, TableState};

use super::{loaded, note, pane, spinner};
use crate::console::app::App;
use crate::console::app::orders::OrdersView;
use crate::console::format::{date_time, money, order_status};
use crate::console::theme::Theme;

/// Draws the orders screen.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    match app.orders.view {
        OrdersView::List => render_list(app, frame, area),
        OrdersView::Detail => render_detail(app, frame, area),
        OrdersView::Create => super::order_form::render(app, frame, area),
    }
}

/// A table of orders: number, time, customer, store, status and total; shared by the order
/// list and a customer's orders.
pub fn order_table(app: &App, orders: &[&OrderSummary]) -> Table<'static> {
    let theme = app.theme;
    let rows = orders.iter().map(|order| {
        Row::new(vec![
            Span::raw(format!("#{}", order.order_id)),
            Span::raw(date_time(order.ordered_at_ms, app.utc_offset)),
            Span::raw(order.customer_name.clone()),
            Span::raw(app.store_name(order.store_id)),
            Span::styled(
                order_status(order.status),
                status_style(theme, order.status),
            ),
            Span::raw(format!("{:>12}", money(order.total))),
        ])
    });
    let header = [
        "Order",
        "Placed (UTC)",
        "Customer",
        "Store",
        "Status",
        "       Total",
    ];
    Table::new(
        rows.collect::<Vec<_>>(),
        [
            Constraint::Length(7),
            Constraint::Length(16),
            Constraint::Length(18),
            Constraint::Min(8),
            Constraint::Length(10),
            Constraint::Length(12),
        ],
    )
    .header(Row::new(header).style(theme.dim()))
}

/// The style of an order status: good news green, bad news red.
pub fn status_style(theme: Theme, status: OrderStatus) -> Style {
    match status {
        OrderStatus::Pending => theme.warn(),
        OrderStatus::Processing | OrderStatus::Completed => theme.good(),
        OrderStatus::Rejected | OrderStatus::Cancelled => theme.error(),
    }
}

fn render_list(app: &App, frame: &mut Frame, area: Rect) {
    let theme = app.theme;
    let filter = app.orders.status_filter.map_or("all", order_status);
    let loading = if app.orders.list.is_loading() {
        format!(" {}", spinner(app))
    } else {
        String::new()
    };
    let count = app
        .orders
        .list
        .data()
        .map_or(String::new(), |page| format!(" · {} orders", page.total));
    let block = pane(
        theme,
        &format!(
            "Orders · status: {filter}{count}{}{loading}",
            super::filter_title(app)
        ),
        true,
    );
    let Some(page) = loaded(app, frame, area, &app.orders.list, "reading orders") else {
        frame.render_widget(block, area);
        return;
    };
    if page.orders.is_empty() {
        frame.render_widget(block, area);
        note(
            frame,
            area,
            Line::styled("No orders here yet: n starts one.", theme.dim()),
        );
        return;
    }
    let shown = crate::console::app::orders::visible(app);
    if shown.is_empty() {
        frame.render_widget(block, area);
        note(
            frame,
            area,
            Line::styled("No order matches the filter.", theme.dim()),
        );
        return;
    }
    let table = order_table(app, &shown)
        .row_highlight_style(theme.selected())
        .block(block);
    let mut state = TableState::default().with_selected(Some(app.orders.selected));
    frame.render_stateful_widget(table, area, &mut state);
}

fn render_detail(app: &App, frame: &mut Frame, area: Rect) {
    let Some(order) = loaded(app, frame, area, &app.orders.detail, "reading the order") else {
        return;
    };
    let history_height = (order.history.len() as u16 + 2).min(8);
    let [summary, lines, history] = Layout::vertical([
        Constraint::Length(5),
        Constraint::Min(3),
        Constraint::Length(history_height),
    ])
    .areas(area);
    render_summary(app, frame, summary, order);
    render_lines(app, frame, lines, order);
    render_history(app, frame, history, order);
}

fn render_summary(app: &App, frame: &mut Frame, area: Rect, order: &Order) {
    let theme = app.theme;
    let block = pane(theme, &format!("Order #{}", order.order_id), true);
    let field = |label: &str, value: Span<'static>| {
        Line::from(vec![
            Span::styled(format!("{label:<10}"), theme.dim()),
            value,
        ])
    };
    let lines = vec![
        field(
            "Status",
            Span::styled(
                order_status(order.status),
                status_style(theme, order.status),
            ),
        ),
        field(
            "Customer",
            Span::raw(format!(
                "{} (#{}) · {} · taken by {}",
                order.customer_name,
                order.customer_id,
                app.store_name(order.store_id),
                app.staff_name(order.staff_id)
            )),
        ),
        field(
            "Placed",
            Span::raw(format!(
                "{} UTC · total {} (discount {})",
                date_time(order.ordered_at_ms, app.utc_offset),
                money(order.totals.total),
                money(order.totals.discount)
            )),
        ),
    ];
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn render_lines(app: &App, frame: &mut Frame, area: Rect, order: &Order) {
    let theme = app.theme;
    let rows = order.lines.iter().map(|detail| {
        Row::new(vec![
            // Orders placed before lines kept their product's name show its ID instead.
            match &detail.line.product_name {
                Some(name) => format!("#{} {name}", detail.line.product_id),
                None => format!("product {}", detail.line.product_id),
            },
            detail.line.quantity.to_string(),
            money(detail.line.list_price),
            format!("{}%", detail.line.discount_percent),
            money(detail.total),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Min(12),
            Constraint::Length(5),
            Constraint::Length(12),
            Constraint::Length(5),
            Constraint::Length(12),
        ],
    )
    .header(Row::new(vec!["Product", "Qty", "Unit price", "Disc", "Line total"]).style(theme.dim()))
    .block(pane(
        theme,
        &format!("Lines ({})", order.lines.len()),
        false,
    ));
    frame.render_widget(table, area);
}

fn render_history(app: &App, frame: &mut Frame, area: Rect, order: &Order) {
    let theme = app.theme;
    let lines: Vec<Line> = order
        .history
        .iter()
        .rev()
        .map(|change| {
            let from = change.from.map_or("new", order_status);
            let mut spans = vec![
                Span::styled(
                    format!("{} ", date_time(change.at_ms, app.utc_offset)),
                    theme.dim(),
                ),
                Span::raw(format!("{from} → ")),
                Span::styled(order_status(change.to), status_style(theme, change.to)),
            ];
            if let Some(reason) = &change.reason {
                spans.push(Span::raw(format!(": {reason}")));
            }
            Line::from(spans)
        })
        .collect();
    frame.render_widget(
        Paragraph::new(lines).block(pane(theme, "Status history, newest first", false)),
        area,
    );
}
