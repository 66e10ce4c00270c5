//! The manifest: what a backup holds, part by part in the order taken, with each file's size
//! and SHA-256. Written last, so a folder without one is a backup that did not finish.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::BackupError;

/// The manifest format this build writes and reads.
pub const FORMAT: u32 = 1;

/// The manifest's file name in a backup folder.
pub const MANIFEST_FILE: &str = "manifest.json";

/// A backup: when, by what, and its parts in the order they were taken.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The manifest format ([`FORMAT`]).
    pub format: u32,
    /// The Bikestore version that took it.
    pub bikestore_version: String,
    /// The subject prefix of the deployment it was taken from; streams and buckets are named
    /// after it.
    pub subject_prefix: String,
    /// The nats-server version it was taken from.
    pub nats_server_version: String,
    /// When it began, in milliseconds since the Unix epoch: every order acknowledged before is
    /// in it.
    pub started_at_ms: i64,
    /// When it ended.
    pub finished_at_ms: i64,
    /// The parts, in the order taken.
    pub parts: Vec<Part>,
}

/// One file of a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSum {
    /// Its path in the backup folder, `/`-separated.
    pub path: String,
    /// Its size.
    pub bytes: u64,
    /// The SHA-256 of its content, lower-case hex.
    pub sha256: String,
}

/// One part of a backup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Part {
    /// The saga records, one JSON record per line.
    Sagas {
        /// The file.
        file: FileSum,
        /// How many records.
        records: u64,
        /// How many of them were created while the databases were copied, and are kept as
        /// their intake created them.
        restarted: u64,
        /// The saga bucket's last revision once the databases were copied: no change after it
        /// is in the backup.
        last_revision: u64,
    },
    /// A copy of one service's database.
    Database {
        /// The service.
        service: String,
        /// The copy.
        file: FileSum,
        /// Its schema version (SQLite's `user_version`).
        schema_version: u32,
        /// The highest outbox sequence it ever assigned: events with a higher one were made
        /// after the copy and are removed from its stream at restore.
        outbox_sequence: i64,
        /// Its event stream's last sequence just before the copy began: no event up to it is
        /// newer than the copy.
        events: Option<EventsBeforeCopy>,
    },
    /// The private keys, each under `keys/` at its path below the data folder.
    Keys {
        /// The files.
        files: Vec<FileSum>,
    },
    /// A JetStream snapshot of one stream (messages only: consumers start again).
    Stream {
        /// The stream's name.
        stream: String,
        /// The snapshot.
        file: FileSum,
        /// The stream's configuration as the server gave it.
        config: serde_json::Value,
        /// The stream's state as the server gave it.
        state: serde_json::Value,
    },
}

/// Where a database's event stream stood when its copy began.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsBeforeCopy {
    /// The stream.
    pub stream: String,
    /// Its last sequence.
    pub last_sequence: u64,
}

impl Part {
    /// What the part is, for messages: `sagas`, `orders database`, `keys`, `stream X`.
    pub fn name(&self) -> String {
        match self {
            Part::Sagas { .. } => "sagas".to_owned(),
            Part::Database { service, .. } => format!("{service} database"),
            Part::Keys { .. } => "keys".to_owned(),
            Part::Stream { stream, .. } => format!("stream {stream}"),
        }
    }

    /// The files the part consists of.
    pub fn files(&self) -> Vec<&FileSum> {
        match self {
            Part::Sagas { file, .. } | Part::Database { file, .. } | Part::Stream { file, .. } => {
                vec![file]
            }
            Part::Keys { files } => files.iter().collect(),
        }
    }
}

