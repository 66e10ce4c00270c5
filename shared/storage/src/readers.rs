//! A small pool of read-only connections, used from `spawn_blocking`, or on the caller's own
//! thread for a read by key, which takes less time than the two thread switches the blocking
//! pool costs.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use tokio::sync::Semaphore;

use crate::database::{DatabaseOptions, open_read_only};
use crate::error::StorageError;

pub(crate) struct ReaderPool {
    idle: Arc<Mutex<Vec<Connection>>>,
    permits: Arc<Semaphore>,
}

impl ReaderPool {
    pub(crate) fn open(path: &Path, options: &DatabaseOptions) -> Result<ReaderPool, StorageError> {
        let count = options.readers.max(1);
        let connections = (0..count)
            .map(|_| open_read_only(path, options))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ReaderPool {
            idle: Arc::new(Mutex::new(connections)),
            permits: Arc::new(Semaphore::new(count)),
        })
    }

    pub(crate) async fn run<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StorageError> + Send + 'static,
    {
        // The semaphore guarantees a connection is idle for every permit holder.
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| E::from(StorageError::ReadCancelled))?;
        let idle = Arc::clone(&self.idle);
        let task = tokio::task::spawn_blocking(move || {
            let connection = idle
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .pop();
            let Some(connection) = connection else {
                return Err(E::from(StorageError::ReadCancelled));
            };
            let result = work(&connection);
            idle.lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(connection);
            drop(permit);
            result
        });
        task.await
            .unwrap_or_else(|_| Err(E::from(StorageError::ReadCancelled)))
    }

    pub(crate) async fn run_here<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E>,
        E: From<StorageError>,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| E::from(StorageError::ReadCancelled))?;
        let connection = self
            .idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop();
        let Some(connection) = connection else {
            return Err(E::from(StorageError::ReadCancelled));
        };
        // Back in the pool even if `work` panics, so a panic cannot shrink the pool.
        let returned = ReturnOnDrop {
            idle: &self.idle,
            connection: Some(connection),
        };
        returned
            .connection
            .as_ref()
            .map_or_else(|| Err(E::from(StorageError::ReadCancelled)), work)
    }
}

/// Puts a borrowed connection back into the idle list when dropped.
struct ReturnOnDrop<'a> {
    idle: &'a Mutex<Vec<Connection>>,
    connection: Option<Connection>,
}

impl Drop for ReturnOnDrop<'_> {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            self.idle
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(connection);
        }
    }
}
