//! The sagas screen (managers and admins): sagas by state, one saga's history and errors, and
//! retry or resolve with confirmation. `/` narrows the list read to the rows containing the
//! typed text (ID, kind, state, order number, error).
//!
//! Live: every saga's progress event moves its row's state and step, and the open saga's
//! history grows as its steps run.

use bikestore_contracts::ErrorCode;
use bikestore_contracts::sagas::{ListSagas, SagaId, SagaPayload, SagaRecord, SagaState};
use ratatui::crossterm::event::KeyEvent;

use super::load::Load;
use super::order_form::SagaWatch;
use super::text_input::TextInput;
use super::{App, Confirm, ConfirmAction, Overlay};
use crate::console::event::{BackendEvent, Command, Operation, UiError};
use crate::console::format::{saga_state, step_name};
use crate::console::keys::{self, Action, Place};

/// How many sagas the list reads.
pub const SAGAS_PAGE: u32 = 200;

/// The state filters `f` cycles through, the ones needing a person first; `None` is every state.
pub const STATE_FILTERS: [Option<SagaState>; 7] = [
    Some(SagaState::Stuck),
    Some(SagaState::Running),
    Some(SagaState::Compensating),
    Some(SagaState::Failed),
    Some(SagaState::Completed),
    Some(SagaState::Resolved),
    None,
];

/// What the sagas screen shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SagasView {
    /// The list.
    #[default]
    List,
    /// One saga.
    Detail,
}

/// The sagas screen's state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SagasState {
    /// What is shown.
    pub view: SagasView,
    /// The list.
    pub list: Load<Vec<SagaRecord>>,
    /// The highlighted row.
    pub selected: usize,
    /// Index into [`STATE_FILTERS`].
    pub filter: usize,
    /// The saga opened: its record as read, then kept live.
    pub detail: Load<SagaRecord>,
    /// The open saga's history as it grows live.
    pub live: Option<SagaWatch>,
    /// How far the detail's history is scrolled.
    pub scroll: usize,
}

impl SagasState {
    /// Where the keyboard is on this screen.
    pub fn place(&self) -> Place {
        match self.view {
            SagasView::List => Place::SagaList,
            SagasView::Detail => Place::SagaDetail,
        }
    }

    /// The state the list shows; `None` for every state.
    pub fn state_filter(&self) -> Option<SagaState> {
        STATE_FILTERS.get(self.filter).copied().flatten()
    }
}

/// The sagas listed, after the `/` filter; the state filter `f` is applied by the server.
pub fn visible(app: &App) -> Vec<&SagaRecord> {
    app.sagas.list.data().map_or_else(Vec::new, |sagas| {
        sagas
            .iter()
            .filter(|record| app.filter.matches(&filter_text(record)))
            .collect()
    })
}

/// The text of a row the `/` filter searches: what the list shows, and the order it is about.
fn filter_text(record: &SagaRecord) -> String {
    let order_id = match &record.payload {
        SagaPayload::PlaceOrder(place) => place.order_id,
        SagaPayload::CancelOrder(cancel) => Some(cancel.order_id),
        SagaPayload::TransferStock(_) => None,
    };
    format!(
        "{} {} {} {} {}",
        record.saga_id,
        step_name(&record.definition),
        saga_state(record.state),
        order_id.map_or_else(String::new, |order_id| format!("#{order_id}")),
        record
            .error
            .as_ref()
            .map_or("", |error| error.message.as_str()),
    )
}

/// The saga under the cursor: the highlighted row of the filtered list, or the one opened.
fn selected_saga(app: &App) -> Option<SagaId> {
    match app.sagas.view {
        SagasView::List => visible(app)
            .get(app.sagas.selected)
            .map(|saga| saga.saga_id.clone()),
        SagasView::Detail => app.sagas.detail.data().map(|saga| saga.saga_id.clone()),
    }
}

/// Reads the list again with the current filter.
pub fn reload(app: &mut App) -> Vec<Command> {
    app.sagas.list.start();
    vec![Command::LoadSagas(ListSagas {
        state: app.sagas.state_filter(),
        limit: Some(SAGAS_PAGE),
        ..ListSagas::default()
    })]
}

/// A key on the sagas screen.
pub fn on_key(app: &mut App, key: KeyEvent) -> Option<Vec<Command>> {
    let count = visible(app).len();
    let selected_saga = selected_saga(app);
    let sagas = &mut app.sagas;
    let action = keys::action_for(sagas.place(), &key)?;
    match (sagas.view, action) {
        (SagasView::List, Action::Down) => {
            sagas.selected = (sagas.selected + 1).min(count.saturating_sub(1));
        }
        (SagasView::List, Action::Up) => {
            sagas.selected = sagas.selected.saturating_sub(1);
        }
        (SagasView::List, Action::NextFilter) => {
            sagas.filter = (sagas.filter + 1) % STATE_FILTERS.len();
            sagas.selected = 0;
            return Some(reload(app));
        }
        (SagasView::List, Action::PreviousFilter) => {
            sagas.filter = (sagas.filter + STATE_FILTERS.len() - 1) % STATE_FILTERS.len();
            sagas.selected = 0;
            return Some(reload(app));
        }
        (SagasView::List, Action::Open) => {
            let saga_id = selected_saga?;
            return Some(open(app, saga_id));
        }
        (SagasView::List, Action::Reload) => return Some(reload(app)),
        (SagasView::Detail, Action::Back) => sagas.view = SagasView::List,
        (SagasView::Detail, Action::Down) => sagas.scroll += 1,
        (SagasView::Detail, Action::Up) => {
            sagas.scroll = sagas.scroll.saturating_sub(1);
        }
        (SagasView::Detail, Action::Reload) => {
            let saga_id = selected_saga?;
            return Some(open(app, saga_id));
        }
        (_, Action::Retry) => {
            let saga_id = selected_saga?;
            ask(app, ConfirmAction::RetrySaga(saga_id));
        }
        (_, Action::Resolve) => {
            let saga_id = selected_saga?;
            ask(app, ConfirmAction::ResolveSaga(saga_id));
        }
        _ => return None,
    }
    Some(Vec::new())
}

