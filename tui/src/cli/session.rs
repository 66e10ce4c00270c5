//! The session between runs: where its file lives, opening it for a command, and writing it
//! back when a call refreshed the tokens.
//!
//! Refresh tokens are single use: a command whose call refreshed the access token must save
//! the new tokens, or the next run would present a spent refresh token and identity would
//! revoke the whole session. [`OpenSession::keep`] does that after every command.

use std::path::{Path, PathBuf};

use bikestore_client::{Client, ClientError, Session};
use bikestore_contracts::identity::SavedSession;

use crate::cli::exit::CliError;

/// The session file's name inside the config folder.
const SESSION_FILE_NAME: &str = "session.json";
/// The config folder's name for bikestore.
const CONFIG_FOLDER_NAME: &str = "bikestore";

/// The default session file: `$XDG_CONFIG_HOME/bikestore/session.json`, else
/// `$HOME/.config/bikestore/session.json`. `xdg_config_home` and `home` are those variables.
pub fn default_session_file(
    xdg_config_home: Option<PathBuf>,
    home: Option<PathBuf>,
) -> Result<PathBuf, CliError> {
    // The XDG base-directory rules ignore a relative XDG_CONFIG_HOME.
    let config = xdg_config_home
        .filter(|path| path.is_absolute())
        .or_else(|| {
            home.filter(|path| path.is_absolute())
                .map(|home| home.join(".config"))
        })
        .ok_or(CliError::NoSessionPlace)?;
    Ok(config.join(CONFIG_FOLDER_NAME).join(SESSION_FILE_NAME))
}

/// A session read from its file, with what the file said, to notice a refresh.
pub struct OpenSession {
    /// The session to call with.
    pub session: Session,
    path: PathBuf,
    saved_at_open: SavedSession,
}

impl OpenSession {
    /// Reads the session at `path`, calling through `client`.
    pub async fn open(client: Client, path: &Path) -> Result<OpenSession, CliError> {
        if !path.exists() {
            return Err(CliError::NotLoggedIn {
                path: path.to_owned(),
            });
        }
        let session =
            Session::load_from(client, path).map_err(|source| CliError::BrokenSession {
                path: path.to_owned(),
                source,
            })?;
        let saved_at_open = session.to_saved().await;
        Ok(OpenSession {
            session,
            path: path.to_owned(),
            saved_at_open,
        })
    }

    /// Writes the session back if a call refreshed its tokens.
    pub async fn keep(&self) -> Result<(), CliError> {
        if self.session.to_saved().await != self.saved_at_open {
            save(&self.session, &self.path).await?;
        }
        Ok(())
    }
}

/// Writes `session` to `path` (mode 0600). Hold the session's lock: taking it made the folder.
pub async fn save(session: &Session, path: &Path) -> Result<(), CliError> {
    session
        .save_to(path)
        .await
        .map_err(|source| CliError::SavingSession {
            path: path.to_owned(),
            source,
        })
}

/// Reads the saved session at `path` without connecting anywhere, for `whoami`.
pub fn read_saved(path: &Path) -> Result<SavedSession, CliError> {
    let body = match std::fs::read(path) {
        Ok(body) => body,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(CliError::NotLoggedIn {
                path: path.to_owned(),
            });
        }
        Err(error) => {
            return Err(CliError::BrokenSession {
                path: path.to_owned(),
                source: ClientError::Io(error),
            });
        }
    };
    serde_json::from_slice(&body).map_err(|error| CliError::BrokenSession {
        path: path.to_owned(),
        source: ClientError::Io(std::io::Error::new(std::io::ErrorKind::InvalidData, error)),
    })
}

/// The lock on a session file, held while one command uses the session: two runs (or a run and
/// a console) sharing a session would otherwise both spend its single-use refresh token, and
/// identity would end the session. It is released when dropped (or when the process ends).
pub type SessionLock = bikestore_client::SessionFileLock;

/// Waits for and takes the lock on the session at `path` (the file `<path>.lock`, mode 0600),
/// creating the session's folder (mode 0700) first if needed.
pub fn lock(path: &Path) -> Result<SessionLock, CliError> {
    bikestore_client::lock_session_file(path).map_err(|source| CliError::SavingSession {
        path: path.to_owned(),
        source,
    })
}

/// Removes the session file; a missing file is fine.
pub fn remove(path: &Path) -> Result<(), CliError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(CliError::Io(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_lives_in_the_users_config_folder() {
        let from_xdg = default_session_file(Some("/x/config".into()), Some("/home/ana".into()));
        assert_eq!(
            from_xdg.ok(),
            Some(PathBuf::from("/x/config/bikestore/session.json"))
        );
        let from_home = default_session_file(Some("relative".into()), Some("/home/ana".into()));
        assert_eq!(
            from_home.ok(),
            Some(PathBuf::from("/home/ana/.config/bikestore/session.json"))
        );
        assert!(matches!(
            default_session_file(None, None),
            Err(CliError::NoSessionPlace)
        ));
    }

    #[test]
    fn one_run_at_a_time_holds_a_session() {
        let folder = tempfile::tempdir().expect("a temp folder");
        let session_file = folder.path().join("new").join("session.json");
        let held = lock(&session_file).expect("locks");
        let lock_file = folder.path().join("new").join("session.json.lock");
        let second = std::fs::File::options()
            .write(true)
            .open(&lock_file)
            .expect("the lock file exists");
        assert!(second.try_lock().is_err(), "a second run waits");
        drop(held);
        assert!(
            second.try_lock().is_ok(),
            "and goes on once the first is done"
        );
    }

    #[test]
    fn a_missing_session_file_means_not_logged_in() {
        let folder = tempfile::tempdir().expect("a temp folder");
        let missing = folder.path().join("session.json");
        assert!(matches!(
            read_saved(&missing),
            Err(CliError::NotLoggedIn { .. })
        ));
        std::fs::write(&missing, b"{not json").expect("write");
        assert!(matches!(
            read_saved(&missing),
            Err(CliError::BrokenSession { .. })
        ));
        remove(&missing).expect("removes");
        remove(&missing).expect("a second remove is fine");
    }
}
