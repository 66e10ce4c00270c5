//! Drawing: the shell (tabs, status line, hint bar, help and confirmation windows) and one
//! module per screen. Rendering is pure: it reads the [`App`] and writes to the frame, nothing
//! else, so a `TestBackend` snapshot shows exactly what a user sees.
//!
//! Every screen must draw on any size without panicking: areas are clamped, text is cut, and
//! below [`MIN_WIDTH`] x [`MIN_HEIGHT`] only a note asking for a bigger terminal is drawn.

mod catalog;
mod customers;
mod dashboard;
mod login;
mod notifications;
mod order_form;
mod orders;
mod sagas;
mod staff;
mod stock;
mod system;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use bikestore_contracts::sagas::SagaState;

use crate::console::app::load::Load;
use crate::console::app::order_form::SagaWatch;
use crate::console::app::text_input::TextInput;
use crate::console::app::{App, Connection, Overlay, StatusMessage, Tab};
use crate::console::event::UiError;
use crate::console::keys::{self, Place};
use crate::console::theme::Theme;

/// The smallest terminal the console draws its screens in.
pub const MIN_WIDTH: u16 = 40;
/// The smallest terminal height the console draws its screens in.
pub const MIN_HEIGHT: u16 = 10;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// Draws the whole console.
pub fn render(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let note = Paragraph::new(format!(
            "Bikestore needs at least {MIN_WIDTH}x{MIN_HEIGHT}; this terminal is {}x{}.",
            area.width, area.height
        ))
        .wrap(Wrap { trim: true });
        frame.render_widget(note, area);
        return;
    }
    let [header, body, status, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    render_header(app, frame, header);
    match (&app.staff, app.tab) {
        (None, _) => login::render(app, frame, body),
        (Some(_), Tab::Dashboard) => dashboard::render(app, frame, body),
        (Some(_), Tab::Orders) => orders::render(app, frame, body),
        (Some(_), Tab::Sagas) => sagas::render(app, frame, body),
        (Some(_), Tab::Notifications) => notifications::render(app, frame, body),
        (Some(_), Tab::Stock) => stock::render(app, frame, body),
        (Some(_), Tab::Catalog) => catalog::render(app, frame, body),
        (Some(_), Tab::Staff) => staff::render(app, frame, body),
        (Some(_), Tab::Customers) => customers::render(app, frame, body),
        (Some(_), Tab::System) => system::render(app, frame, body),
    }
    render_status(app, frame, status);
    render_hints(app, frame, hints);
    match &app.overlay {
        Overlay::None => {}
        Overlay::Help => render_help(app, frame, body),
        Overlay::Confirm(confirm) => {
            render_confirm(app, frame, body, &confirm.prompt, confirm.reason.as_ref());
        }
        Overlay::Stock(form) => stock::render_form(app, frame, body, form),
        Overlay::Palette(input) => render_palette(app, frame, body, input),
        Overlay::Customer(form) => customers::render_form(app, frame, body, form),
        Overlay::Product(form) => catalog::render_form(app, frame, body, form),
        Overlay::Staff(form) => staff::render_form(app, frame, body, form),
    }
}

fn render_header(app: &App, frame: &mut Frame, area: Rect) {
    let theme = app.theme;
    // `compact` (short titles without the space after each) is for an admin's nine tabs.
    let tabs_line = |short: bool, compact: bool| {
        // The name gives way to the tabs when space is short.
        let mut spans = if short {
            Vec::new()
        } else {
            vec![Span::styled(" Bikestore ", theme.title())]
        };
        for (index, tab) in app.visible_tabs().into_iter().enumerate() {
            let title = if short {
                tab.short_title()
            } else {
                tab.title()
            };
            let style = if tab == app.tab {
                theme.selected()
            } else {
                theme.text()
            };
            let gap = if compact { "" } else { " " };
            spans.push(Span::styled(format!(" {} {title}{gap}", index + 1), style));
        }
        Line::from(spans)
    };
    // Narrow terminals get the short titles, so every tab's number stays visible.
    let fits = |line: &Line| line.width() <= usize::from(area.width);
    let tabs = [(false, false), (true, false)]
        .into_iter()
        .map(|(short, compact)| tabs_line(short, compact))
        .find(fits)
        .unwrap_or_else(|| tabs_line(true, true));
    let used = tabs.width() as u16 + 1;
    frame.render_widget(tabs, area);
    if let Some(staff) = &app.staff {
        let scope = match app.store_id {
            Some(store_id) => app.store_name(store_id),
            None => "all stores".to_owned(),
        };
        let who = format!("{} · {} · {} ", staff.username, staff.role, scope);
        let width = UnicodeWidthStr::width(who.as_str()) as u16;
        // The member's name goes right-aligned when it fits beside the tabs.
        if used + width <= area.width {
            let right = Rect {
                x: area.x + area.width - width,
                width,
                ..area
            };
            frame.render_widget(Span::styled(who, theme.dim()), right);
        }
    }
}

