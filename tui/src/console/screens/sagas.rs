//! The sagas screen: the state filter, the list (narrowed by `/`), and one saga with its history
//! and error.

use bikestore_contracts::sagas::{SagaPayload, SagaRecord, SagaState};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Table, TableState, Wrap};

use super::{error_text, filter_title, loaded, note, pane, spinner};
use crate::console::app::App;
use crate::console::app::sagas::{STATE_FILTERS, SagasView, visible};
use crate::console::format::{clock, date_time, phase, saga_state, short_id, step_name, truncate};
use crate::console::theme::Theme;

/// Draws the sagas screen.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    match app.sagas.view {
        SagasView::List => render_list(app, frame, area),
        SagasView::Detail => render_detail(app, frame, area),
    }
}

/// The style of a saga state: stuck and failed stand out.
pub fn state_style(theme: Theme, state: SagaState) -> Style {
    match state {
        SagaState::Completed => theme.good(),
        SagaState::Running | SagaState::Compensating | SagaState::Resolved => theme.warn(),
        SagaState::Failed | SagaState::Stuck => theme.error(),
    }
}

/// The step a record is at, by name when its history says.
fn current_step(record: &SagaRecord) -> String {
    record.history.last().map_or_else(
        || format!("step {}", record.step),
        |entry| format!("{} {}", phase(entry.phase), step_name(&entry.step)),
    )
}

fn render_list(app: &App, frame: &mut Frame, area: Rect) {
    let theme = app.theme;
    let [filters, list] = Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(area);
    let mut spans = vec![Span::styled(" State: ", theme.dim())];
    for (index, filter) in STATE_FILTERS.iter().enumerate() {
        let label = filter.map_or("all", saga_state);
        let style = if index == app.sagas.filter {
            theme.selected()
        } else {
            theme.dim()
        };
        spans.push(Span::styled(format!(" {label} "), style));
    }
    frame.render_widget(Line::from(spans), filters);
    let loading = if app.sagas.list.is_loading() {
        format!(" {}", spinner(app))
    } else {
        String::new()
    };
    let block = pane(theme, &format!("Sagas{loading}{}", filter_title(app)), true);
    let Some(read) = loaded(app, frame, list, &app.sagas.list, "reading sagas") else {
        frame.render_widget(block, list);
        return;
    };
    let sagas = visible(app);
    if sagas.is_empty() {
        frame.render_widget(block, list);
        let empty = if read.is_empty() {
            "No saga in this state."
        } else {
            "No saga matches the filter."
        };
        note(frame, list, Line::styled(empty, theme.dim()));
        return;
    }
    // Wide terminals show the date too; the fixed columns, gaps and borders take the rest.
    let wide = list.width >= 120;
    let updated_width: u16 = if wide { 16 } else { 8 };
    let error_width = usize::from(list.width.saturating_sub(65 + updated_width)).max(8);
    let rows = sagas.iter().map(|record| {
        let error = record
            .error
            .as_ref()
            .map_or_else(String::new, |error| truncate(&error.message, error_width));
        Row::new(vec![
            Span::raw(short_id(&record.saga_id.0)),
            Span::raw(step_name(&record.definition)),
            Span::styled(saga_state(record.state), state_style(theme, record.state)),
            Span::raw(truncate(&current_step(record), 22)),
            Span::styled(
                if wide {
                    date_time(record.updated_at_ms, app.utc_offset)
                } else {
                    clock(record.updated_at_ms, app.utc_offset)
                },
                theme.dim(),
            ),
            Span::styled(error, theme.error()),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(10),
            Constraint::Length(12),
            Constraint::Length(12),
            Constraint::Length(22),
            Constraint::Length(updated_width),
            Constraint::Min(8),
        ],
    )
    .header(Row::new(vec!["Saga", "Kind", "State", "Step", "Updated", "Error"]).style(theme.dim()))
    .row_highlight_style(theme.selected())
    .block(block);
    let mut state = TableState::default().with_selected(Some(app.sagas.selected));
    frame.render_stateful_widget(table, list, &mut state);
}

fn render_detail(app: &App, frame: &mut Frame, area: Rect) {
    let theme = app.theme;
    let Some(record) = loaded(app, frame, area, &app.sagas.detail, "reading the saga") else {
        return;
    };
    let live = app
        .sagas
        .live
        .as_ref()
        .filter(|watch| watch.saga_id == record.saga_id);
    let state = live.map_or(record.state, |watch| watch.state);
    let history = live.map_or(record.history.as_slice(), |watch| watch.history.as_slice());
    let [summary, steps] =
        Layout::vertical([Constraint::Length(7), Constraint::Min(3)]).areas(area);
    let field = |label: &str, value: Span<'static>| {
        Line::from(vec![
            Span::styled(format!("{label:<9}"), theme.dim()),
            value,
        ])
    };
    let mut lines = vec![
        field(
            "State",
            Span::styled(
                format!(
                    "{} · {} v{} · run {}",
                    saga_state(state),
                    step_name(&record.definition),
                    record.version,
                    record.run
                ),
                state_style(theme, state),
            ),
        ),
        field("Works on", Span::raw(payload_summary(app, &record.payload))),
        field(
            "Times",
            Span::raw(format!(
                "created {} · updated {} UTC",
                date_time(record.created_at_ms, app.utc_offset),
                date_time(record.updated_at_ms, app.utc_offset)
            )),
        ),
    ];
    if let Some(error) = &record.error {
        lines.push(field(
            "Error",
            Span::styled(
                error_text(&crate::console::event::UiError::new(
                    error.code,
                    error.message.clone(),
                )),
                theme.error(),
            ),
        ));
    }
    if let Some(resolution) = &record.resolution {
        lines.push(field("Resolved", Span::raw(resolution.clone())));
    }
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: true }).block(pane(
            theme,
            &format!("Saga {}", record.saga_id),
            true,
        )),
        summary,
    );
    let skip = app.sagas.scroll.min(history.len().saturating_sub(1));
    super::order_form::render_steps(app, frame, steps, history.get(skip..).unwrap_or_default());
}

/// What a saga works on, in a line.
fn payload_summary(app: &App, payload: &SagaPayload) -> String {
    match payload {
        SagaPayload::PlaceOrder(place) => {
            let order = place
                .order_id
                .map_or_else(|| "no order yet".to_owned(), |id| format!("order #{id}"));
            let reason = place
                .failure_reason
                .as_ref()
                .map_or_else(String::new, |reason| format!(" · {reason}"));
            format!(
                "{order} · customer #{} · {} · {} lines{reason}",
                place.customer_id,
                app.store_name(place.store_id),
                place.lines.len()
            )
        }
        SagaPayload::CancelOrder(cancel) => {
            format!("order #{} · {}", cancel.order_id, cancel.reason)
        }
        SagaPayload::TransferStock(transfer) => format!(
            "{} × product {} from {} to {}",
            transfer.quantity,
            transfer.product_id,
            app.store_name(transfer.from_store_id),
            app.store_name(transfer.to_store_id)
        ),
    }
}
