//! Identity's signing keys: the private halves as files, the public halves in the database.
//!
//! A private key lives in `<data>/identity/signing-keys/<kid>.key` (the folder mode 0700, the
//! file 0600, created exclusively), written before its public half is recorded, so a recorded
//! key always has its file. The current key signs; a rotation retires it with a `not_after`
//! of now plus the access-token lifetime, so every token it signed verifies until it expires,
//! and then the key and its file are removed. Loaded keys are cached by key ID; the current
//! key's ID is read from the database for each login, so replicas sharing the database follow
//! a rotation at once. File IO runs in `spawn_blocking`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bikestore_auth::KeyPair;
use bikestore_runtime::secret_files;
use tracing::Span;

use crate::error::IdentityError;

/// The folder under the service's data folder that holds private keys.
pub const KEY_FOLDER: &str = "signing-keys";

/// The private keys this process has loaded, by key ID.
pub struct KeyFiles {
    folder: PathBuf,
    cache: Mutex<HashMap<String, Arc<KeyPair>>>,
}

impl KeyFiles {
    /// Keys under `folder`.
    pub fn new(folder: PathBuf) -> KeyFiles {
        KeyFiles {
            folder,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// A new key, written to its file (not yet recorded in the database).
    pub async fn create(&self) -> Result<Arc<KeyPair>, IdentityError> {
        let pair = Arc::new(KeyPair::generate()?);
        let folder = self.folder.clone();
        let written = Arc::clone(&pair);
        blocking(move || write_key(&folder, &written)).await?;
        self.remember(&pair);
        Ok(pair)
    }

    /// The key with this ID, from the cache or its file.
    pub async fn load(&self, kid: &str) -> Result<Arc<KeyPair>, IdentityError> {
        if let Some(pair) = self.cached(kid) {
            return Ok(pair);
        }
        let path = key_path(&self.folder, kid)?;
        let pair = blocking(move || read_key(&path)).await?;
        if pair.key_id().as_str() != kid {
            return Err(IdentityError::KeyStore(format!(
                "the key file of {kid} holds another key"
            )));
        }
        let pair = Arc::new(pair);
        self.remember(&pair);
        Ok(pair)
    }

    /// Deletes the files of keys no longer recorded; a missing file is already gone.
    pub async fn remove(&self, kids: Vec<String>) -> Result<(), IdentityError> {
        if let Ok(mut cache) = self.cache.lock() {
            for kid in &kids {
                cache.remove(kid);
            }
        }
        let folder = self.folder.clone();
        blocking(move || {
            for kid in &kids {
                let path = key_path(&folder, kid)?;
                match std::fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                    Err(error) => return Err(io_error("remove", &path, &error)),
                }
            }
            Ok(())
        })
        .await
    }

    fn cached(&self, kid: &str) -> Option<Arc<KeyPair>> {
        self.cache.lock().ok()?.get(kid).cloned()
    }

    fn remember(&self, pair: &Arc<KeyPair>) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(pair.key_id().0, Arc::clone(pair));
        }
    }
}

pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, IdentityError> + Send + 'static,
) -> Result<T, IdentityError> {
    let span = Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(work))
        .await
        .map_err(|error| IdentityError::KeyStore(format!("key file task failed: {error}")))?
}

fn io_error(action: &str, path: &Path, error: &std::io::Error) -> IdentityError {
    IdentityError::KeyStore(format!("{action} {}: {error}", path.display()))
}

/// The file of `kid`; a key ID is `ed25519-` and base64url, so it is a plain file name.
fn key_path(folder: &Path, kid: &str) -> Result<PathBuf, IdentityError> {
    let plain = !kid.is_empty()
        && kid.len() <= 64
        && kid
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || matches!(character, '-' | '_'));
    if !plain {
        return Err(IdentityError::KeyStore(format!(
            "refusing key ID {kid:?} as a file name"
        )));
    }
    Ok(folder.join(format!("{kid}.key")))
}

fn write_key(folder: &Path, pair: &KeyPair) -> Result<(), IdentityError> {
    let path = key_path(folder, pair.key_id().as_str())?;
    write_secret(&path, &pair.to_secret_text())
}

/// Writes `secret` to a new private file at `path`; a file already there is an error.
pub(crate) fn write_secret(path: &Path, secret: &str) -> Result<(), IdentityError> {
    match secret_files::create(path, secret) {
        Ok(true) => Ok(()),
        Ok(false) => Err(IdentityError::KeyStore(format!(
            "{} exists already",
            path.display()
        ))),
        Err(error) => Err(io_error("create", path, &error)),
    }
}

/// Reads a secret written by [`write_secret`].
pub(crate) fn read_secret(path: &Path) -> Result<String, IdentityError> {
    secret_files::read(path).map_err(|error| io_error("read", path, &error))
}

fn read_key(path: &Path) -> Result<KeyPair, IdentityError> {
    let text = read_secret(path)?;
    KeyPair::from_secret_text(&text).map_err(|_| {
        IdentityError::KeyStore(format!("{} does not hold a signing key", path.display()))
    })
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[tokio::test]
    async fn a_created_key_is_private_and_loads_back() {
        let folder = tempfile::tempdir().expect("temp dir");
        let files = KeyFiles::new(folder.path().join(KEY_FOLDER));
        let pair = files.create().await.expect("creates");
        let kid = pair.key_id().0;
        let path = folder.path().join(KEY_FOLDER).join(format!("{kid}.key"));
        let mode = std::fs::metadata(&path)
            .expect("exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let fresh = KeyFiles::new(folder.path().join(KEY_FOLDER));
        let loaded = fresh.load(&kid).await.expect("loads");
        assert_eq!(loaded.public_key(), pair.public_key());
        fresh.remove(vec![kid.clone()]).await.expect("removes");
        assert!(!path.exists());
        assert!(fresh.load("../etc/passwd").await.is_err());
    }
}
