//! The stock screen: the store's stock levels, kept live from `stock_changed` events; receive
//! goods (everyone), adjust with a reason and transfer to another store (managers and admins),
//! each from a small form over the list. A transfer is a saga whose steps show as they run.

use bikestore_contracts::identity::Role;
use bikestore_contracts::inventory::{AdjustStock, ReceiveStock, StockLevel};
use bikestore_contracts::sagas::TransferStock;
use bikestore_contracts::{ErrorCode, ProductId, StoreId};
use ratatui::crossterm::event::KeyEvent;

use super::load::Load;
use super::order_form::SagaWatch;
use super::text_input::TextInput;
use super::{App, Overlay};
use crate::console::event::{BackendEvent, Command, Operation, UiError};
use crate::console::keys::{self, Action, Place};

/// What a stock form does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockAction {
    /// Book goods that arrived.
    Receive,
    /// Correct the count by a signed amount, with a reason.
    Adjust,
    /// Move units to another store (a saga).
    Transfer,
}

impl StockAction {
    /// The form's title.
    pub fn title(self) -> &'static str {
        match self {
            StockAction::Receive => "Receive stock",
            StockAction::Adjust => "Adjust stock",
            StockAction::Transfer => "Transfer stock",
        }
    }
}

/// Which field of the stock form has the focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockField {
    /// How many units (signed for an adjustment).
    Quantity,
    /// Why (adjustments).
    Reason,
}

/// The form over the stock list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockForm {
    /// What it does.
    pub action: StockAction,
    /// The product, and its name for the title.
    pub product_id: ProductId,
    /// The product's name.
    pub product_name: String,
    /// Units.
    pub quantity: TextInput,
    /// Why, for an adjustment.
    pub reason: TextInput,
    /// The destination of a transfer.
    pub to_store: Option<StoreId>,
    /// The focused field.
    pub field: StockField,
}

/// The stock screen's state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StockState {
    /// The store's levels, by product name.
    pub list: Load<Vec<StockLevel>>,
    /// The highlighted row.
    pub selected: usize,
    /// The transfer last started from here, followed live.
    pub transfer: Option<SagaWatch>,
}

/// Reads the store's stock again; admins must choose a store first.
pub fn reload(app: &mut App) -> Vec<Command> {
    match app.store_id {
        Some(store_id) => {
            app.stock.list.start();
            vec![Command::LoadStoreStock(store_id)]
        }
        None => {
            app.stock.list = Load::Failed(UiError::new(
                ErrorCode::Invalid,
                "stock is per store: choose one with s",
            ));
            Vec::new()
        }
    }
}

/// The levels shown, after the `/` filter.
pub fn visible(app: &App) -> Vec<&StockLevel> {
    app.stock.list.data().map_or_else(Vec::new, |levels| {
        levels
            .iter()
            .filter(|level| app.filter.matches(&level.product_name))
            .collect()
    })
}

/// A key on the stock screen.
pub fn on_key(app: &mut App, key: KeyEvent) -> Option<Vec<Command>> {
    let count = visible(app).len();
    let stock = &mut app.stock;
    match keys::action_for(Place::Stock, &key)? {
        Action::Down => stock.selected = (stock.selected + 1).min(count.saturating_sub(1)),
        Action::Up => stock.selected = stock.selected.saturating_sub(1),
        Action::Reload => return Some(reload(app)),
        Action::Receive => open_form(app, StockAction::Receive),
        Action::Adjust => open_form(app, StockAction::Adjust),
        Action::Transfer => open_form(app, StockAction::Transfer),
        _ => return None,
    }
    Some(Vec::new())
}

fn open_form(app: &mut App, action: StockAction) {
    let managers_only = matches!(action, StockAction::Adjust | StockAction::Transfer);
    if managers_only && !app.is_manager() {
        app.fail(UiError::new(
            ErrorCode::Forbidden,
            "only managers and admins adjust or transfer stock",
        ));
        return;
    }
    let selected = app.stock.selected;
    let Some(level) = visible(app).get(selected).map(|level| (*level).clone()) else {
        return;
    };
    let to_store = app
        .stores
        .iter()
        .map(|store| store.store_id)
        .find(|store_id| *store_id != level.store_id);
    app.overlay = Overlay::Stock(StockForm {
        action,
        product_id: level.product_id,
        product_name: level.product_name,
        quantity: TextInput::default(),
        reason: TextInput::default(),
        to_store,
        field: StockField::Quantity,
    });
}

/// A key in the stock form: digits and text edit, Tab moves, ←→ choose the destination store,
/// Enter sends, Esc closes.
pub fn on_form_key(app: &mut App, key: KeyEvent) -> Vec<Command> {
    let store_ids: Vec<StoreId> = app.stores.iter().map(|store| store.store_id).collect();
    let from = app.store_id;
    let Overlay::Stock(form) = &mut app.overlay else {
        return Vec::new();
    };
    let action = keys::action_for(Place::StockForm, &key);
    match action {
        Some(Action::Close) => app.overlay = Overlay::None,
        Some(Action::Submit) => return submit(app),
        Some(Action::NextField) if form.action == StockAction::Adjust => {
            form.field = match form.field {
                StockField::Quantity => StockField::Reason,
                StockField::Reason => StockField::Quantity,
            };
        }
        Some(Action::PreviousChoice | Action::NextChoice)
            if form.action == StockAction::Transfer =>
        {
            let choices: Vec<StoreId> = store_ids
                .into_iter()
                .filter(|id| Some(*id) != from)
                .collect();
            let position = choices
                .iter()
                .position(|id| Some(*id) == form.to_store)
                .unwrap_or(0);
            let step = if action == Some(Action::NextChoice) {
                1
            } else {
                choices.len().saturating_sub(1)
            };
            form.to_store = choices
                .get((position + step) % choices.len().max(1))
                .copied();
        }
        _ => {
            match form.field {
                StockField::Quantity => form.quantity.handle(key),
                StockField::Reason => form.reason.handle(key),
            };
        }
    }
    Vec::new()
}

