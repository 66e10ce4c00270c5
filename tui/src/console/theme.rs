//! The console's styles, in one place, with a monochrome variant for `NO_COLOR`.
//!
//! Screens ask the theme for a style by meaning (a title, an error, a selected row), never for a
//! colour, so `NO_COLOR` (https://no-color.org) turns every colour off at once and leaves only
//! bold, reverse and underline.

use ratatui::style::{Color, Modifier, Style};

/// The styles screens draw with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    colored: bool,
}

impl Theme {
    /// The coloured theme.
    pub const COLOR: Theme = Theme { colored: true };
    /// The theme without colours, for `NO_COLOR`.
    pub const MONO: Theme = Theme { colored: false };

    /// The theme for a `NO_COLOR` value: set and not empty means no colour.
    pub fn from_no_color(no_color: Option<&std::ffi::OsStr>) -> Theme {
        match no_color {
            Some(value) if !value.is_empty() => Theme::MONO,
            _ => Theme::COLOR,
        }
    }

    fn fg(self, color: Color) -> Style {
        if self.colored {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    /// Plain text.
    pub fn text(self) -> Style {
        Style::new()
    }

    /// Less important text: hints, labels, empty states.
    pub fn dim(self) -> Style {
        if self.colored {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    /// Titles and headings.
    pub fn title(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    /// A key in the hint bar or help.
    pub fn key(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    /// The selected row of a list, or the active tab.
    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
    }

    /// The field or pane that has the focus.
    pub fn focused(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    /// Something that went well.
    pub fn good(self) -> Style {
        self.fg(Color::Green)
    }

    /// Something that needs attention but is not an error.
    pub fn warn(self) -> Style {
        self.fg(Color::Yellow)
    }

    /// An error.
    pub fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_drops_every_colour_but_keeps_emphasis() {
        assert_eq!(Theme::from_no_color(Some("1".as_ref())), Theme::MONO);
        assert_eq!(Theme::from_no_color(Some("".as_ref())), Theme::COLOR);
        assert_eq!(Theme::from_no_color(None), Theme::COLOR);
        let mono = Theme::MONO;
        for style in [
            mono.title(),
            mono.error(),
            mono.good(),
            mono.warn(),
            mono.key(),
        ] {
            assert_eq!(style.fg, None);
        }
        assert!(mono.error().add_modifier.contains(Modifier::BOLD));
        assert_eq!(Theme::COLOR.error().fg, Some(Color::Red));
    }
}
