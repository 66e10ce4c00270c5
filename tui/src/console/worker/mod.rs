//! The worker: runs the state's [`Command`]s on tokio tasks and answers with events over the
//! loop's channel, so the screen never waits on the network.
//!
//! It owns the NATS connection (reconnecting for ever, its state reported as
//! [`BackendEvent::Connected`]/[`BackendEvent::Disconnected`]) and the logged-in
//! [`Session`]. Every call goes through the client library's signed session; live feeds are NATS
//! subscriptions to the live subjects `contracts` names, decoded as the JSON the services
//! publish. Every task is owned by a `JoinSet` and aborted when the console closes.
//!
//! The connection is in [`connection`], the live feeds in [`feeds`], and request-and-reply calls
//! (login and logout among them) in [`calls`].

mod calls;
mod connection;
mod feeds;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use bikestore_client::{Client, Session};
use bikestore_contracts::ErrorCode;
use tokio::sync::mpsc::Sender;
use tokio::task::JoinSet;

use super::Options;
use super::event::{BackendEvent, Command, Event, Operation, UiError};

/// What every task shares: the connection and the session, once there.
#[derive(Clone)]
struct Shared {
    client: Arc<OnceLock<Client>>,
    session: Arc<Mutex<Option<Session>>>,
    session_file: PathBuf,
    events: Sender<Event>,
}

impl Shared {
    fn client(&self) -> Result<Client, UiError> {
        self.client.get().cloned().ok_or_else(|| {
            UiError::new(
                ErrorCode::Unavailable,
                "not connected to NATS yet; retrying",
            )
        })
    }

    fn session(&self) -> Result<Session, UiError> {
        let session = self
            .session
            .lock()
            .map_err(|_| UiError::new(ErrorCode::Internal, "the session lock was poisoned"))?
            .clone();
        session.ok_or_else(|| UiError::new(ErrorCode::Unauthorized, "not logged in"))
    }

    fn set_session(&self, session: Option<Session>) {
        if let Ok(mut slot) = self.session.lock() {
            *slot = session;
        }
    }

    async fn send(&self, event: BackendEvent) {
        // The loop is gone only when the console is closing; nothing is left to tell.
        let _ = self.events.send(Event::Backend(event)).await;
    }

    async fn answer(&self, operation: Operation, result: Result<BackendEvent, UiError>) {
        match result {
            Ok(event) => self.send(event).await,
            Err(error) => self.send(BackendEvent::Failed { operation, error }).await,
        }
    }
}

/// Runs commands in the background.
pub struct Worker {
    shared: Shared,
    tasks: JoinSet<()>,
    live: JoinSet<()>,
    following_all_sagas: bool,
    /// The store whose sagas the console may follow, `None` for every store (admins).
    sagas_store: Option<bikestore_contracts::StoreId>,
}

impl Worker {
    /// Starts connecting (retrying until it works) and then looks for a saved session. Must be
    /// called inside the console's runtime.
    pub fn start(options: &Options, events: Sender<Event>) -> Worker {
        let shared = Shared {
            client: Arc::new(OnceLock::new()),
            session: Arc::new(Mutex::new(None)),
            session_file: options.session_file.clone(),
            events,
        };
        let mut worker = Worker {
            shared: shared.clone(),
            tasks: JoinSet::new(),
            live: JoinSet::new(),
            following_all_sagas: false,
            sagas_store: None,
        };
        worker
            .tasks
            .spawn(connection::connect(shared, options.clone()));
        worker
    }

    /// Writes the session to its file if its tokens are newer than the file's: at exit, a call
    /// cut short may have refreshed them without saving.
    pub async fn save_session(&self) {
        if let Ok(session) = self.shared.session()
            && let Err(error) = session.save_if_newer().await
        {
            let warning = UiError::new(
                error.code(),
                format!("the refreshed session was not saved: {error}"),
            );
            self.shared.send(BackendEvent::Warning(warning)).await;
        }
    }

    /// Stops every task: the console is closing.
    pub fn shutdown(&mut self) {
        self.tasks.abort_all();
        self.live.abort_all();
    }

    /// Runs one command on its own task.
    pub fn execute(&mut self, command: Command) {
        // Finished tasks are collected here, so the set only holds running ones.
        while self.tasks.try_join_next().is_some() {}
        let shared = self.shared.clone();
        match command {
            Command::Subscribe {
                store_id,
                member_store,
                all_sagas,
            } => self.subscribe(store_id, member_store, all_sagas),
            Command::WatchSaga(saga_id) => {
                let follow = !self.following_all_sagas;
                let sagas_store = self.sagas_store;
                self.tasks
                    .spawn(feeds::watch_saga(shared, saga_id, follow, sagas_store));
            }
            Command::Login { username, password } => {
                self.tasks.spawn(calls::login(shared, username, password));
            }
            Command::Logout => {
                self.live.abort_all();
                self.tasks.spawn(calls::logout(shared));
            }
            other => {
                self.tasks
                    .spawn(async move { calls::call(&shared, other).await });
            }
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.shutdown();
    }
}
