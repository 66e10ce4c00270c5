//! Key bindings as values: each binding pairs a key event (a code and the modifiers held) with
//! the [`Action`] it means, and each place in the console has a table of [`Hint`]s made of them.
//!
//! The handlers in [`super::app`] ask [`action_for`] (or [`global_action`]) what a key event
//! means and match on the action, never on key codes; the hint bar and `?` help print the very
//! same bindings (a hint's keys are written from its bindings by [`Hint::keys`]). So a hint
//! cannot promise a key that does something else. The tables themselves are in [`table`].

mod action;
mod table;

use bikestore_contracts::identity::Role;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub use action::Action;
pub use table::{GLOBAL, HELP, INTERRUPT, hints, unlisted};

/// Who a key is offered to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Every role.
    Anyone,
    /// Managers and admins.
    Manager,
    /// Admins only.
    Admin,
}

impl Needs {
    /// Whether `role` gets the key.
    pub fn allows(self, role: Option<Role>) -> bool {
        match self {
            Needs::Anyone => true,
            Needs::Manager => matches!(role, Some(Role::Manager | Role::Admin)),
            Needs::Admin => role == Some(Role::Admin),
        }
    }
}

/// A key event as a binding names it: the code and the modifiers that must be held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPress {
    /// The key.
    pub code: KeyCode,
    /// Ctrl or Alt when they must be held; Shift is never named, it is part of the character.
    pub modifiers: KeyModifiers,
}

impl KeyPress {
    /// Whether `event` is this key. Shift is left out of the comparison because terminals
    /// differ in whether they report it with `F`, `?` or Shift+Tab; Ctrl and Alt must agree.
    pub fn matches(&self, event: &KeyEvent) -> bool {
        let held = event.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        event.code == self.code && held == self.modifiers
    }

    /// The key event this press stands for.
    pub fn event(&self) -> KeyEvent {
        KeyEvent::new(self.code, self.modifiers)
    }

    /// The key as printed: `Ctrl+S`, `Enter`, `↑`, `j`.
    pub fn label(&self) -> String {
        let name = match self.code {
            KeyCode::Char(character) if self.modifiers.contains(KeyModifiers::CONTROL) => {
                return format!("Ctrl+{}", character.to_ascii_uppercase());
            }
            KeyCode::Char(character) => return character.to_string(),
            KeyCode::Up => "↑",
            KeyCode::Down => "↓",
            KeyCode::Left => "←",
            KeyCode::Right => "→",
            KeyCode::Enter => "Enter",
            KeyCode::Esc => "Esc",
            KeyCode::Tab => "Tab",
            KeyCode::BackTab => "Shift+Tab",
            KeyCode::Delete => "Del",
            KeyCode::Backspace => "Backspace",
            KeyCode::PageUp => "PgUp",
            KeyCode::PageDown => "PgDn",
            KeyCode::Home => "Home",
            KeyCode::End => "End",
            _ => "?",
        };
        name.to_owned()
    }

    fn is_arrow(&self) -> bool {
        matches!(
            self.code,
            KeyCode::Up | KeyCode::Down | KeyCode::Left | KeyCode::Right
        )
    }

    fn digit(&self) -> Option<u32> {
        match self.code {
            KeyCode::Char(character) if self.modifiers.is_empty() => character.to_digit(10),
            _ => None,
        }
    }
}

/// One binding: a key event and the action it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyBinding {
    /// The key event.
    pub key: KeyPress,
    /// What it means.
    pub action: Action,
}

impl KeyBinding {
    /// Whether `event` is this binding's key.
    pub fn matches(&self, event: &KeyEvent) -> bool {
        self.key.matches(event)
    }
}

/// A binding of a key pressed alone.
pub const fn plain(code: KeyCode, action: Action) -> KeyBinding {
    KeyBinding {
        key: KeyPress {
            code,
            modifiers: KeyModifiers::NONE,
        },
        action,
    }
}

/// A binding of a letter pressed alone.
pub const fn letter(character: char, action: Action) -> KeyBinding {
    plain(KeyCode::Char(character), action)
}

/// A binding of Ctrl and a letter.
pub const fn control(character: char, action: Action) -> KeyBinding {
    KeyBinding {
        key: KeyPress {
            code: KeyCode::Char(character),
            modifiers: KeyModifiers::CONTROL,
        },
        action,
    }
}

/// One entry of the hint bar and of help: bindings printed together, what they do, and who
/// they are offered to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hint {
    /// The bindings printed, in order. None means letters type into the focused field.
    pub shown: &'static [KeyBinding],
    /// Bindings with the same meanings that the bar has no room for (Backspace beside Esc).
    pub also: &'static [KeyBinding],
    /// What they do, in a few words.
    pub what: &'static str,
    /// Who they are offered to.
    pub needs: Needs,
}

impl Hint {
    /// The keys as printed, written from the shown bindings: arrows side by side (`↑↓`), a run
    /// of digits as a range (`1-9`), other keys apart (`y Enter`), and `type` for a text field.
    pub fn keys(&self) -> String {
        let mut printed = String::new();
        let mut index = 0;
        while let Some(binding) = self.shown.get(index) {
            let run = digit_run(self.shown.get(index..).unwrap_or_default());
            let previous = index.checked_sub(1).and_then(|at| self.shown.get(at));
            let joined =
                previous.is_some_and(|previous| previous.key.is_arrow()) && binding.key.is_arrow();
            if !printed.is_empty() && !joined {
                printed.push(' ');
            }
            if run > 2 {
                let last = self.shown.get(index + run - 1).unwrap_or(binding);
                printed.push_str(&format!("{}-{}", binding.key.label(), last.key.label()));
                index += run;
            } else {
                printed.push_str(&binding.key.label());
                index += 1;
            }
        }
        if printed.is_empty() {
            printed.push_str("type");
        }
        printed
    }