/// Opens one saga and follows it live.
pub fn open(app: &mut App, saga_id: SagaId) -> Vec<Command> {
    app.sagas.view = SagasView::Detail;
    app.sagas.scroll = 0;
    if app.sagas.detail.data().map(|saga| &saga.saga_id) != Some(&saga_id) {
        app.sagas.detail = Load::Idle;
        app.sagas.live = None;
    }
    app.sagas.detail.start();
    vec![Command::WatchSaga(saga_id)]
}

fn ask(app: &mut App, action: ConfirmAction) {
    if !app.is_manager() {
        app.fail(UiError::new(
            ErrorCode::Forbidden,
            "only managers and admins repair sagas",
        ));
        return;
    }
    let (prompt, reason) = match &action {
        ConfirmAction::RetrySaga(saga_id) => {
            (format!("Retry saga {saga_id} from where it stopped?"), None)
        }
        ConfirmAction::ResolveSaga(saga_id) => (
            format!("End saga {saga_id} by hand? Say what was done instead."),
            Some(TextInput::default()),
        ),
        ConfirmAction::CancelOrder(_) | ConfirmAction::DeactivateStaff(_) => return,
    };
    app.overlay = Overlay::Confirm(Confirm {
        action,
        prompt,
        reason,
    });
}

/// Sends a confirmed retry.
pub fn retry(app: &mut App, saga_id: SagaId) -> Vec<Command> {
    app.inform(format!("retrying saga {saga_id}…"));
    vec![Command::RetrySaga(saga_id)]
}

/// Sends a confirmed resolve.
pub fn resolve(app: &mut App, saga_id: SagaId, reason: String) -> Vec<Command> {
    app.inform(format!("resolving saga {saga_id}…"));
    vec![Command::ResolveSaga { saga_id, reason }]
}

/// A backend answer or live event the sagas screen cares about.
pub fn on_backend(app: &mut App, event: &BackendEvent) -> Vec<Command> {
    let sagas = &mut app.sagas;
    match event {
        BackendEvent::Sagas(list) => {
            sagas.selected = sagas.selected.min(list.sagas.len().saturating_sub(1));
            sagas.list = Load::Ready(list.sagas.clone());
        }
        BackendEvent::Saga(record) | BackendEvent::SagaActionDone(record) => {
            if matches!(event, BackendEvent::SagaActionDone(_)) {
                app.inform(format!(
                    "saga {} is {}",
                    record.saga_id,
                    crate::console::format::saga_state(record.state)
                ));
            }
            let sagas = &mut app.sagas;
            let open = sagas.detail.data().map(|saga| &saga.saga_id) == Some(&record.saga_id)
                || matches!(sagas.detail, Load::Loading(None));
            if open && sagas.view == SagasView::Detail {
                let mut watch = SagaWatch {
                    saga_id: record.saga_id.clone(),
                    order_id: None,
                    state: record.state,
                    history: Vec::new(),
                    reason: None,
                };
                watch.apply_record(record);
                sagas.live = Some(watch);
                sagas.detail = Load::Ready(record.clone());
            }
            update_row(sagas, record.saga_id.clone(), record.state);
        }
        BackendEvent::SagaProgressed(progress) => {
            if let Some(watch) = &mut sagas.live
                && watch.saga_id == progress.saga_id
            {
                watch.apply_progress(progress.state, progress.last.as_ref());
            }
            update_row(sagas, progress.saga_id.clone(), progress.state);
        }
        _ => {}
    }
    Vec::new()
}

/// Moves a listed saga's state live.
fn update_row(sagas: &mut SagasState, saga_id: SagaId, state: SagaState) {
    if let Some(row) = sagas
        .list
        .data_mut()
        .and_then(|list| list.iter_mut().find(|saga| saga.saga_id == saga_id))
    {
        row.state = state;
    }
}

/// A request of the sagas screen failed.
pub fn failed(app: &mut App, operation: Operation, error: &UiError) {
    match operation {
        Operation::Sagas => app.sagas.list = Load::Failed(error.clone()),
        Operation::Saga if app.sagas.view == SagasView::Detail => {
            app.sagas.detail = Load::Failed(error.clone());
        }
        _ => {}
    }
}