fn render_status(app: &App, frame: &mut Frame, area: Rect) {
    let theme = app.theme;
    let connection = match &app.connection {
        Connection::Connecting => Span::styled("◌ connecting", theme.warn()),
        Connection::Connected => Span::styled("● connected", theme.good()),
        Connection::Disconnected(reason) => {
            Span::styled(format!("○ offline: {reason}"), theme.error())
        }
    };
    let mut spans = vec![Span::raw(" "), connection, Span::raw("  ")];
    match &app.status {
        Some(StatusMessage::Info(message)) => {
            spans.push(Span::styled(message.clone(), theme.text()))
        }
        Some(StatusMessage::Error(error)) => {
            spans.push(Span::styled(error_text(error), theme.error()));
        }
        None => {}
    }
    frame.render_widget(Line::from(spans), area);
}

/// An error as the status line and screens print it: the code, then the message.
pub fn error_text(error: &UiError) -> String {
    let code = serde_json::to_value(error.code)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_else(|| "error".to_owned());
    format!("{code}: {}", error.message)
}

fn render_hints(app: &App, frame: &mut Frame, area: Rect) {
    let theme = app.theme;
    let mut spans = vec![Span::raw(" ")];
    let mut width = 1;
    let place = app.place();
    let role = app.role();
    // Every screen's bar ends with the way to its full help.
    let offers_help = !matches!(
        place,
        Place::Help
            | Place::Login
            | Place::Confirm
            | Place::ConfirmReason
            | Place::Dashboard
            | Place::StockForm
            | Place::Filter
            | Place::Palette
            | Place::CustomerForm
            | Place::ProductForm
            | Place::StaffForm
    );
    let extra = offers_help.then_some(&keys::HELP);
    for hint in keys::hints_for(place, role).chain(extra) {
        let printed = hint.keys();
        let entry = printed.chars().count() + hint.what.chars().count() + 3;
        if width + entry > usize::from(area.width) {
            break;
        }
        width += entry;
        spans.push(Span::styled(printed, theme.key()));
        spans.push(Span::styled(format!(" {}  ", hint.what), theme.dim()));
    }
    frame.render_widget(Line::from(spans), area);
}

fn render_help(app: &App, frame: &mut Frame, body: Rect) {
    let theme = app.theme;
    let role = app.role();
    let screen_place = {
        let mut without_help = app.clone();
        without_help.overlay = Overlay::None;
        without_help.place()
    };
    let mut lines = vec![Line::styled("This screen", theme.title())];
    for hint in keys::hints_for(screen_place, role) {
        lines.push(help_line(theme, hint));
    }
    if app.staff.is_some() {
        lines.push(Line::raw(""));
        lines.push(Line::styled("Everywhere", theme.title()));
        for hint in keys::global_for(role) {
            lines.push(help_line(theme, hint));
        }
    }
    let height = (lines.len() as u16 + 2).min(body.height);
    let area = centered(body, 46, height);
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(" Help · Esc closes ", theme.title()));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn help_line(theme: Theme, hint: &keys::Hint) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!(" {:<10}", hint.keys()), theme.key()),
        Span::raw(hint.what),
    ])
}

