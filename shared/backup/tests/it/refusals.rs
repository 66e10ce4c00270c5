//! A backup this build cannot honour is refused before anything is written, each problem
//! named: a damaged part, a missing part, a database schema newer than this build's, parts
//! in an unsafe order. The data folder it was to be restored into stays empty.

use std::path::Path;

use bikestore_backup::manifest::{MANIFEST_FILE, Manifest, Part};
use bikestore_backup::{BackupError, restore, take, verify};
use bikestore_contracts::Subjects;
use bikestore_harness::System;

/// A backup of a freshly started system, and a way to copy it for each damage.
struct Backup {
    dir: tempfile::TempDir,
}

impl Backup {
    async fn take() -> anyhow::Result<Backup> {
        let system = System::builder().all_services().start().await?;
        let dir = tempfile::tempdir()?;
        take::take(
            system.client(),
            system.subjects(),
            system.data_dir(),
            dir.path(),
        )
        .await?;
        system.stop().await?;
        Ok(Backup { dir })
    }

    /// A copy of the backup, damaged by `damage`.
    fn damaged(
        &self,
        damage: impl FnOnce(&Path, &mut Manifest),
    ) -> anyhow::Result<tempfile::TempDir> {
        let copy = tempfile::tempdir()?;
        copy_tree(self.dir.path(), copy.path())?;
        let mut manifest = Manifest::read(copy.path())?;
        damage(copy.path(), &mut manifest);
        std::fs::remove_file(copy.path().join(MANIFEST_FILE))?;
        manifest.write(copy.path())?;
        Ok(copy)
    }
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(&target)?;
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Asserts the backup in `dir` is refused with a reason containing `expected`, and that a
/// restore of it leaves an empty data folder empty.
fn assert_refused(dir: &Path, expected: &str) -> anyhow::Result<()> {
    let subjects = Subjects::default();
    match verify::verify(dir, &subjects) {
        Err(BackupError::Refused(reasons)) => assert!(
            reasons.iter().any(|reason| reason.contains(expected)),
            "refused, but not because {expected:?}: {reasons:#?}"
        ),
        Err(other) => panic!("failed otherwise than refused: {other}"),
        Ok(_) => panic!("a backup where {expected:?} was accepted"),
    }
    let data = tempfile::tempdir()?;
    // What `restore-files` runs: verify, then write.
    let restored = verify::verify(dir, &subjects)
        .and_then(|manifest| restore::restore_files(dir, &manifest, data.path()));
    assert!(restored.is_err());
    assert_eq!(
        std::fs::read_dir(data.path())?.count(),
        0,
        "the data folder was touched"
    );
    Ok(())
}

fn stream_file(manifest: &Manifest, suffix: &str) -> String {
    manifest
        .parts
        .iter()
        .find_map(|part| match part {
            Part::Stream { stream, file, .. } if stream.ends_with(suffix) => {
                Some(file.path.clone())
            }
            _ => None,
        })
        .expect("the stream is in the backup")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_this_build_cannot_honour_is_refused_and_nothing_is_written() -> anyhow::Result<()>
{
    let backup = Backup::take().await?;
    let subjects = Subjects::default();
    let manifest = verify::verify(backup.dir.path(), &subjects)?;
    assert_eq!(
        manifest.parts.first().map(Part::name).as_deref(),
        Some("sagas")
    );

    // A damaged part: one byte of the orders stream's snapshot changed.
    let corrupted = backup.damaged(|dir, manifest| {
        let path = dir.join(stream_file(manifest, "ORDERS_EVENTS"));
        let mut bytes = std::fs::read(&path).expect("read the snapshot");
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x55;
        std::fs::write(&path, bytes).expect("write the snapshot");
    })?;
    assert_refused(corrupted.path(), "does not match its checksum")?;

    // A missing part: the inventory database's file gone; and its part gone from the manifest.
    let missing_file = backup.damaged(|dir, _| {
        std::fs::remove_file(dir.join("databases/inventory.db")).expect("remove the copy");
    })?;
    assert_refused(
        missing_file.path(),
        "file databases/inventory.db is missing",
    )?;
    let missing_part = backup.damaged(|_, manifest| {
        manifest
            .parts
            .retain(|part| part.name() != "inventory database");
    })?;
    assert_refused(
        missing_part.path(),
        "the inventory database part is missing",
    )?;

    // A schema mismatch: the orders copy claims a schema this build does not know.
    let newer = backup.damaged(|_, manifest| {
        for part in &mut manifest.parts {
            if let Part::Database {
                service,
                schema_version,
                ..
            } = part
                && service == "orders"
            {
                *schema_version = 99;
            }
        }
    })?;
    assert_refused(newer.path(), "schema version 99, newer than this build's")?;

    // An unsafe order: the saga records taken after the databases.
    let reordered = backup.damaged(|_, manifest| {
        let sagas = manifest.parts.remove(0);
        manifest.parts.insert(3, sagas);
    })?;
    assert_refused(
        reordered.path(),
        "the saga records must be taken before any database",
    )?;

    // No manifest: a backup that did not finish.
    let unfinished = backup.damaged(|_, _| {})?;
    std::fs::remove_file(unfinished.path().join(MANIFEST_FILE))?;
    assert_refused(
        unfinished.path(),
        "not a backup, or one that did not finish",
    )?;

    // The intact backup is not restored over a data folder that holds anything.
    let occupied = tempfile::tempdir()?;
    std::fs::write(occupied.path().join("something"), b"kept")?;
    let refused = restore::restore_files(backup.dir.path(), &manifest, occupied.path());
    assert!(
        matches!(refused, Err(BackupError::Unusable(message)) if message.contains("not empty"))
    );
    assert_eq!(std::fs::read(occupied.path().join("something"))?, b"kept");
    Ok(())
}
