//! Restoring a verified backup, in two halves around starting nats-server: the files (each
//! database copy and the keys) into an empty data folder, then the streams and saga records
//! into an empty nats-server. Either half that fails removes what it wrote (`just restore`
//! empties the data folder again, nats-server's store with it), so nothing is half-restored.

use std::path::Path;

use async_nats::jetstream;
use bikestore_contracts::Subjects;

use crate::error::BackupError;
use crate::manifest::{Manifest, Part};
use crate::take::clear_folder;
use crate::verify::read_records;
use crate::{databases, keys, plan, sagas, streams};

/// Writes the backup's databases and keys into `data_dir`, which must be empty or missing.
pub fn restore_files(dir: &Path, manifest: &Manifest, data_dir: &Path) -> Result<(), BackupError> {
    match std::fs::read_dir(data_dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(BackupError::Unusable(format!(
                    "the data folder {} is not empty: a backup is restored into an empty one ('just down', then move the folder away)",
                    data_dir.display()
                )));
            }
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(data_dir).map_err(|error| BackupError::io(data_dir, error))?;
        }
        Err(error) => return Err(BackupError::io(data_dir, error)),
    }
    let written = write_files(dir, manifest, data_dir);
    if written.is_err()
        && let Err(error) = clear_folder(data_dir)
    {
        eprintln!("could not empty {} again: {error}", data_dir.display());
    }
    written
}

fn write_files(dir: &Path, manifest: &Manifest, data_dir: &Path) -> Result<(), BackupError> {
    for part in &manifest.parts {
        match part {
            Part::Database { service, file, .. } => {
                let target = databases::restore(dir, data_dir, service, &file.path)?;
                eprintln!("{service} database: restored to {}", target.display());
            }
            Part::Keys { files } => {
                let written = keys::restore(dir, data_dir, files)?;
                eprintln!("keys: {} files restored", written.len());
            }
            Part::Sagas { .. } | Part::Stream { .. } => {}
        }
    }
    Ok(())
}

/// Restores the streams and the saga records into the nats-server `client` reaches, which
/// must hold none of them, with `replicas` copies each; then removes from each event stream
/// the events made after its producer's database copy.
pub async fn restore_into_nats(
    client: &async_nats::Client,
    subjects: &Subjects,
    dir: &Path,
    manifest: &Manifest,
    replicas: usize,
) -> Result<(), BackupError> {
    let jetstream = jetstream::new(client.clone());
    let bucket_stream = Subjects::key_value_stream(&subjects.sagas_bucket());
    for stream in plan::streams(subjects).iter().chain([&bucket_stream]) {
        if jetstream.get_stream(stream).await.is_ok() {
            return Err(BackupError::Unusable(format!(
                "stream {stream} already exists: a backup is restored onto an empty nats-server (an empty data folder)"
            )));
        }
    }
    for part in &manifest.parts {
        streams::restore(client, dir, part, replicas).await?;
    }
    for part in &manifest.parts {
        streams::remove_events_newer_than_copy(&jetstream, part).await?;
    }
    for part in &manifest.parts {
        if let Part::Sagas { file, .. } = part {
            let path = dir.join(&file.path);
            let records = tokio::task::spawn_blocking(move || read_records(&path))
                .await
                .map_err(|error| {
                    BackupError::Unusable(format!("read the saga records: {error}"))
                })??;
            sagas::restore(&jetstream, subjects, replicas, records).await?;
        }
    }
    Ok(())
}
