//! The callout issuer: the account nkey that signs every user JWT the callout answers with.
//!
//! nats-server must know its public key when it starts (`auth_callout { issuer: ... }`), before
//! identity runs, so the key is made ahead: `bikestore-identity callout-issuer` creates it on
//! first use and prints the public key, which `just up` hands the server. It lives beside the
//! signing keys, in `<data>/identity/callout-issuer.nk` (mode 0600) unless configured
//! elsewhere, as an nkey seed (`SA...`).

use std::path::{Path, PathBuf};

use bikestore_contracts::ServiceName;

use crate::error::IdentityError;
use crate::keys::{blocking, read_secret, write_secret};

/// The issuer key's file name under identity's data folder.
pub const ISSUER_KEY_FILE: &str = "callout-issuer.nk";

/// Where the issuer key lives by default under the data folder `data_dir`.
pub fn default_path(data_dir: &Path) -> PathBuf {
    data_dir
        .join(ServiceName::Identity.as_str())
        .join(ISSUER_KEY_FILE)
}

/// The issuer key at `path`, created first when there is none.
pub async fn load_or_create(path: PathBuf) -> Result<nkeys::KeyPair, IdentityError> {
    blocking(move || {
        if !path.exists() {
            let pair = nkeys::KeyPair::new_account();
            let seed = pair.seed().map_err(|error| {
                IdentityError::KeyStore(format!("could not encode the issuer key: {error}"))
            })?;
            match write_secret(&path, &seed) {
                Ok(()) => return Ok(pair),
                // Another process made it meanwhile: use theirs.
                Err(_) if path.exists() => {}
                Err(error) => return Err(error),
            }
        }
        read(&path)
    })
    .await
}

fn read(path: &Path) -> Result<nkeys::KeyPair, IdentityError> {
    let text = read_secret(path)?;
    let pair = nkeys::KeyPair::from_seed(text.trim()).map_err(|_| {
        IdentityError::KeyStore(format!("{} does not hold an nkey seed", path.display()))
    })?;
    if pair.key_pair_type() != nkeys::KeyPairType::Account {
        return Err(IdentityError::KeyStore(format!(
            "{} holds an nkey that is not an account key",
            path.display()
        )));
    }
    Ok(pair)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[tokio::test]
    async fn the_issuer_key_is_made_once_privately_and_read_back() {
        let folder = tempfile::tempdir().expect("temp dir");
        let path = default_path(folder.path());
        let made = load_or_create(path.clone()).await.expect("creates");
        assert!(made.public_key().starts_with('A'));
        let mode = std::fs::metadata(&path)
            .expect("exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = load_or_create(path.clone()).await.expect("reads");
        assert_eq!(again.public_key(), made.public_key());

        std::fs::write(&path, "not a seed").expect("overwrite");
        assert!(load_or_create(path.clone()).await.is_err());
        let user_seed = nkeys::KeyPair::new_user().seed().expect("seed");
        std::fs::write(&path, user_seed).expect("overwrite");
        assert!(load_or_create(path).await.is_err());
    }
}
