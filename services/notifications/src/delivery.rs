//! The delivery worker: delivers every pending (notification, channel) pair, retrying failures
//! with backoff until the attempt limit, after which the notification is `failed`.
//!
//! It works from the database alone, so a notification recorded just before a crash is
//! delivered by the next start. It wakes when the consumer records notifications, when the
//! next retry falls due, and on a slow poll (for rows another process recorded).
//!
//! Only one process per database delivers: the worker first takes an exclusive lock on a file
//! beside the database and keeps it while it runs. A second process on the same database
//! records and serves queries but waits for the lock, and the operating system frees it when
//! its holder dies, even by `kill -9`. So no two workers ever attempt the same delivery.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bikestore_contracts::backoff::Backoff;
use bikestore_runtime::{Shutdown, error_chain, now_ms};
use tracing::{debug, error, info, warn};

use crate::Notifications;
use crate::error::NotificationsError;
use crate::store::deliveries::{self, Due, Outcome};

/// How many deliveries one round reads, attempts and records together.
const BATCH: usize = 64;
/// How long one delivery attempt may take before it counts as failed.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a process without the delivery lock tries to take it.
const LOCK_POLL: Duration = Duration::from_millis(500);
/// How long to pause after a round failed (the database, most likely): from 100 ms, doubling up
/// to 5 s.
const ERROR_PAUSE: Backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));

/// Delivers until shutdown; see the module documentation.
pub async fn run(state: Arc<Notifications>, lock_path: PathBuf, mut shutdown: Shutdown) {
    let Some(_lock) = take_lock(lock_path, &mut shutdown).await else {
        return;
    };
    let mut failed_rounds: u32 = 0;
    loop {
        let pause = match deliver_due(&state, &shutdown).await {
            Ok(next_due_at) => {
                failed_rounds = 0;
                let poll = state.settings.delivery_poll;
                next_due_at.map_or(poll, |next_due_at| {
                    let wait = u64::try_from(next_due_at.saturating_sub(now_ms())).unwrap_or(0);
                    Duration::from_millis(wait).min(poll)
                })
            }
            Err(failure) => {
                warn!(error = %error_chain(&failure), "delivery round failed; will retry");
                failed_rounds = failed_rounds.saturating_add(1);
                ERROR_PAUSE.delay(failed_rounds)
            }
        };
        tokio::select! {
            _ = state.wake.notified() => {}
            _ = tokio::time::sleep(pause) => {}
            _ = shutdown.wait() => return,
        }
    }
}

/// Takes the delivery lock, waiting while another process holds it; `None` on shutdown or when
/// the lock file cannot be used at all.
async fn take_lock(lock_path: PathBuf, shutdown: &mut Shutdown) -> Option<File> {
    let mut announced = false;
    loop {
        let path = lock_path.clone();
        let attempt = tokio::task::spawn_blocking(move || {
            if let Some(folder) = path.parent() {
                std::fs::create_dir_all(folder)?;
            }
            let file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)?;
            match file.try_lock() {
                Ok(()) => Ok(Some(file)),
                Err(TryLockError::WouldBlock) => Ok(None),
                Err(TryLockError::Error(error)) => Err(error),
            }
        })
        .await;
        match attempt {
            Ok(Ok(Some(file))) => {
                info!("this process is the delivery worker");
                return Some(file);
            }
            Ok(Ok(None)) if !announced => {
                info!("another process holds the delivery lock; waiting for it");
                announced = true;
            }
            Ok(Ok(None)) => {}
            Ok(Err(error)) => {
                warn!(path = %lock_path.display(), error = %error, "cannot use the delivery lock file; retrying");
            }
            Err(_) => warn!("the delivery lock task stopped; retrying"),
        }
        tokio::select! {
            _ = tokio::time::sleep(LOCK_POLL) => {}
            _ = shutdown.wait() => return None,
        }
    }
}

/// Works through every due delivery, batch by batch; returns when the next one falls due.
async fn deliver_due(
    state: &Notifications,
    shutdown: &Shutdown,
) -> Result<Option<i64>, NotificationsError> {
    let channel_names = state.channels.names();
    loop {
        let names = channel_names.clone();
        let due = state
            .db
            .query_by_key(move |connection| deliveries::due(connection, now_ms(), &names, BATCH))
            .await?;
        if due.is_empty() || shutdown.is_triggered() {
            break;
        }
        let count = due.len();
        let outcomes = attempt(state, due).await;
        let failures = outcomes
            .iter()
            .filter(|outcome| outcome.error.is_some())
            .count();
        let policy = state.settings.retry_policy;
        state
            .db
            .transact(move |transaction| deliveries::record(transaction, &outcomes, policy))
            .await?;
        debug!(count, failures, "delivery round done");
        if count < BATCH {
            break;
        }
    }
    let names = channel_names.clone();
    state
        .db
        .query_by_key(move |connection| deliveries::next_due_at(connection, &names))
        .await
}

/// Attempts `due`: each channel delivers its share in one go (in order), the channels side
/// by side; a share that takes longer than [`ATTEMPT_TIMEOUT`] fails as a whole.
async fn attempt(state: &Notifications, due: Vec<Due>) -> Vec<Outcome> {
    let mut by_channel: BTreeMap<String, Vec<Due>> = BTreeMap::new();
    for delivery in due {
        by_channel
            .entry(delivery.channel.clone())
            .or_default()
            .push(delivery);
    }
    let rounds = by_channel
        .into_iter()
        .map(|(channel_name, share)| async move {
            let errors: Vec<Option<String>> = match state.channels.get(&channel_name) {
                Some(channel) => {
                    let notifications: Vec<_> = share
                        .iter()
                        .map(|delivery| delivery.notification.clone())
                        .collect();
                    match tokio::time::timeout(ATTEMPT_TIMEOUT, channel.deliver_all(&notifications))
                        .await
                    {
                        Ok(outcomes) => outcomes
                            .into_iter()
                            .map(|outcome| outcome.err().map(|failure| error_chain(&failure)))
                            .chain(std::iter::repeat_with(|| {
                                Some("the channel answered no outcome".to_owned())
                            }))
                            .take(share.len())
                            .collect(),
                        Err(_) => {
                            vec![Some(format!("no answer within {ATTEMPT_TIMEOUT:?}")); share.len()]
                        }
                    }
                }
                None => vec![Some("the channel is not configured".to_owned()); share.len()],
            };
            share
                .into_iter()
                .zip(errors)
                .map(|(delivery, error)| {
                    if let Some(error) = &error {
                        log_failure(state, &delivery, error);
                    }
                    Outcome {
                        due: delivery,
                        error,
                    }
                })
                .collect::<Vec<_>>()
        });
    futures::future::join_all(rounds)
        .await
        .into_iter()
        .flatten()
        .collect()
}

fn log_failure(state: &Notifications, delivery: &Due, error: &str) {
    let attempt = delivery.attempts.saturating_add(1);
    let notification_id = delivery.notification.notification_id;
    let channel = &delivery.channel;
    if state.settings.retry_policy.after_failure(attempt).is_some() {
        warn!(%notification_id, %channel, attempt, %error, "delivery failed; will retry");
    } else {
        error!(%notification_id, %channel, attempt, %error,
            "delivery failed for the last time; the notification is marked failed");
    }
}
