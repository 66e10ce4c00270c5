//! The key tables: for each place in the console, the hints shown there and the bindings each
//! stands for, plus the keys that work everywhere once logged in.
//!
//! The hint bar shows the first few hints of the current place, and `?` help shows them all
//! with the global ones; the handlers look keys up here too, so the three cannot drift apart.

use ratatui::crossterm::event::KeyCode;

use super::{Action, Hint, KeyBinding, Needs, Place, control, letter, plain};

const fn hint(shown: &'static [KeyBinding], what: &'static str) -> Hint {
    Hint {
        shown,
        also: &[],
        what,
        needs: Needs::Anyone,
    }
}

const fn hint_also(
    shown: &'static [KeyBinding],
    also: &'static [KeyBinding],
    what: &'static str,
) -> Hint {
    Hint {
        shown,
        also,
        what,
        needs: Needs::Anyone,
    }
}

const fn manager(shown: &'static [KeyBinding], what: &'static str) -> Hint {
    Hint {
        shown,
        also: &[],
        what,
        needs: Needs::Manager,
    }
}

const fn admin(shown: &'static [KeyBinding], what: &'static str) -> Hint {
    Hint {
        shown,
        also: &[],
        what,
        needs: Needs::Admin,
    }
}

/// Letters go to the focused text field.
const fn typing(what: &'static str) -> Hint {
    hint(&[], what)
}

/// Ctrl+C quits from anywhere, even while typing.
pub const INTERRUPT: KeyBinding = control('c', Action::Quit);

const HELP_KEY: KeyBinding = letter('?', Action::Help);

/// The way to full help, which ends every screen's hint bar.
pub const HELP: Hint = hint(&[HELP_KEY], "help");

const ARROWS: &[KeyBinding] = &[
    plain(KeyCode::Up, Action::Up),
    plain(KeyCode::Down, Action::Down),
];
const VIM_ROWS: &[KeyBinding] = &[letter('j', Action::Down), letter('k', Action::Up)];
const ROWS: &[KeyBinding] = &[
    plain(KeyCode::Up, Action::Up),
    plain(KeyCode::Down, Action::Down),
    letter('j', Action::Down),
    letter('k', Action::Up),
];
const MOVE: Hint = hint(ROWS, "move");
const RELOAD: Hint = hint(&[letter('g', Action::Reload)], "reload");
const FILTER_KEY: &[KeyBinding] = &[letter('/', Action::Filter)];
const CLEAR_FILTER: &[KeyBinding] = &[plain(KeyCode::Esc, Action::ClearFilter)];
const FILTER: Hint = hint_also(FILTER_KEY, CLEAR_FILTER, "filter");
const BACK: Hint = hint_also(
    &[plain(KeyCode::Esc, Action::Back)],
    &[plain(KeyCode::Backspace, Action::Back)],
    "back",
);
const ENTER_OPENS: &[KeyBinding] = &[plain(KeyCode::Enter, Action::Open)];
const SUBMIT: &[KeyBinding] = &[plain(KeyCode::Enter, Action::Submit)];
const CLOSE: Hint = hint(&[plain(KeyCode::Esc, Action::Close)], "close");
const FIELDS: Hint = hint_also(
    &[
        plain(KeyCode::Tab, Action::NextField),
        plain(KeyCode::Up, Action::PreviousField),
        plain(KeyCode::Down, Action::NextField),
    ],
    &[plain(KeyCode::BackTab, Action::PreviousField)],
    "field",
);
const CHOICES: &[KeyBinding] = &[
    plain(KeyCode::Left, Action::PreviousChoice),
    plain(KeyCode::Right, Action::NextChoice),
];
const NEXT_PANE: Hint = hint_also(
    &[plain(KeyCode::Tab, Action::NextPane)],
    &[plain(KeyCode::BackTab, Action::PreviousPane)],
    "next pane",
);
const PLACE_ORDER: Hint = hint(&[control('s', Action::PlaceOrder)], "place order");
const FORM_BACK: Hint = hint(&[plain(KeyCode::Esc, Action::Back)], "back");
const SEARCH_ROWS: Hint = hint(ARROWS, "move");

