//! Taking a backup of the running system: the parts in the order [`crate::plan`] gives, then
//! the manifest. A backup that fails leaves no manifest, and the files it wrote are removed
//! from the folder it made.

use std::path::Path;

use async_nats::jetstream;
use bikestore_contracts::Subjects;
use bikestore_runtime::now_ms;

use crate::error::BackupError;
use crate::manifest::{FORMAT, Manifest, Part};
use crate::sagas::SagaCapture;
use crate::{databases, keys, streams};

/// Takes a backup of the system `client` reaches, whose services keep their files under
/// `data_dir`, into `dir` (made if missing; it must be empty).
pub async fn take(
    client: &async_nats::Client,
    subjects: &Subjects,
    data_dir: &Path,
    dir: &Path,
) -> Result<Manifest, BackupError> {
    let made = prepare_folder(dir)?;
    let result = take_into(client, subjects, data_dir, dir).await;
    if result.is_err() {
        // Nothing half-written stays behind to be mistaken for a backup.
        let cleared = if made {
            std::fs::remove_dir_all(dir)
        } else {
            clear_folder(dir)
        };
        if let Err(error) = cleared {
            eprintln!(
                "could not remove the unfinished backup in {}: {error}",
                dir.display()
            );
        }
    }
    result
}

async fn take_into(
    client: &async_nats::Client,
    subjects: &Subjects,
    data_dir: &Path,
    dir: &Path,
) -> Result<Manifest, BackupError> {
    let started_at_ms = now_ms();
    let jetstream = jetstream::new(client.clone());
    let capture = SagaCapture::start(&jetstream, subjects).await?;
    capture.copies_begin();
    let databases = databases::copy_all(&jetstream, subjects, data_dir, dir).await?;
    let keys = {
        let (data_dir, dir) = (data_dir.to_owned(), dir.to_owned());
        tokio::task::spawn_blocking(move || keys::copy_all(&data_dir, &dir))
            .await
            .map_err(|error| BackupError::Unusable(format!("copy the keys: {error}")))??
    };
    let sagas = capture.finish(&jetstream, dir).await?;
    let streams = streams::snapshot_all(client, subjects, dir).await?;
    let mut parts: Vec<Part> = vec![sagas];
    parts.extend(databases);
    parts.push(keys);
    parts.extend(streams);
    let manifest = Manifest {
        format: FORMAT,
        bikestore_version: env!("CARGO_PKG_VERSION").to_owned(),
        subject_prefix: subjects.prefix().to_owned(),
        nats_server_version: client.server_info().version,
        started_at_ms,
        finished_at_ms: now_ms(),
        parts,
    };
    manifest.write(dir)?;
    Ok(manifest)
}

/// Makes `dir` if it is missing (answering whether it did), or checks that it is empty.
fn prepare_folder(dir: &Path) -> Result<bool, BackupError> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(BackupError::Unusable(format!(
                    "{} is not empty: a backup goes into a new or empty folder",
                    dir.display()
                )));
            }
            Ok(false)
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(|error| BackupError::io(dir, error))?;
            Ok(true)
        }
        Err(error) => Err(BackupError::io(dir, error)),
    }
}

/// Removes everything in `dir`, keeping the folder.
pub fn clear_folder(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            std::fs::remove_dir_all(&path)?;
        } else {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}
