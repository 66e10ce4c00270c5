//! The login screen: a small form in the middle, with the reason the last try failed.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::{centered, input_line, spinner};
use crate::console::app::App;
use crate::console::app::login::LoginField;

/// Draws the login form.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let theme = app.theme;
    let form = &app.login;
    let box_area = centered(area, 52, 10);
    let block = Block::default().borders(Borders::ALL).title(Span::styled(
        " Bikestore staff console · log in ",
        theme.title(),
    ));
    let inner = block.inner(box_area);
    frame.render_widget(block, box_area);
    let mut lines = vec![
        Line::raw(""),
        input_line(
            theme,
            "Username",
            &form.username,
            form.field == LoginField::Username && !form.submitting,
            false,
        ),
        input_line(
            theme,
            "Password",
            &form.password,
            form.field == LoginField::Password && !form.submitting,
            true,
        ),
        Line::raw(""),
    ];
    if !app.session_checked {
        lines.push(Line::styled(
            format!("{} looking for a saved session…", spinner(app)),
            theme.dim(),
        ));
    } else if form.submitting {
        lines.push(Line::styled(
            format!("{} logging in…", spinner(app)),
            theme.dim(),
        ));
    } else if let Some(error) = &form.error {
        lines.push(Line::styled(error.clone(), theme.error()));
    } else {
        lines.push(Line::styled(
            "Enter to log in; the session is kept for the CLI too.",
            theme.dim(),
        ));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
