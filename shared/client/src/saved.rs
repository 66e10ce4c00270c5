//! The session file the CLI keeps between runs. It holds secrets (the tokens and the session's
//! private key), so it is created readable and writable by its owner only (mode 0600 on unix).

use std::io::Write;
use std::path::Path;

use bikestore_codec::ContentType;
use bikestore_contracts::identity::SavedSession;

use crate::{Client, ClientError, Session};

/// The largest session file read.
const MAX_SAVED_BYTES: usize = 64 * 1024;

impl Session {
    /// Writes the session to `path` as JSON, creating or replacing the file with mode 0600 on
    /// unix. The file holds secrets: the tokens and the session's private key.
    pub async fn save_to(&self, path: &Path) -> Result<(), ClientError> {
        let saved = self.to_saved().await;
        let body = bikestore_codec::encode(ContentType::Json, &saved)?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path)?;
        #[cfg(unix)]
        {
            // An existing file keeps its mode on open: tighten it before writing a secret.
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        file.write_all(&body)?;
        file.sync_all()?;
        Ok(())
    }

    /// Reads a session [`save_to`](Session::save_to) wrote, calling through `client`.
    pub fn load_from(client: Client, path: &Path) -> Result<Session, ClientError> {
        let body = std::fs::read(path)?;
        let saved = bikestore_codec::decode::<SavedSession>(
            ContentType::Json,
            None,
            &body,
            MAX_SAVED_BYTES,
        )?;
        Session::from_saved(client, saved)
    }
}
