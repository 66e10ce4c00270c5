//! Backups of a whole Bikestore system, and their restore.
//!
//! A backup is one folder: the saga records (`sagas.jsonl`), a copy of each service's database
//! (`databases/`), the private keys (`keys/`), a JetStream snapshot of each event, audit and
//! dead-letter stream (`streams/`), and `manifest.json`, written last, naming every part in
//! the order it was taken with its size and SHA-256. [`plan`] says what is taken in which
//! order and why that order makes a restore safe; [`take`] takes one from the running
//! system; [`verify`] checks one against this build before anything is written; [`restore`]
//! puts one back, files into an empty data folder, then streams and records into an empty
//! nats-server. The binary `bikestore-backup` runs each (`just backup`, `just restore`,
//! `just backups`).

pub mod databases;
mod error;
pub mod keys;
pub mod manifest;
pub mod plan;
pub mod progress;
pub mod restore;
pub mod sagas;
pub mod streams;
pub mod take;
pub mod verify;

use std::path::Path;

pub use error::BackupError;
pub use manifest::Manifest;

/// One line per backup folder under `root`, newest name last: its name and manifest summary,
/// or why it is not a usable backup.
pub fn list(root: &Path) -> Result<Vec<String>, BackupError> {
    let entries = match std::fs::read_dir(root) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(BackupError::io(root, error)),
    };
    let mut folders = Vec::new();
    for entry in entries {
        let path = entry.map_err(|error| BackupError::io(root, error))?.path();
        if path.is_dir() {
            folders.push(path);
        }
    }
    folders.sort();
    Ok(folders
        .iter()
        .map(|folder| {
            let name = folder
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            match Manifest::read(folder) {
                Ok(manifest) => format!("{name}\t{}", manifest.summary()),
                Err(BackupError::Refused(reasons)) => {
                    format!("{name}\tnot usable: {}", reasons.join("; "))
                }
                Err(error) => format!("{name}\tnot readable: {error}"),
            }
        })
        .collect())
}
