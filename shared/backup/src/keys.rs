//! The keys part: identity's signing keys and callout issuer key and the gateway's assertion
//! key pair, copied as they are (private files stay mode 0600 in 0700 folders) and put back at
//! the same paths under the data folder.

use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::error::BackupError;
use crate::manifest::{FileSum, Part, sum_file, sync_file};
use crate::plan::{self, KeyLocation};

/// The folder of the keys in a backup folder.
pub const KEYS_DIR: &str = "keys";

/// Copies every key file under `data_dir` into `dir`/keys, at the same relative paths.
pub fn copy_all(data_dir: &Path, dir: &Path) -> Result<Part, BackupError> {
    let mut files = Vec::new();
    for (location, kind) in plan::key_locations() {
        for relative in key_files(data_dir, &location, kind)? {
            let stored = format!("{KEYS_DIR}/{relative}");
            copy_private(&data_dir.join(&relative), &dir.join(&stored))?;
            files.push(sum_file(dir, &stored)?);
        }
    }
    if files.is_empty() {
        return Err(BackupError::Unusable(format!(
            "no keys under {}: give the running system's data folder (--data-dir)",
            data_dir.display()
        )));
    }
    Ok(Part::Keys { files })
}

/// Puts the keys back under `data_dir`; answers the files written.
pub fn restore(
    dir: &Path,
    data_dir: &Path,
    files: &[FileSum],
) -> Result<Vec<PathBuf>, BackupError> {
    let mut written = Vec::new();
    for file in files {
        let relative = file
            .path
            .strip_prefix(&format!("{KEYS_DIR}/"))
            .ok_or_else(|| {
                BackupError::Refused(vec![format!(
                    "key file {} is not under {KEYS_DIR}/",
                    file.path
                )])
            })?;
        let target = data_dir.join(relative);
        copy_private(&dir.join(&file.path), &target)?;
        written.push(target);
    }
    Ok(written)
}

/// The key files of one location, relative to the data folder; a missing one has none.
fn key_files(
    data_dir: &Path,
    location: &str,
    kind: KeyLocation,
) -> Result<Vec<String>, BackupError> {
    let path = data_dir.join(location);
    match kind {
        KeyLocation::File => Ok(if path.is_file() {
            vec![location.to_owned()]
        } else {
            Vec::new()
        }),
        KeyLocation::Folder => {
            let entries = match std::fs::read_dir(&path) {
                Ok(entries) => entries,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
                Err(error) => return Err(BackupError::io(&path, error)),
            };
            let mut files = Vec::new();
            for entry in entries {
                let entry = entry.map_err(|error| BackupError::io(&path, error))?;
                let is_file = entry
                    .file_type()
                    .map_err(|error| BackupError::io(&entry.path(), error))?
                    .is_file();
                if let (true, Some(name)) = (is_file, entry.file_name().to_str()) {
                    files.push(format!("{location}/{name}"));
                }
            }
            files.sort();
            Ok(files)
        }
    }
}

/// Copies a key file into a new file readable by its owner only, in folders only its owner
/// may enter, synced.
fn copy_private(source: &Path, target: &Path) -> Result<(), BackupError> {
    if let Some(folder) = target.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(folder)
            .map_err(|error| BackupError::io(folder, error))?;
    }
    let content = std::fs::read(source).map_err(|error| BackupError::io(source, error))?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(target)
        .map_err(|error| BackupError::io(target, error))?;
    std::io::Write::write_all(&mut file, &content)
        .map_err(|error| BackupError::io(target, error))?;
    file.sync_all()
        .map_err(|error| BackupError::io(target, error))?;
    if let Some(folder) = target.parent() {
        sync_file(folder)?;
    }
    Ok(())
}