    /// Every binding of the hint, shown or not.
    pub fn bindings(&self) -> impl Iterator<Item = &'static KeyBinding> {
        self.shown.iter().chain(self.also.iter())
    }
}

/// How many bindings from the start of `bindings` are consecutive digits.
fn digit_run(bindings: &[KeyBinding]) -> usize {
    let mut run = 0;
    let mut expected = None;
    for binding in bindings {
        match binding.key.digit() {
            Some(digit) if expected.is_none_or(|expected| expected == digit) => {
                run += 1;
                expected = Some(digit + 1);
            }
            _ => break,
        }
    }
    run
}

/// Where the keyboard is: each place has its own keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The login form.
    Login,
    /// The dashboard.
    Dashboard,
    /// The list of orders.
    OrderList,
    /// One order.
    OrderDetail,
    /// The new-order form, choosing a customer.
    FormCustomer,
    /// The new-order form, adding products.
    FormProducts,
    /// The new-order form, the cart.
    FormCart,
    /// The new-order form, the card.
    FormPayment,
    /// Watching a placed order's saga.
    FormWatching,
    /// The list of sagas.
    SagaList,
    /// One saga.
    SagaDetail,
    /// The notifications feed.
    Notifications,
    /// A yes-or-no question.
    Confirm,
    /// A question that records a reason: letters type into it.
    ConfirmReason,
    /// The help window.
    Help,
    /// The stock list.
    Stock,
    /// The receive, adjust or transfer form.
    StockForm,
    /// Typing the `/` filter.
    Filter,
    /// The catalog list.
    Catalog,
    /// One product.
    CatalogDetail,
    /// The staff list.
    Staff,
    /// The `:` command palette.
    Palette,
    /// The customers list.
    Customers,
    /// One customer and their orders.
    CustomerDetail,
    /// The add-customer form.
    CustomerForm,
    /// The add- or edit-product form.
    ProductForm,
    /// The add-member, role-and-store or password form.
    StaffForm,
    /// The System screen.
    System,
}

/// What `event` means in `place`, whoever is logged in: a key offered only to managers still
/// reaches its handler for others, which says why it is refused.
pub fn action_for(place: Place, event: &KeyEvent) -> Option<Action> {
    find(hints(place), event).or_else(|| {
        unlisted(place)
            .iter()
            .find(|binding| binding.matches(event))
            .map(|binding| binding.action)
    })
}

/// What `event` means among the keys that work everywhere.
pub fn global_action(event: &KeyEvent) -> Option<Action> {
    find(GLOBAL, event)
}

fn find(hints: &[Hint], event: &KeyEvent) -> Option<Action> {
    hints
        .iter()
        .flat_map(Hint::bindings)
        .find(|binding| binding.matches(event))
        .map(|binding| binding.action)
}

/// The hints of `place` that `role` gets.
pub fn hints_for(place: Place, role: Option<Role>) -> impl Iterator<Item = &'static Hint> {
    hints(place)
        .iter()
        .filter(move |hint| hint.needs.allows(role))
}

/// The global hints `role` gets.
pub fn global_for(role: Option<Role>) -> impl Iterator<Item = &'static Hint> {
    GLOBAL.iter().filter(move |hint| hint.needs.allows(role))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sales_are_not_offered_manager_keys() {
        let sales: Vec<_> = hints_for(Place::OrderList, Some(Role::Sales))
            .map(Hint::keys)
            .collect();
        assert!(!sales.contains(&"c".to_owned()));
        let manager: Vec<_> = hints_for(Place::OrderList, Some(Role::Manager))
            .map(Hint::keys)
            .collect();
        assert!(manager.contains(&"c".to_owned()));
        assert!(!global_for(Some(Role::Manager)).any(|hint| hint.keys() == "s"));
        assert!(global_for(Some(Role::Admin)).any(|hint| hint.keys() == "s"));
    }

    #[test]
    fn a_hint_prints_the_keys_of_its_own_bindings() {
        let printed: Vec<String> = GLOBAL.iter().map(Hint::keys).collect();
        assert_eq!(
            printed,
            ["1-9", "←→ h l", "Tab", "?", ":", "s", "L", "q", "Ctrl+C"]
        );
        let cart: Vec<String> = hints(Place::FormCart).iter().map(Hint::keys).collect();
        assert_eq!(cart, ["↑↓", "+ -", "] [", "Del", "Tab", "Ctrl+S"]);
        let typing = hints(Place::Palette).first().map(Hint::keys);
        assert_eq!(typing.as_deref(), Some("type"));
    }

    #[test]
    fn ctrl_and_alt_must_agree_but_shift_is_part_of_the_character() {
        let place_order = control('s', Action::PlaceOrder);
        assert!(place_order.matches(&KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)));
        assert!(!place_order.matches(&KeyEvent::new(KeyCode::Char('s'), KeyModifiers::NONE)));
        let previous_filter = letter('F', Action::PreviousFilter);
        assert!(previous_filter.matches(&KeyEvent::new(KeyCode::Char('F'), KeyModifiers::SHIFT)));
        assert!(!previous_filter.matches(&KeyEvent::new(KeyCode::Char('F'), KeyModifiers::ALT)));
    }
}
