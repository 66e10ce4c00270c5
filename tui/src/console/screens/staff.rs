//! The staff screen (admins): members, their role, store and state; the form that adds a
//! member, changes a role or store, or sets a new password.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Row, Table, TableState};

use super::{centered, filter_title, form_keys_line, input_line, loaded, note, pane};
use crate::console::app::App;
use crate::console::app::staff::{StaffField, StaffForm, visible};
use crate::console::format::truncate;

/// Draws the staff list.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let theme = app.theme;
    let which = if app.staff_screen.include_inactive {
        "everyone"
    } else {
        "active"
    };
    let block = pane(
        theme,
        &format!("Staff · {which}{}", filter_title(app)),
        true,
    );
    let Some(_) = loaded(
        app,
        frame,
        area,
        &app.staff_screen.list,
        "reading the staff",
    ) else {
        frame.render_widget(block, area);
        return;
    };
    let members = visible(app);
    if members.is_empty() {
        frame.render_widget(block, area);
        note(frame, area, Line::styled("Nobody matches.", theme.dim()));
        return;
    }
    // The fixed columns, their gaps and the borders take 70 cells.
    let email_width = usize::from(area.width.saturating_sub(70)).max(8);
    let rows = members.iter().map(|member| {
        let store = member.store_id.map_or_else(
            || "all stores".to_owned(),
            |store_id| app.store_name(store_id),
        );
        let state = if member.active {
            Span::styled("active", theme.good())
        } else {
            Span::styled("inactive", theme.error())
        };
        Row::new(vec![
            Span::raw(truncate(&member.username, 12)),
            Span::raw(truncate(&member.name, 20)),
            Span::raw(member.role.as_str()),
            Span::raw(truncate(&store, 16)),
            state,
            Span::styled(truncate(&member.email, email_width), theme.dim()),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(12),
            Constraint::Length(20),
            Constraint::Length(7),
            Constraint::Length(16),
            Constraint::Length(8),
            Constraint::Min(8),
        ],
    )
    .header(
        Row::new(vec!["Username", "Name", "Role", "Store", "State", "E-mail"]).style(theme.dim()),
    )
    .row_highlight_style(theme.selected())
    .block(block);
    let mut state = TableState::default().with_selected(Some(app.staff_screen.selected));
    frame.render_stateful_widget(table, area, &mut state);
}

/// Draws the staff form over the list: typed fields, ←→ choices, the password as stars.
pub fn render_form(app: &App, frame: &mut Frame, body: Rect, form: &StaffForm) {
    let theme = app.theme;
    let fields = form.fields();
    let area = centered(body, 64, fields.len() as u16 + 3);
    frame.render_widget(Clear, area);
    let block = pane(theme, &form.title(), true);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let choice = |label: &str, value: String, focused: bool| {
        let label_style = if focused {
            theme.focused()
        } else {
            theme.dim()
        };
        let value = if focused {
            Span::styled(format!("◀ {value} ▶"), theme.selected())
        } else {
            Span::raw(value)
        };
        Line::from(vec![Span::styled(format!("{label}: "), label_style), value])
    };
    let mut lines: Vec<Line> = fields
        .iter()
        .map(|field| {
            let focused = *field == form.field;
            let label = field.label();
            match field {
                StaffField::Username => input_line(theme, label, &form.username, focused, false),
                StaffField::Name => input_line(theme, label, &form.name, focused, false),
                StaffField::Email => input_line(theme, label, &form.email, focused, false),
                StaffField::Password => input_line(theme, label, &form.password, focused, true),
                StaffField::Role => choice(label, form.role.as_str().to_owned(), focused),
                StaffField::Store => choice(
                    label,
                    form.store_id.map_or_else(
                        || "none (admins)".to_owned(),
                        |store_id| app.store_name(store_id),
                    ),
                    focused,
                ),
            }
        })
        .collect();
    lines.push(form_keys_line(theme, "save"));
    frame.render_widget(Paragraph::new(lines), inner);
}
