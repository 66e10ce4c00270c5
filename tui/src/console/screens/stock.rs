//! The stock screen: the store's levels (live), the receive/adjust/transfer form, and the last
//! transfer's saga steps.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Row, Table, TableState};

use super::{centered, filter_title, input_line, loaded, note, pane, saga_headline};
use crate::console::app::App;
use crate::console::app::stock::{StockAction, StockField, StockForm, visible};
use crate::console::format::truncate;

/// Draws the stock screen.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let transfer_height = if app.stock.transfer.is_some() { 10 } else { 0 };
    let [list, transfer] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(transfer_height)]).areas(area);
    render_list(app, frame, list);
    if let Some(watch) = &app.stock.transfer {
        let [headline, steps] =
            Layout::vertical([Constraint::Length(4), Constraint::Min(0)]).areas(transfer);
        frame.render_widget(
            Paragraph::new(saga_headline(app, watch)).block(pane(
                app.theme,
                "Last transfer",
                false,
            )),
            headline,
        );
        super::order_form::render_steps(app, frame, steps, &watch.history);
    }
}

fn render_list(app: &App, frame: &mut Frame, area: Rect) {
    let theme = app.theme;
    let store = app.store_id.map_or_else(
        || "no store".to_owned(),
        |store_id| app.store_name(store_id),
    );
    let block = pane(
        theme,
        &format!("Stock · {store}{}", filter_title(app)),
        true,
    );
    let Some(_) = loaded(app, frame, area, &app.stock.list, "reading the stock") else {
        frame.render_widget(block, area);
        return;
    };
    let levels = visible(app);
    if levels.is_empty() {
        frame.render_widget(block, area);
        note(
            frame,
            area,
            Line::styled("No product matches.", theme.dim()),
        );
        return;
    }
    let name_width = usize::from(area.width.saturating_sub(34)).max(8);
    let rows = levels.iter().map(|level| {
        let style = match level.available {
            available if available <= 0 => theme.error(),
            available if available <= 5 => theme.warn(),
            _ => theme.text(),
        };
        Row::new(vec![
            Span::raw(truncate(&level.product_name, name_width)),
            Span::raw(format!("{:>7}", level.on_hand)),
            Span::raw(format!("{:>8}", level.reserved)),
            Span::styled(format!("{:>9}", level.available), style),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Min(8),
            Constraint::Length(7),
            Constraint::Length(8),
            Constraint::Length(9),
        ],
    )
    .header(Row::new(vec!["Product", "On hand", "Reserved", "Available"]).style(theme.dim()))
    .row_highlight_style(theme.selected())
    .block(block);
    let mut state = TableState::default().with_selected(Some(app.stock.selected));
    frame.render_stateful_widget(table, area, &mut state);
}

/// Draws the receive, adjust or transfer form over the screen.
pub fn render_form(app: &App, frame: &mut Frame, body: Rect, form: &StockForm) {
    let theme = app.theme;
    // The product, the units, the reason or destination, the keys; and the borders.
    let height = if form.action == StockAction::Receive {
        5
    } else {
        6
    };
    let area = centered(body, 64, height);
    frame.render_widget(Clear, area);
    let block = pane(theme, form.action.title(), true);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines = vec![Line::raw(truncate(
        &form.product_name,
        usize::from(inner.width),
    ))];
    let units = match form.action {
        StockAction::Adjust => "Units (+ or -)",
        StockAction::Receive | StockAction::Transfer => "Units",
    };
    lines.push(input_line(
        theme,
        units,
        &form.quantity,
        form.field == StockField::Quantity,
        false,
    ));
    match form.action {
        StockAction::Adjust => lines.push(input_line(
            theme,
            "Reason",
            &form.reason,
            form.field == StockField::Reason,
            false,
        )),
        StockAction::Transfer => {
            let to = form
                .to_store
                .map_or_else(|| "no other store".to_owned(), |id| app.store_name(id));
            lines.push(Line::from(vec![
                Span::styled("To: ", theme.dim()),
                Span::styled(format!("◂ {to} ▸"), theme.focused()),
            ]));
        }
        StockAction::Receive => {}
    }
    lines.push(Line::from(vec![
        Span::styled("Enter", theme.key()),
        Span::raw(" send   "),
        Span::styled("Esc", theme.key()),
        Span::raw(" close"),
    ]));
    frame.render_widget(Paragraph::new(lines), inner);
}
