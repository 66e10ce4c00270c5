//! A one-line text field: what was typed and where the cursor is. Editing only; drawing is the
//! screens' job.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The longest text a field takes; a paste of a novel stops here.
pub const MAX_INPUT_CHARS: usize = 200;

/// A one-line text field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    text: String,
    /// The cursor, in characters from the start.
    cursor: usize,
}

impl TextInput {
    /// A field holding `text`, the cursor at its end.
    pub fn with_text(text: &str) -> TextInput {
        let text: String = text.chars().take(MAX_INPUT_CHARS).collect();
        TextInput {
            cursor: text.chars().count(),
            text,
        }
    }

    /// What was typed.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The cursor position, in characters.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Whether nothing was typed (or only spaces).
    pub fn is_blank(&self) -> bool {
        self.text.trim().is_empty()
    }

    /// Empties the field.
    pub fn clear(&mut self) {
        self.text.clear();
        self.cursor = 0;
    }

    /// Applies an editing key; answers whether the key was an edit (so other keys can act).
    pub fn handle(&mut self, key: KeyEvent) -> bool {
        let control = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('u') if control => self.clear(),
            KeyCode::Char(_) if control => return false,
            KeyCode::Char(character) => self.insert(character),
            KeyCode::Backspace => {
                if self.cursor > 0 {
                    self.cursor -= 1;
                    self.remove_at(self.cursor);
                }
            }
            KeyCode::Delete => self.remove_at(self.cursor),
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(self.text.chars().count()),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = self.text.chars().count(),
            _ => return false,
        }
        true
    }

    fn insert(&mut self, character: char) {
        if character.is_control() || self.text.chars().count() >= MAX_INPUT_CHARS {
            return;
        }
        let byte_index = self.byte_index(self.cursor);
        self.text.insert(byte_index, character);
        self.cursor += 1;
    }

    fn remove_at(&mut self, position: usize) {
        if position < self.text.chars().count() {
            let byte_index = self.byte_index(position);
            self.text.remove(byte_index);
        }
    }

    fn byte_index(&self, position: usize) -> usize {
        self.text
            .char_indices()
            .nth(position)
            .map_or(self.text.len(), |(index, _)| index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn typing_editing_and_moving_the_cursor() {
        let mut input = TextInput::default();
        for character in "trék".chars() {
            assert!(input.handle(key(KeyCode::Char(character))));
        }
        assert_eq!(input.text(), "trék");
        input.handle(key(KeyCode::Left));
        input.handle(key(KeyCode::Backspace));
        assert_eq!(input.text(), "trk");
        assert_eq!(input.cursor(), 2);
        input.handle(key(KeyCode::Home));
        input.handle(key(KeyCode::Delete));
        assert_eq!(input.text(), "rk");
        input.handle(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        assert!(input.is_blank());
        assert!(!input.handle(key(KeyCode::Enter)));
        assert!(!input.handle(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)));
    }

    #[test]
    fn a_field_never_grows_past_its_limit() {
        let mut input = TextInput::with_text(&"x".repeat(MAX_INPUT_CHARS + 50));
        assert_eq!(input.text().chars().count(), MAX_INPUT_CHARS);
        input.handle(key(KeyCode::Char('y')));
        assert_eq!(input.text().chars().count(), MAX_INPUT_CHARS);
    }
}
