//! The session file the CLI and the console share. It holds secrets (the tokens and the
//! session's private key), so it is created readable and writable by its owner only (mode 0600
//! on unix).
//!
//! Its lock file (`<path>.lock`) makes the processes sharing it take turns: a refresh token
//! works once, and two processes spending the same one would make identity end the session.
//! Whoever writes the file holds the lock.

use std::io::Write;
use std::path::{Path, PathBuf};

use bikestore_codec::ContentType;
use bikestore_contracts::identity::SavedSession;

use crate::{Client, ClientError, Session};

/// The largest session file read.
const MAX_SAVED_BYTES: usize = 64 * 1024;

impl Session {
    /// Writes the session to `path` as JSON, creating or replacing the file with mode 0600 on
    /// unix. The file holds secrets: the tokens and the session's private key.
    pub async fn save_to(&self, path: &Path) -> Result<(), ClientError> {
        write_saved(path, &self.to_saved().await)
    }

    /// [`save_to`](Session::save_to) under the file's lock, for a process that shares the file
    /// and does not hold the lock already.
    pub async fn save_locked(&self, path: &Path) -> Result<(), ClientError> {
        let _lock = lock_session_file_async(path).await?;
        self.save_to(path).await
    }

    /// Reads a session [`save_to`](Session::save_to) wrote, calling through `client`.
    pub fn load_from(client: Client, path: &Path) -> Result<Session, ClientError> {
        Session::from_saved(client, read_saved(path)?)
    }
}

/// Writes `saved` to `path` as JSON with mode 0600 on unix. The new file replaces the old one
/// whole (written beside it, then renamed), so a crash or a reader never sees half a session.
pub(crate) fn write_saved(path: &Path, saved: &SavedSession) -> Result<(), ClientError> {
    let body = bikestore_codec::encode(ContentType::Json, saved)?;
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&partial)?;
    #[cfg(unix)]
    {
        // A file left by an earlier crash keeps its mode on open: tighten it before writing.
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(&body)?;
    file.sync_all()?;
    std::fs::rename(&partial, path)?;
    Ok(())
}

/// The session saved at `path`.
pub fn read_saved(path: &Path) -> Result<SavedSession, ClientError> {
    let body = std::fs::read(path)?;
    Ok(bikestore_codec::decode::<SavedSession>(
        ContentType::Json,
        None,
        &body,
        MAX_SAVED_BYTES,
    )?)
}

/// The lock on a session file, released when dropped (or when the process ends).
#[derive(Debug)]
pub struct SessionFileLock {
    _file: std::fs::File,
}

/// Waits for and takes the lock on the session file at `path` (the file `<path>.lock`, mode
/// 0600), creating the session's folder (mode 0700) first if needed. It blocks: call it off the
/// async runtime's threads.
///
/// The lock belongs to the open file, not the process: a process must not take it twice.
pub fn lock_session_file(path: &Path) -> Result<SessionFileLock, ClientError> {
    if let Some(folder) = path
        .parent()
        .filter(|folder| !folder.as_os_str().is_empty())
    {
        create_private_folder(folder)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(lock_path(path))?;
    file.lock()?;
    Ok(SessionFileLock { _file: file })
}

/// [`lock_session_file`] from async code.
pub(crate) async fn lock_session_file_async(path: &Path) -> Result<SessionFileLock, ClientError> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || lock_session_file(&path))
        .await
        .map_err(|error| ClientError::Io(std::io::Error::other(error)))?
}

fn create_private_folder(folder: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        // The folder holds a secret; only a newly made folder gets this mode, an existing one
        // is the user's choice.
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(folder)
}

fn lock_path(path: &Path) -> PathBuf {
    let mut lock_path = path.as_os_str().to_owned();
    lock_path.push(".lock");
    PathBuf::from(lock_path)
}
