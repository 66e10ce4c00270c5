//! The login form: username and password, Enter to log in. The password is kept only until it
//! is sent, and is drawn as stars.

use bikestore_contracts::ErrorCode;
use bikestore_contracts::identity::Password;
use ratatui::crossterm::event::KeyEvent;

use super::App;
use super::text_input::TextInput;
use crate::console::event::{Command, UiError};
use crate::console::keys::{self, Action, Place};

/// Which field has the focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LoginField {
    /// The username.
    #[default]
    Username,
    /// The password.
    Password,
}

/// The login form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginForm {
    /// The username.
    pub username: TextInput,
    /// The password.
    pub password: TextInput,
    /// The focused field.
    pub field: LoginField,
    /// Whether a login is on its way.
    pub submitting: bool,
    /// Why the last try failed.
    pub error: Option<String>,
}

/// A key on the login screen.
pub fn on_key(app: &mut App, key: KeyEvent) -> Vec<Command> {
    let form = &mut app.login;
    if form.submitting {
        return Vec::new();
    }
    match keys::action_for(Place::Login, &key) {
        Some(Action::NextField) => {
            form.field = match form.field {
                LoginField::Username => LoginField::Password,
                LoginField::Password => LoginField::Username,
            };
            Vec::new()
        }
        Some(Action::Submit) if form.field == LoginField::Username && form.password.is_blank() => {
            form.field = LoginField::Password;
            Vec::new()
        }
        Some(Action::Submit) => submit(app),
        Some(Action::Quit) => {
            app.quit = true;
            Vec::new()
        }
        _ => {
            match form.field {
                LoginField::Username => form.username.handle(key),
                LoginField::Password => form.password.handle(key),
            };
            Vec::new()
        }
    }
}

fn submit(app: &mut App) -> Vec<Command> {
    let form = &mut app.login;
    let username = form.username.text().trim().to_owned();
    if username.is_empty() || form.password.text().is_empty() {
        form.error = Some("enter a username and a password".to_owned());
        return Vec::new();
    }
    let password = Password::from(form.password.text());
    // The typed password leaves the state as soon as it is handed to the worker.
    form.password.clear();
    form.submitting = true;
    form.error = None;
    vec![Command::Login { username, password }]
}

/// A login failed: say why. Identity's own words never tell whether the username exists.
pub fn failed(app: &mut App, error: &UiError) {
    let form = &mut app.login;
    form.submitting = false;
    form.field = LoginField::Password;
    form.error = Some(match error.code {
        ErrorCode::Unavailable | ErrorCode::Timeout => {
            format!("the system does not answer: {}", error.message)
        }
        _ => error.message.clone(),
    });
}
