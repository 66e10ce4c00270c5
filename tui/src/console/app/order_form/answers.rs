//! The backend's answers to the new-order form: search results, the customer it added, the
//! store's stock (read once, then live), and the placed order's saga as it runs.

use bikestore_contracts::OrderId;
use bikestore_contracts::orders::Customer;
use bikestore_contracts::sagas::{HistoryEntry, SagaId, SagaRecord, SagaState};

use super::{FormPane, Submission};
use crate::console::app::App;
use crate::console::app::load::Load;
use crate::console::event::{BackendEvent, Command, Operation, UiError};

/// A placed order's saga as it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct SagaWatch {
    /// The saga.
    pub saga_id: SagaId,
    /// The order it created, once known.
    pub order_id: Option<OrderId>,
    /// Where it stands.
    pub state: SagaState,
    /// What happened, oldest first: the record's history, then live entries.
    pub history: Vec<HistoryEntry>,
    /// Why it failed, if it did: the saga's failure reason, else its last error.
    pub reason: Option<String>,
}

impl SagaWatch {
    /// Takes in a record read from the orchestrator; it is the truth, so its history comes
    /// first, and live entries already in it are not repeated. A running saga's record may be
    /// behind the live events (the orchestrator writes it when the saga's course changes, not
    /// at every step): the live entries it lacks stay after its own, and so does the live
    /// state. A record that has ended, or is stuck, holds everything.
    pub fn apply_record(&mut self, record: &SagaRecord) {
        let settled = record.state.is_terminal() || record.state == SagaState::Stuck;
        let ahead: Vec<HistoryEntry> = self
            .history
            .iter()
            .filter(|entry| !settled && !record.history.contains(entry))
            .cloned()
            .collect();
        if ahead.is_empty() {
            self.state = record.state;
        }
        self.history = record.history.clone();
        self.history.extend(ahead);
        if let bikestore_contracts::sagas::SagaPayload::PlaceOrder(place) = &record.payload {
            self.order_id = place.order_id.or(self.order_id);
            if let Some(reason) = &place.failure_reason {
                self.reason = Some(reason.clone());
            }
        }
        if self.reason.is_none() {
            self.reason = record.error.as_ref().map(|error| error.message.clone());
        }
    }

    /// Takes in a live progress event.
    pub fn apply_progress(&mut self, state: SagaState, last: Option<&HistoryEntry>) {
        self.state = state;
        if let Some(entry) = last
            && !self.history.contains(entry)
        {
            if let Some(error) = &entry.error
                && self.reason.is_none()
                && entry.outcome == bikestore_contracts::sagas::Outcome::Failed
            {
                self.reason = Some(error.message.clone());
            }
            self.history.push(entry.clone());
        }
    }
}
/// A backend answer or live event the form cares about.
pub fn on_backend(app: &mut App, event: &BackendEvent) -> Vec<Command> {
    let form = &mut app.orders.form;
    match event {
        BackendEvent::Customers { ticket, page } if *ticket == form.customers.ticket => {
            form.customers.results = Load::Ready(page.clone());
        }
        BackendEvent::CustomerSaved(saved) => {
            if let Some(fields) = form.adding_customer.take() {
                form.customer = Some(Customer {
                    customer_id: saved.customer_id,
                    fields,
                });
                form.pane = FormPane::Products;
            }
        }
        BackendEvent::Products { ticket, page } if *ticket == form.products.ticket => {
            form.products.results = Load::Ready(page.clone());
        }
        BackendEvent::StoreStock { store_id, levels } if Some(*store_id) == form.store_id => {
            form.stock = levels
                .iter()
                .map(|level| (level.product_id, level.clone()))
                .collect();
            form.stock_loaded = true;
        }
        BackendEvent::StockChanged(level) if Some(level.store_id) == form.store_id => {
            form.stock.insert(level.product_id, level.clone());
        }
        BackendEvent::OrderPlaced(started) => {
            form.submission = Submission::Watching(SagaWatch {
                saga_id: started.saga_id.clone(),
                order_id: started.order_id,
                state: started.state,
                history: Vec::new(),
                reason: started.error.as_ref().map(|error| error.message.clone()),
            });
            app.inform(format!("order saga {} started", started.saga_id));
            return vec![Command::WatchSaga(started.saga_id.clone())];
        }
        BackendEvent::Saga(record) => {
            if let Submission::Watching(watch) = &mut form.submission
                && watch.saga_id == record.saga_id
            {
                watch.apply_record(record);
            }
        }
        BackendEvent::SagaProgressed(progress) => {
            if let Submission::Watching(watch) = &mut form.submission
                && watch.saga_id == progress.saga_id
            {
                watch.apply_progress(progress.state, progress.last.as_ref());
            }
        }
        _ => {}
    }
    Vec::new()
}

/// A request of the form failed.
pub fn failed(app: &mut App, operation: Operation, error: &UiError) {
    let form = &mut app.orders.form;
    match operation {
        Operation::Customers => form.customers.results = Load::Failed(error.clone()),
        Operation::CustomerChange => form.adding_customer = None,
        Operation::Products => form.products.results = Load::Failed(error.clone()),
        Operation::PlaceOrder => form.submission = Submission::Editing,
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::demo;

    fn watching(record: &SagaRecord) -> SagaWatch {
        SagaWatch {
            saga_id: record.saga_id.clone(),
            order_id: None,
            state: SagaState::Running,
            history: Vec::new(),
            reason: None,
        }
    }

    #[test]
    fn a_record_behind_the_live_events_keeps_what_they_told_and_an_ended_one_replaces_it() {
        let mut record = demo::saga("s", SagaState::Running);
        let done = record.history.split_off(1);
        let mut watch = watching(&record);
        for entry in record.history.iter().chain(&done) {
            watch.apply_progress(SagaState::Running, Some(entry));
        }
        let live = watch.history.clone();

        // Read while running, written before the steps the live events told.
        watch.apply_record(&record);
        assert_eq!(watch.history, live, "nothing told live is lost or repeated");
        assert_eq!(watch.state, SagaState::Running);

        let mut ended = demo::saga("s", SagaState::Failed);
        ended.history.truncate(2);
        watch.apply_record(&ended);
        assert_eq!(
            watch.history, ended.history,
            "an ended record is the whole story"
        );
        assert_eq!(watch.state, SagaState::Failed);
    }
}