impl Manifest {
    /// Reads `dir`'s manifest; a folder without one is refused as unfinished.
    pub fn read(dir: &Path) -> Result<Manifest, BackupError> {
        let path = dir.join(MANIFEST_FILE);
        let text = match std::fs::read(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(BackupError::Refused(vec![format!(
                    "{} has no {MANIFEST_FILE}: not a backup, or one that did not finish",
                    dir.display()
                )]));
            }
            Err(error) => return Err(BackupError::io(&path, error)),
        };
        serde_json::from_slice(&text).map_err(|error| {
            BackupError::Refused(vec![format!(
                "{} is not a manifest this build reads: {error}",
                path.display()
            )])
        })
    }

    /// Writes the manifest into `dir`, atomically (written beside, synced, renamed).
    pub fn write(&self, dir: &Path) -> Result<(), BackupError> {
        let path = dir.join(MANIFEST_FILE);
        let staged = dir.join(format!("{MANIFEST_FILE}.partial"));
        let text = serde_json::to_vec_pretty(self)
            .map_err(|error| BackupError::Unusable(format!("encode the manifest: {error}")))?;
        std::fs::write(&staged, text).map_err(|error| BackupError::io(&staged, error))?;
        sync_file(&staged)?;
        std::fs::rename(&staged, &path).map_err(|error| BackupError::io(&path, error))?;
        sync_file(dir)
    }

    /// One line about the backup: when, how long, and what it holds.
    pub fn summary(&self) -> String {
        let mut sagas = 0;
        let mut databases = Vec::new();
        let mut messages = 0;
        let mut bytes = 0;
        for part in &self.parts {
            bytes += part.files().iter().map(|file| file.bytes).sum::<u64>();
            match part {
                Part::Sagas { records, .. } => sagas = *records,
                Part::Database {
                    service,
                    schema_version,
                    ..
                } => databases.push(format!("{service} v{schema_version}")),
                Part::Stream { state, .. } => {
                    messages += state["messages"].as_u64().unwrap_or(0);
                }
                Part::Keys { .. } => {}
            }
        }
        format!(
            "taken {} UTC in {:.1} s, {}: {sagas} saga records, databases {}, {messages} stream messages (Bikestore {}, nats-server {})",
            bikestore_contracts::calendar::CalendarTime::utc(self.started_at_ms),
            (self.finished_at_ms - self.started_at_ms) as f64 / 1000.0,
            crate::progress::human_bytes(bytes),
            databases.join(", "),
            self.bikestore_version,
            self.nats_server_version,
        )
    }
}

/// Where a manifest's `path` is in `dir`, if it is a plain relative path that stays inside.
pub fn resolve(dir: &Path, path: &str) -> Option<PathBuf> {
    let relative = Path::new(path);
    relative
        .components()
        .all(|component| matches!(component, Component::Normal(_)))
        .then(|| dir.join(relative))
}

/// The size and SHA-256 of the file at `dir`/`path`.
pub fn sum_file(dir: &Path, path: &str) -> Result<FileSum, BackupError> {
    let full = dir.join(path);
    let mut file = std::fs::File::open(&full).map_err(|error| BackupError::io(&full, error))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 256 * 1024];
    let mut bytes = 0u64;
    loop {
        let read = file
            .read(&mut buffer)
            .map_err(|error| BackupError::io(&full, error))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        bytes += read as u64;
    }
    Ok(FileSum {
        path: path.to_owned(),
        bytes,
        sha256: hex(&hasher.finalize()),
    })
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Syncs a file or folder to disk.
pub fn sync_file(path: &Path) -> Result<(), BackupError> {
    std::fs::File::open(path)
        .and_then(|file| file.sync_all())
        .map_err(|error| BackupError::io(path, error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths_resolve() {
        let dir = Path::new("/backup");
        assert_eq!(
            resolve(dir, "databases/orders.db"),
            Some(PathBuf::from("/backup/databases/orders.db"))
        );
        assert_eq!(resolve(dir, "../etc/passwd"), None);
        assert_eq!(resolve(dir, "/etc/passwd"), None);
        assert_eq!(
            resolve(dir, "keys/./x"),
            Some(PathBuf::from("/backup/keys/x"))
        );
    }
}