/// Keys that work everywhere once logged in (outside text fields for the letters).
pub const GLOBAL: &[Hint] = &[
    hint(
        &[
            letter('1', Action::GoToScreen(0)),
            letter('2', Action::GoToScreen(1)),
            letter('3', Action::GoToScreen(2)),
            letter('4', Action::GoToScreen(3)),
            letter('5', Action::GoToScreen(4)),
            letter('6', Action::GoToScreen(5)),
            letter('7', Action::GoToScreen(6)),
            letter('8', Action::GoToScreen(7)),
            letter('9', Action::GoToScreen(8)),
        ],
        "go to screen",
    ),
    hint_also(
        &[
            plain(KeyCode::Left, Action::PreviousScreen),
            plain(KeyCode::Right, Action::NextScreen),
            letter('h', Action::PreviousScreen),
            letter('l', Action::NextScreen),
        ],
        &[plain(KeyCode::BackTab, Action::PreviousScreen)],
        "previous / next screen",
    ),
    hint(
        &[plain(KeyCode::Tab, Action::NextScreen)],
        "next pane, or next screen",
    ),
    hint(&[HELP_KEY], "help for this screen"),
    hint(
        &[letter(':', Action::Palette)],
        "command palette (:order 1620, :stock, :q)",
    ),
    admin(&[letter('s', Action::SwitchStore)], "switch store (admins)"),
    hint(&[letter('L', Action::LogOut)], "log out"),
    hint(&[letter('q', Action::Quit)], "quit"),
    hint(&[INTERRUPT], "quit"),
];

