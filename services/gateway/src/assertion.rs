//! The gateway's caller-assertion key, and the assertion it attaches to what it forwards to
//! identity's asserted operations (staff administration, key rotation, logout).
//!
//! The key is the gateway's own, not identity's token key: a file holding its secret (mode
//! 0600, in a 0700 folder) and its public half beside it for identity to read. The first start
//! creates both under `<data>/gateway/` (or at `--assertion-key`), so `just up` needs no step,
//! whichever service starts first; replicas sharing the folder read the key the first one
//! wrote. Nothing here runs for any other operation, so other requests never pay for a digest
//! or a signature.

use std::path::{Path, PathBuf};

use async_nats::HeaderMap;
use bikestore_auth::{KeyPair, sign_assertion};
use bikestore_contracts::{ServiceName, identity};
use bikestore_runtime::{RuntimeError, secret_files};
use tracing::{info, warn};

use crate::table::Rule;

/// Whether requests to `rule`'s operation carry the gateway's caller assertion.
pub fn asserted(rule: &Rule) -> bool {
    rule.service == ServiceName::Identity && identity::ASSERTED_OPERATIONS.contains(&rule.operation)
}

/// Adds the gateway's assertion that `body`, sent to `subject` now, comes from `staff_id` (none
/// for a public operation).
pub fn attach(
    key: &KeyPair,
    staff_id: Option<bikestore_contracts::StaffId>,
    subject: &str,
    body: &[u8],
    forwarded: &mut HeaderMap,
) {
    let assertion = sign_assertion(key, staff_id, subject, body, bikestore_runtime::now_ms());
    for (name, value) in assertion.header_values() {
        forwarded.insert(name, value.as_str());
    }
}

/// Where the public half of the key at `secret_path` lives: beside it, ending `.pub`.
pub fn public_key_path(secret_path: &Path) -> PathBuf {
    secret_path.with_extension("pub")
}

/// Reads the assertion key at `path`, creating it (and its public half) if there is none, and
/// writes the public half if it is missing or holds another key.
pub async fn load_or_create(path: &Path) -> Result<KeyPair, RuntimeError> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || load_or_create_blocking(&path))
        .await
        .map_err(|error| RuntimeError::Config(format!("assertion key task failed: {error}")))?
}

fn load_or_create_blocking(path: &Path) -> Result<KeyPair, RuntimeError> {
    let key = match create(path)? {
        Some(created) => {
            info!(path = %path.display(), "created the gateway's caller-assertion key");
            created
        }
        None => read(path)?,
    };
    let public_path = public_key_path(path);
    let public_text = format!("{}\n", key.public_key().to_base64());
    let current = std::fs::read_to_string(&public_path).unwrap_or_default();
    if current != public_text {
        // Written beside and renamed, so identity never reads half a key.
        let partial = public_path.with_extension("pub.partial");
        let written = std::fs::write(&partial, &public_text)
            .and_then(|()| std::fs::rename(&partial, &public_path));
        if let Err(error) = written {
            // A key configured in a read-only place: identity must be given its public half
            // another way, so this is worth a warning but no reason to stop.
            warn!(path = %public_path.display(), %error, "could not write the caller-assertion public key");
        }
    }
    Ok(key)
}

/// A new key at `path`, or `None` if a key is there already (made by another replica, say).
fn create(path: &Path) -> Result<Option<KeyPair>, RuntimeError> {
    let key = KeyPair::generate().map_err(|error| RuntimeError::Config(error.to_string()))?;
    match secret_files::create(path, &key.to_secret_text()) {
        Ok(true) => Ok(Some(key)),
        Ok(false) => Ok(None),
        Err(error) => Err(io_error("create", path, &error)),
    }
}

fn read(path: &Path) -> Result<KeyPair, RuntimeError> {
    let text = secret_files::read(path).map_err(|error| io_error("read", path, &error))?;
    KeyPair::from_secret_text(&text).map_err(|_| {
        RuntimeError::Config(format!(
            "{} does not hold a caller-assertion key",
            path.display()
        ))
    })
}

fn io_error(action: &str, path: &Path, error: &std::io::Error) -> RuntimeError {
    RuntimeError::Config(format!(
        "{action} the caller-assertion key {}: {error}",
        path.display()
    ))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use bikestore_auth::PublicKey;
    use bikestore_contracts::message::OperationKind;

    use super::*;

    #[test]
    fn every_asserted_operation_is_a_command_the_gateway_forwards() {
        for operation in identity::ASSERTED_OPERATIONS {
            let rule = crate::table::lookup(ServiceName::Identity, operation).expect("listed");
            assert!(asserted(rule), "{operation}");
            // Queries are handed over without the assertion; commands are forwarded with it.
            assert_eq!(rule.kind, OperationKind::Command, "{operation}");
        }
        let login = crate::table::lookup(ServiceName::Identity, "login").expect("listed");
        assert!(!asserted(login));
    }

    #[tokio::test]
    async fn the_first_start_creates_a_private_key_and_later_starts_read_it() {
        let folder = tempfile::tempdir().expect("temp dir");
        let path = folder.path().join("gateway").join("assertion.key");
        let created = load_or_create(&path).await.expect("creates");
        let mode = |path: &Path| {
            std::fs::metadata(path)
                .expect("exists")
                .permissions()
                .mode()
        };
        assert_eq!(mode(&path) & 0o777, 0o600);
        assert_eq!(mode(path.parent().expect("a folder")) & 0o777, 0o700);
        let published = std::fs::read_to_string(public_key_path(&path)).expect("published");
        assert_eq!(
            PublicKey::from_base64(published.trim()),
            Ok(created.public_key())
        );

        // A lost public half is written again; the key stays.
        std::fs::remove_file(public_key_path(&path)).expect("removes");
        let again = load_or_create(&path).await.expect("reads");
        assert_eq!(again.public_key(), created.public_key());
        assert!(public_key_path(&path).exists());

        std::fs::write(&path, "not a key").expect("writes");
        assert!(load_or_create(&path).await.is_err());
    }
}
