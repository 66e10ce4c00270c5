//! What a saga's driver says about it beside its record: the progress event for live views,
//! and the span each step attempt runs in.

use async_nats::HeaderMap;
use bikestore_codec::ContentType;
use bikestore_contracts::sagas::{SagaProgressed, SagaRecord};
use bikestore_runtime::header_name;
use tracing::{Span, warn};

use super::definition::Definition;
use super::{Engine, record};

impl Engine {
    /// Publishes the record's progress for live views, on its store's live subject. It is
    /// fire-and-forget on purpose: the record in KV is the truth, and a saga never waits for a
    /// view.
    pub(super) async fn publish_progress(&self, definition: &Definition, saga: &SagaRecord) {
        let step = record::current_index(saga)
            .and_then(|index| definition.steps.get(index))
            .map(|step| step.name)
            .unwrap_or("end");
        let event = SagaProgressed {
            saga_id: saga.saga_id.clone(),
            definition: saga.definition.clone(),
            state: saga.state,
            step: step.to_owned(),
            last: saga.history.last().cloned(),
        };
        let Ok(body) = bikestore_codec::encode(ContentType::Json, &event) else {
            return;
        };
        let mut event_headers = HeaderMap::new();
        event_headers.insert(header_name::CONTENT_TYPE, ContentType::Json.header_value());
        // A saga's consoles are its store's; one whose store is not known yet (see
        // `SagaPayload::store_id`) still reaches a waiting intake and admins.
        let subject = match saga.payload.store_id() {
            Some(store) => self.subjects.live_saga_progress(store, &saga.saga_id.0),
            None => self.subjects.live_saga_progress_unassigned(&saga.saga_id.0),
        };
        if let Err(error) = self
            .caller
            .client()
            .publish_with_headers(subject, event_headers, body.into())
            .await
        {
            warn!(saga_id = %saga.saga_id, error = %error, "could not publish saga progress");
        }
    }
}

/// The span one step attempt runs in, with what it sends: a child of the request that started
/// the saga, whichever driver runs the step and however long after.
pub(super) fn step_span(saga: &SagaRecord) -> Span {
    let span = tracing::info_span!(
        "saga_step",
        saga_id = %saga.saga_id,
        definition = %saga.definition,
        step = saga.step,
        state = ?saga.state,
    );
    bikestore_runtime::trace::continue_trace(&span, saga.traceparent.as_deref());
    span
}