fn render_confirm(
    app: &App,
    frame: &mut Frame,
    body: Rect,
    prompt: &str,
    reason: Option<&TextInput>,
) {
    let theme = app.theme;
    let area = centered(body, 60, if reason.is_some() { 7 } else { 5 });
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(" Please confirm ", theme.warn()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines = vec![Line::raw(prompt.to_owned())];
    if let Some(reason) = reason {
        lines.push(Line::raw(""));
        lines.push(input_line(theme, "Reason", reason, true, false));
    }
    lines.push(Line::from(vec![
        Span::styled(if reason.is_some() { "Enter" } else { "y" }, theme.key()),
        Span::raw(" yes   "),
        Span::styled(if reason.is_some() { "Esc" } else { "n" }, theme.key()),
        Span::raw(" no"),
    ]));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn render_palette(app: &App, frame: &mut Frame, body: Rect, input: &TextInput) {
    let theme = app.theme;
    let typed = input.text().trim().to_lowercase();
    let mut prompt = input_line(theme, "", input, true, false);
    if let Some(first) = prompt.spans.first_mut() {
        *first = Span::styled(":", theme.focused());
    }
    let mut lines = vec![prompt, Line::raw("")];
    for (command, what) in crate::console::app::palette::COMMANDS {
        // What is typed narrows the list to the commands it could be.
        let first_word = typed.split_whitespace().next().unwrap_or_default();
        if !first_word.is_empty() && !command.contains(first_word) {
            continue;
        }
        lines.push(Line::from(vec![
            Span::styled(format!(" {command}  "), theme.key()),
            Span::styled(*what, theme.dim()),
        ]));
    }
    let height = (lines.len() as u16 + 2).min(body.height);
    let area = Rect {
        height,
        ..centered(body, 86, height)
    };
    frame.render_widget(Clear, area);
    let block = Block::default().borders(Borders::ALL).title(Span::styled(
        " Command · Enter runs, Esc closes ",
        theme.title(),
    ));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// A rectangle of at most `width` x `height` in the middle of `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

/// A labelled text field; the focused one shows a cursor block, a masked one shows stars.
pub fn input_line(
    theme: Theme,
    label: &str,
    input: &TextInput,
    focused: bool,
    masked: bool,
) -> Line<'static> {
    let text = if masked {
        "*".repeat(input.text().chars().count())
    } else {
        input.text().to_owned()
    };
    let label_style = if focused {
        theme.focused()
    } else {
        theme.dim()
    };
    let mut spans = vec![Span::styled(format!("{label}: "), label_style)];
    if focused {
        let cursor = input.cursor();
        let before: String = text.chars().take(cursor).collect();
        let at: String = text.chars().skip(cursor).take(1).collect();
        let after: String = text.chars().skip(cursor + 1).collect();
        spans.push(Span::raw(before));
        spans.push(Span::styled(
            if at.is_empty() { " ".to_owned() } else { at },
            theme.selected(),
        ));
        spans.push(Span::raw(after));
    } else {
        spans.push(Span::raw(text));
    }
    Line::from(spans)
}

/// The last line of a form: what Enter does, then the keys that move and close.
pub fn form_keys_line(theme: Theme, enter_action: &str) -> Line<'static> {
    Line::from(vec![
        Span::styled("Enter", theme.key()),
        Span::raw(format!(" {enter_action}   ")),
        Span::styled("Tab", theme.key()),
        Span::raw(" next field   "),
        Span::styled("Esc", theme.key()),
        Span::raw(" close"),
    ])
}

/// A spinner frame for the current tick.
pub fn spinner(app: &App) -> &'static str {
    SPINNER[app.spinner % SPINNER.len()]
}

/// A one-line note in the middle of an area: loading, empty or failed.
pub fn note(frame: &mut Frame, area: Rect, line: Line<'static>) {
    if area.height == 0 {
        return;
    }
    let y = area.y + area.height / 2;
    frame.render_widget(
        Paragraph::new(line).centered(),
        Rect {
            y,
            height: 1,
            ..area
        },
    );
}

/// The data of `load` to draw; or, while there is none, `None` after writing in the middle of
/// `area` why: the error, or a spinner with what is being read.
pub fn loaded<'a, T>(
    app: &App,
    frame: &mut Frame,
    area: Rect,
    load: &'a Load<T>,
    reading: &str,
) -> Option<&'a T> {
    match load {
        Load::Loading(Some(data)) | Load::Ready(data) => Some(data),
        Load::Failed(error) => {
            note(
                frame,
                area,
                Line::styled(error_text(error), app.theme.error()),
            );
            None
        }
        Load::Idle | Load::Loading(None) => {
            let text = format!("{} {reading}…", spinner(app));
            note(frame, area, Line::styled(text, app.theme.dim()));
            None
        }
    }
}

/// The `/` filter as a list's title shows it: ` · /text` (with a cursor while typed).
pub fn filter_title(app: &App) -> String {
    if app.filter.editing {
        format!(" · /{}▏", app.filter.input.text())
    } else if app.filter.is_active() {
        format!(" · /{}", app.filter.input.text())
    } else {
        String::new()
    }
}

/// A saga's outcome in two lines: what it means, and its ID and state.
pub fn saga_headline(app: &App, watch: &SagaWatch) -> Vec<Line<'static>> {
    let theme = app.theme;
    let (headline, style) = match watch.state {
        SagaState::Completed => ("Done.".to_owned(), theme.good()),
        SagaState::Failed => ("Failed; what was done is undone.".to_owned(), theme.error()),
        SagaState::Stuck => (
            "Stuck: a manager must retry or resolve it.".to_owned(),
            theme.error(),
        ),
        SagaState::Resolved => ("Ended by hand.".to_owned(), theme.warn()),
        SagaState::Running | SagaState::Compensating => {
            (format!("{} running…", spinner(app)), theme.warn())
        }
    };
    let mut spans = vec![Span::styled(headline, style)];
    if let Some(reason) = &watch.reason {
        spans.push(Span::styled(format!(" {reason}"), theme.error()));
    }
    vec![
        Line::from(spans),
        Line::styled(
            format!(
                "saga {} ({})",
                watch.saga_id,
                crate::console::format::saga_state(watch.state)
            ),
            theme.dim(),
        ),
    ]
}

/// A bordered block whose title shows the focus.
pub fn pane(theme: Theme, title: &str, focused: bool) -> Block<'static> {
    let style = if focused {
        theme.focused()
    } else {
        theme.dim()
    };
    Block::default()
        .borders(Borders::ALL)
        .border_style(style)
        .title(Span::styled(format!(" {title} "), style))
}

#[cfg(test)]
pub(crate) mod snapshots;
