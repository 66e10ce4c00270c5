//! The database parts: each service's SQLite file copied as one point in time (`VACUUM INTO`
//! on a read-only connection, beside the running service), consumers before producers; and
//! put back into an empty data folder at restore.

use std::path::Path;

use async_nats::jetstream;
use bikestore_contracts::Subjects;
use bikestore_runtime::config::database_path;

use crate::error::BackupError;
use crate::manifest::{EventsBeforeCopy, Part, sum_file, sync_file};
use crate::plan;
use crate::progress::{Progress, Unit};

/// The folder of the database copies in a backup folder.
pub const DATABASES_DIR: &str = "databases";

/// Copies every service's database from `data_dir` into `dir`, in [`plan::DATABASE_ORDER`].
pub async fn copy_all(
    jetstream: &jetstream::Context,
    subjects: &Subjects,
    data_dir: &Path,
    dir: &Path,
) -> Result<Vec<Part>, BackupError> {
    let folder = dir.join(DATABASES_DIR);
    std::fs::create_dir_all(&folder).map_err(|error| BackupError::io(&folder, error))?;
    let mut parts = Vec::new();
    for service in plan::DATABASE_ORDER {
        let source = database_path(data_dir, service.as_str());
        let size = std::fs::metadata(&source)
            .map_err(|error| {
                BackupError::Unusable(format!(
                    "no {service} database at {} ({error}): give the running system's data folder (--data-dir)",
                    source.display()
                ))
            })?
            .len();
        let progress = Progress::start(format!("{service} database"), Unit::Bytes, size);
        // Read before the copy begins: no event up to here is newer than the copy.
        let events = match plan::outbox_stream(subjects, service) {
            Some(stream) => Some(EventsBeforeCopy {
                last_sequence: crate::streams::state(jetstream, &stream)
                    .await?
                    .last_sequence,
                stream,
            }),
            None => None,
        };
        let relative = format!("{DATABASES_DIR}/{service}.db");
        let destination = dir.join(&relative);
        let copy = tokio::task::spawn_blocking(move || {
            bikestore_storage::copy_database(&source, &destination)
        })
        .await
        .map_err(|error| {
            BackupError::Unusable(format!("copy the {service} database: {error}"))
        })??;
        let file = sum_file(dir, &relative)?;
        progress.finish(&format!(
            "schema version {}, {}",
            copy.schema_version,
            crate::progress::human_bytes(file.bytes)
        ));
        parts.push(Part::Database {
            service: service.as_str().to_owned(),
            file,
            schema_version: copy.schema_version,
            outbox_sequence: copy.outbox_sequence,
            events,
        });
    }
    Ok(parts)
}

/// Puts a database copy back where its service opens it under `data_dir`; the file must not
/// exist. Answers the path written.
pub fn restore(
    dir: &Path,
    data_dir: &Path,
    service: &str,
    copy: &str,
) -> Result<std::path::PathBuf, BackupError> {
    let target = database_path(data_dir, service);
    if let Some(folder) = target.parent() {
        std::fs::create_dir_all(folder).map_err(|error| BackupError::io(folder, error))?;
    }
    let source = dir.join(copy);
    let mut from = std::fs::File::open(&source).map_err(|error| BackupError::io(&source, error))?;
    let mut to =
        std::fs::File::create_new(&target).map_err(|error| BackupError::io(&target, error))?;
    std::io::copy(&mut from, &mut to).map_err(|error| BackupError::io(&target, error))?;
    to.sync_all()
        .map_err(|error| BackupError::io(&target, error))?;
    if let Some(folder) = target.parent() {
        sync_file(folder)?;
    }
    Ok(target)
}
