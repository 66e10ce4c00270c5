//! What a key can do in the console: the actions handlers match on, each named by its effect
//! rather than its key, since which key means which action is only in the tables.

/// What a key does. Handlers match on these; which key means which is only in the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Leave the console.
    Quit,
    /// Open help for the current place.
    Help,
    /// Open the `:` command palette.
    Palette,
    /// Work for the next store (admins).
    SwitchStore,
    /// End the session.
    LogOut,
    /// Show the visible screen at this position, counted from zero.
    GoToScreen(u8),
    /// Show the next visible screen.
    NextScreen,
    /// Show the previous visible screen.
    PreviousScreen,
    /// Start typing the `/` filter of the list on screen.
    Filter,
    /// Clear the `/` filter that is set.
    ClearFilter,
    /// Highlight the next row (or scroll down).
    Down,
    /// Highlight the previous row (or scroll up).
    Up,
    /// Ten rows down.
    PageDown,
    /// Ten rows up.
    PageUp,
    /// The first row.
    First,
    /// The last row.
    Last,
    /// Open the highlighted row.
    Open,
    /// Read the screen's data again.
    Reload,
    /// Leave a detail view for its list.
    Back,
    /// The next value of the screen's own filter (order status, saga state).
    NextFilter,
    /// The previous value of the screen's own filter.
    PreviousFilter,
    /// Start a new order.
    NewOrder,
    /// Cancel the order (managers).
    CancelOrder,
    /// Retry the saga (managers).
    Retry,
    /// End the saga by hand (managers).
    Resolve,
    /// Receive stock.
    Receive,
    /// Adjust stock (managers).
    Adjust,
    /// Move stock to another store (managers).
    Transfer,
    /// Add a record (a product, a customer, a member).
    Add,
    /// Edit the highlighted record.
    Edit,
    /// Set a member's password (admins).
    Password,
    /// Stop a member from logging in (admins).
    Deactivate,
    /// Show inactive members too, or not.
    ToggleInactive,
    /// The next field of a form.
    NextField,
    /// The previous field of a form.
    PreviousField,
    /// The next choice of a choosing field (store, role, brand).
    NextChoice,
    /// The previous choice of a choosing field.
    PreviousChoice,
    /// Send what the form or line holds (log in, save, send, run, keep).
    Submit,
    /// Close the window or the filter without sending.
    Close,
    /// Say yes to the question.
    Yes,
    /// Say no to the question.
    No,
    /// The next pane of the new-order form.
    NextPane,
    /// The previous pane of the new-order form.
    PreviousPane,
    /// Search for what is typed, or take the highlighted result when it was searched already.
    SearchOrPick,
    /// Send the new order.
    PlaceOrder,
    /// One more unit of the cart line.
    More,
    /// One unit fewer of the cart line.
    Fewer,
    /// Five percent more discount on the cart line.
    MoreDiscount,
    /// Five percent less discount on the cart line.
    LessDiscount,
    /// Take the line out of the cart.
    Remove,
    /// Open the order a watched saga placed.
    OpenOrder,
    /// Start another order after one was placed.
    AnotherOrder,
}