/// The hints of one place, in the order the hint bar shows them.
pub fn hints(place: Place) -> &'static [Hint] {
    match place {
        Place::Login => {
            const HINTS: &[Hint] = &[
                hint_also(
                    &[
                        plain(KeyCode::Tab, Action::NextField),
                        plain(KeyCode::Up, Action::NextField),
                        plain(KeyCode::Down, Action::NextField),
                    ],
                    &[plain(KeyCode::BackTab, Action::NextField)],
                    "field",
                ),
                hint(SUBMIT, "log in"),
                hint_also(&[INTERRUPT], &[plain(KeyCode::Esc, Action::Quit)], "quit"),
            ];
            HINTS
        }
        Place::Dashboard => {
            const HINTS: &[Hint] = &[
                RELOAD,
                hint(&[HELP_KEY], "help"),
                hint(&[letter('q', Action::Quit)], "quit"),
            ];
            HINTS
        }
        Place::OrderList => {
            const HINTS: &[Hint] = &[
                hint_also(
                    ROWS,
                    &[
                        plain(KeyCode::PageDown, Action::PageDown),
                        plain(KeyCode::PageUp, Action::PageUp),
                        plain(KeyCode::Home, Action::First),
                        plain(KeyCode::End, Action::Last),
                    ],
                    "move",
                ),
                hint(ENTER_OPENS, "open"),
                hint(&[letter('n', Action::NewOrder)], "new order"),
                hint(&[letter('f', Action::NextFilter)], "status filter"),
                FILTER,
                manager(&[letter('c', Action::CancelOrder)], "cancel"),
                RELOAD,
            ];
            HINTS
        }
        Place::OrderDetail => {
            const HINTS: &[Hint] = &[
                BACK,
                manager(&[letter('c', Action::CancelOrder)], "cancel order"),
                RELOAD,
            ];
            HINTS
        }
        Place::FormCustomer => {
            const HINTS: &[Hint] = &[
                typing("search"),
                hint(
                    &[plain(KeyCode::Enter, Action::SearchOrPick)],
                    "search / choose / add",
                ),
                SEARCH_ROWS,
                NEXT_PANE,
                PLACE_ORDER,
                FORM_BACK,
            ];
            HINTS
        }
        Place::FormProducts => {
            const HINTS: &[Hint] = &[
                typing("search"),
                hint(
                    &[plain(KeyCode::Enter, Action::SearchOrPick)],
                    "search / add",
                ),
                SEARCH_ROWS,
                NEXT_PANE,
                PLACE_ORDER,
                FORM_BACK,
            ];
            HINTS
        }
        Place::FormCart => {
            const HINTS: &[Hint] = &[
                hint_also(ARROWS, VIM_ROWS, "move"),
                hint_also(
                    &[letter('+', Action::More), letter('-', Action::Fewer)],
                    &[letter('=', Action::More)],
                    "quantity",
                ),
                hint(
                    &[
                        letter(']', Action::MoreDiscount),
                        letter('[', Action::LessDiscount),
                    ],
                    "discount",
                ),
                hint_also(
                    &[plain(KeyCode::Delete, Action::Remove)],
                    &[letter('d', Action::Remove), letter('x', Action::Remove)],
                    "remove",
                ),
                NEXT_PANE,
                PLACE_ORDER,
            ];
            HINTS
        }
        Place::FormPayment => {
            const HINTS: &[Hint] = &[
                typing("card"),
                hint(
                    &[
                        plain(KeyCode::Up, Action::PreviousField),
                        plain(KeyCode::Down, Action::NextField),
                        plain(KeyCode::Enter, Action::NextField),
                    ],
                    "field",
                ),
                NEXT_PANE,
                PLACE_ORDER,
                FORM_BACK,
            ];
            HINTS
        }
        Place::FormWatching => {
            const HINTS: &[Hint] = &[
                hint(
                    &[plain(KeyCode::Enter, Action::OpenOrder)],
                    "open the order",
                ),
                hint(&[letter('n', Action::AnotherOrder)], "another order"),
                hint(&[plain(KeyCode::Esc, Action::Back)], "back to orders"),
            ];
            HINTS
        }
        Place::SagaList => {
            const HINTS: &[Hint] = &[
                MOVE,
                hint(ENTER_OPENS, "open"),
                hint(
                    &[
                        letter('f', Action::NextFilter),
                        letter('F', Action::PreviousFilter),
                    ],
                    "state filter",
                ),
                manager(&[letter('r', Action::Retry)], "retry"),
                manager(&[letter('x', Action::Resolve)], "resolve"),
                FILTER,
                RELOAD,
            ];
            HINTS
        }
        Place::SagaDetail => {
            const HINTS: &[Hint] = &[
                BACK,
                hint(ROWS, "scroll"),
                manager(&[letter('r', Action::Retry)], "retry"),
                manager(&[letter('x', Action::Resolve)], "resolve"),
                RELOAD,
            ];
            HINTS
        }
        Place::Notifications => {
            const HINTS: &[Hint] = &[MOVE, FILTER, RELOAD];
            HINTS
        }
        Place::ConfirmReason => {
            const HINTS: &[Hint] = &[
                typing("the reason"),
                hint(&[plain(KeyCode::Enter, Action::Yes)], "yes"),
                hint(&[plain(KeyCode::Esc, Action::No)], "no"),
            ];
            HINTS
        }
        Place::Confirm => {
            const HINTS: &[Hint] = &[
                hint(
                    &[letter('y', Action::Yes), plain(KeyCode::Enter, Action::Yes)],
                    "yes",
                ),
                hint(
                    &[letter('n', Action::No), plain(KeyCode::Esc, Action::No)],
                    "no",
                ),
            ];
            HINTS
        }
        Place::Stock => {
            const HINTS: &[Hint] = &[
                MOVE,
                hint(&[letter('r', Action::Receive)], "receive"),
                manager(&[letter('a', Action::Adjust)], "adjust"),
                manager(&[letter('t', Action::Transfer)], "transfer"),
                FILTER,
                RELOAD,
            ];
            HINTS
        }
        Place::StockForm => {
            const HINTS: &[Hint] = &[
                typing("units"),
                hint_also(
                    &[plain(KeyCode::Tab, Action::NextField)],
                    &[plain(KeyCode::BackTab, Action::NextField)],
                    "reason (adjust)",
                ),
                hint(CHOICES, "store (transfer)"),
                hint(SUBMIT, "send"),
                CLOSE,
            ];
            HINTS
        }
        Place::Catalog => {
            const HINTS: &[Hint] = &[
                MOVE,
                hint(ENTER_OPENS, "stock per store"),
                manager(&[letter('a', Action::Add)], "add a product"),
                manager(&[letter('e', Action::Edit)], "edit"),
                FILTER,
                RELOAD,
            ];
            HINTS
        }
        Place::ProductForm => {
            const HINTS: &[Hint] = &[
                typing("the field"),
                FIELDS,
                hint(CHOICES, "brand, category"),
                hint(SUBMIT, "save"),
                CLOSE,
            ];
            HINTS
        }
        Place::CatalogDetail | Place::CustomerDetail => {
            const HINTS: &[Hint] = &[BACK];
            HINTS
        }
        Place::System => {
            const HINTS: &[Hint] = &[RELOAD];
            HINTS
        }
        Place::Staff => {
            const HINTS: &[Hint] = &[
                MOVE,
                hint(&[letter('i', Action::ToggleInactive)], "inactive too"),
                admin(&[letter('a', Action::Add)], "add"),
                admin(&[letter('e', Action::Edit)], "role/store"),
                admin(&[letter('p', Action::Password)], "password"),
                admin(&[letter('d', Action::Deactivate)], "deactivate"),
                FILTER,
                RELOAD,
            ];
            HINTS
        }
        Place::StaffForm => {
            const HINTS: &[Hint] = &[
                typing("the field"),
                FIELDS,
                hint(CHOICES, "role, store"),
                hint(SUBMIT, "save"),
                CLOSE,
            ];
            HINTS
        }
        Place::Customers => {
            const HINTS: &[Hint] = &[
                MOVE,
                hint(ENTER_OPENS, "their orders"),
                hint_also(FILTER_KEY, CLEAR_FILTER, "search"),
                hint(&[letter('a', Action::Add)], "add a customer"),
                RELOAD,
            ];
            HINTS
        }
        Place::CustomerForm => {
            const HINTS: &[Hint] = &[typing("the field"), FIELDS, hint(SUBMIT, "add"), CLOSE];
            HINTS
        }
        Place::Palette => {
            const HINTS: &[Hint] = &[typing("a command"), hint(SUBMIT, "run"), CLOSE];
            HINTS
        }
        Place::Filter => {
            const HINTS: &[Hint] = &[
                typing("rows containing"),
                hint(SUBMIT, "keep"),
                hint(&[plain(KeyCode::Esc, Action::Close)], "clear"),
            ];
            HINTS
        }
        Place::Help => {
            const HINTS: &[Hint] = &[hint_also(
                &[
                    plain(KeyCode::Esc, Action::Close),
                    letter('?', Action::Close),
                    letter('q', Action::Close),
                ],
                &[plain(KeyCode::Enter, Action::Close)],
                "close help",
            )];
            HINTS
        }
    }
}

/// Keys that work in `place` but are on none of its hints, to keep a full bar short.
pub fn unlisted(place: Place) -> &'static [KeyBinding] {
    match place {
        // Leaving the form works from every pane; the cart's bar has no room left to say so.
        Place::FormCart => {
            const BINDINGS: &[KeyBinding] = &[plain(KeyCode::Esc, Action::Back)];
            BINDINGS
        }
        _ => &[],
    }
}