fn submit(app: &mut App) -> Vec<Command> {
    let Overlay::Stock(form) = &app.overlay else {
        return Vec::new();
    };
    let Some(store_id) = app.store_id else {
        return Vec::new();
    };
    let invalid = |message: &str| UiError::new(ErrorCode::Invalid, message);
    let quantity: Result<i64, _> = form.quantity.text().trim().parse();
    let command = match (form.action, quantity) {
        (_, Err(_)) => Err(invalid("enter a whole number of units")),
        (StockAction::Receive, Ok(quantity)) if quantity < 1 => {
            Err(invalid("receive at least one unit"))
        }
        (StockAction::Receive, Ok(quantity)) => Ok(Command::ReceiveStock(ReceiveStock {
            store_id,
            product_id: form.product_id,
            quantity,
        })),
        (StockAction::Adjust, Ok(0)) => Err(invalid("an adjustment is never zero")),
        (StockAction::Adjust, Ok(_)) if form.reason.is_blank() => {
            Err(invalid("an adjustment needs a reason"))
        }
        (StockAction::Adjust, Ok(delta)) => Ok(Command::AdjustStock(AdjustStock {
            store_id,
            product_id: form.product_id,
            delta,
            reason: form.reason.text().trim().to_owned(),
        })),
        (StockAction::Transfer, Ok(quantity)) if quantity < 1 => {
            Err(invalid("transfer at least one unit"))
        }
        (StockAction::Transfer, Ok(quantity)) => match form.to_store {
            None => Err(invalid("there is no other store to send to")),
            Some(to_store_id) => Ok(Command::TransferStock {
                request: TransferStock {
                    from_store_id: store_id,
                    to_store_id,
                    product_id: form.product_id,
                    quantity,
                    wait_ms: None,
                },
                idempotency_key: String::new(),
            }),
        },
    };
    match command {
        Err(error) => {
            app.fail(error);
            Vec::new()
        }
        Ok(Command::TransferStock { request, .. }) => {
            app.overlay = Overlay::None;
            let ticket = app.ticket();
            let staff_id = app.staff.as_ref().map_or(0, |staff| staff.staff_id.0);
            app.inform("starting the transfer…");
            vec![Command::TransferStock {
                request,
                idempotency_key: format!("console-{staff_id}-{}-{ticket}", app.now_ms),
            }]
        }
        Ok(command) => {
            app.overlay = Overlay::None;
            vec![command]
        }
    }
}

/// Whether `role` gets the stock keys that need a manager.
pub fn manages(role: Option<Role>) -> bool {
    matches!(role, Some(Role::Manager | Role::Admin))
}

/// A backend answer or live event the stock screen cares about.
pub fn on_backend(app: &mut App, event: &BackendEvent) -> Vec<Command> {
    match event {
        BackendEvent::StoreStock { store_id, levels } if Some(*store_id) == app.store_id => {
            let mut levels = levels.clone();
            levels.sort_by(|a, b| a.product_name.cmp(&b.product_name));
            app.stock.list = Load::Ready(levels);
        }
        BackendEvent::StockChanged(level) => update_level(app, level),
        BackendEvent::StockUpdated(level) => {
            update_level(app, level);
            app.inform(format!(
                "{} now {} on hand, {} available",
                level.product_name, level.on_hand, level.available
            ));
        }
        BackendEvent::TransferStarted(started) => {
            app.stock.transfer = Some(SagaWatch {
                saga_id: started.saga_id.clone(),
                order_id: None,
                state: started.state,
                history: Vec::new(),
                reason: started.error.as_ref().map(|error| error.message.clone()),
            });
            app.inform(format!("transfer saga {} started", started.saga_id));
            return vec![Command::WatchSaga(started.saga_id.clone())];
        }
        BackendEvent::Saga(record) => {
            if let Some(watch) = &mut app.stock.transfer
                && watch.saga_id == record.saga_id
            {
                watch.apply_record(record);
            }
        }
        BackendEvent::SagaProgressed(progress) => {
            if let Some(watch) = &mut app.stock.transfer
                && watch.saga_id == progress.saga_id
            {
                watch.apply_progress(progress.state, progress.last.as_ref());
            }
        }
        _ => {}
    }
    Vec::new()
}

/// Puts a changed level in the list, if it is this store's.
fn update_level(app: &mut App, level: &StockLevel) {
    if Some(level.store_id) != app.store_id {
        return;
    }
    if let Some(levels) = app.stock.list.data_mut() {
        match levels
            .iter_mut()
            .find(|known| known.product_id == level.product_id)
        {
            Some(known) => *known = level.clone(),
            None => levels.push(level.clone()),
        }
    }
}

/// A request of the stock screen failed.
pub fn failed(app: &mut App, operation: Operation, error: &UiError) {
    if operation == Operation::Stock && app.stock.list.is_loading() {
        app.stock.list = Load::Failed(error.clone());
    }
}
