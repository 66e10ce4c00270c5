//! The worker's live feeds: the subscriptions under the live tree of the member's store
//! (`<prefix>.live.<store>.>`, every store's for admins), which is all NATS lets a console read:
//! stock changes and low stock (republished by the inventory stream), the store's
//! notifications, and saga progress, decoded from the services' JSON into backend events; and
//! the watch of one saga until it ends.

use bikestore_contracts::inventory::{StockChanged, StockLow};
use bikestore_contracts::notifications::Notification;
use bikestore_contracts::sagas::{GetSaga, SagaProgressed};
use bikestore_contracts::{ErrorCode, StoreId, Subjects};
use futures::StreamExt;
use serde::de::DeserializeOwned;

use super::{Shared, Worker};
use crate::console::event::{BackendEvent, Operation, UiError};

impl Worker {
    /// Replaces the live feeds with those of `store_id` (all stores when `None`), and every
    /// saga's progress of `member_store` (every store's for an admin) when `all_sagas`.
    pub(super) fn subscribe(
        &mut self,
        store_id: Option<StoreId>,
        member_store: Option<StoreId>,
        all_sagas: bool,
    ) {
        self.live.abort_all();
        self.following_all_sagas = all_sagas;
        self.sagas_store = member_store;
        let shared = &self.shared;
        let Ok(client) = shared.client() else {
            return;
        };
        let subjects: &Subjects = client.subjects();
        self.live.spawn(follow(
            shared.clone(),
            subjects.live_event_of::<StockChanged>(store_id),
            |changed: StockChanged| Some(BackendEvent::StockChanged(changed.level)),
        ));
        self.live.spawn(follow(
            shared.clone(),
            subjects.live_event_of::<StockLow>(store_id),
            |low: StockLow| Some(BackendEvent::StockLow(low)),
        ));
        let notifications = match store_id {
            Some(store_id) => subjects.live_store_notifications(store_id),
            None => subjects.live_notifications(),
        };
        self.live.spawn(follow(
            shared.clone(),
            notifications,
            |notification: Notification| Some(BackendEvent::Notification(notification)),
        ));
        if all_sagas {
            self.live.spawn(follow(
                shared.clone(),
                subjects.live_every_saga_progress(member_store),
                |progress: SagaProgressed| Some(BackendEvent::SagaProgressed(progress)),
            ));
        }
    }
}

/// Decodes a live event: the services publish them as JSON (`Content-Type` says so).
fn decode_event<T: DeserializeOwned>(payload: &[u8]) -> Option<T> {
    serde_json::from_slice(payload).ok()
}

/// Forwards every message on `subject` that decodes and that `map` keeps.
async fn follow<T, F>(shared: Shared, subject: String, map: F)
where
    T: DeserializeOwned,
    F: Fn(T) -> Option<BackendEvent> + Send + 'static,
{
    let Ok(client) = shared.client() else {
        return;
    };
    let mut subscriber = match client.nats().subscribe(subject.clone()).await {
        Ok(subscriber) => subscriber,
        Err(error) => {
            shared
                .send(BackendEvent::Warning(UiError::new(
                    ErrorCode::Unavailable,
                    format!("live updates from {subject} are off: {error}"),
                )))
                .await;
            return;
        }
    };
    while let Some(message) = subscriber.next().await {
        if let Some(event) = decode_event::<T>(&message.payload).and_then(&map) {
            shared.send(event).await;
        }
    }
}

/// Reads one saga and, unless every saga is followed already, follows its progress until it
/// ends, on the live subjects of `sagas_store` (every store's when `None`, for admins): a
/// member's console must name its own store, as NATS refuses it a subscription with a wildcard
/// in the store's place. The subscription comes first, so no step between the read and it is
/// missed.
pub(super) async fn watch_saga(
    shared: Shared,
    saga_id: bikestore_contracts::sagas::SagaId,
    follow: bool,
    sagas_store: Option<StoreId>,
) {
    let subscriber = match shared.client() {
        Ok(client) if follow => {
            let subject = match sagas_store {
                Some(store) => client.subjects().live_saga_progress(store, &saga_id.0),
                None => client.subjects().live_saga_progress_any_store(&saga_id.0),
            };
            client.nats().subscribe(subject).await.ok()
        }
        _ => None,
    };
    let record = match shared.session() {
        Ok(session) => session
            .call(&GetSaga {
                saga_id: saga_id.clone(),
            })
            .await
            .map_err(UiError::from),
        Err(error) => Err(error),
    };
    let ended = matches!(&record, Ok(record) if record.state.is_terminal());
    shared
        .answer(Operation::Saga, record.map(BackendEvent::Saga))
        .await;
    let Some(mut subscriber) = subscriber else {
        return;
    };
    if ended {
        return;
    }
    while let Some(message) = subscriber.next().await {
        if let Some(progress) = decode_event::<SagaProgressed>(&message.payload) {
            let terminal = progress.state.is_terminal();
            shared.send(BackendEvent::SagaProgressed(progress)).await;
            if terminal {
                return;
            }
        }
    }
}
