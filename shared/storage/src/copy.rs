//! Copies of a live service database, for a backup, and reading back what a copy holds.
//!
//! A copy is made with `VACUUM INTO` on a read-only connection: SQLite writes, inside one read
//! transaction, a compact new database file that is a single consistent point in time, while the
//! service (another process, in WAL mode) goes on writing; readers never block a WAL writer, so
//! the service does not notice. The copy is one self-contained file, synced to disk before it is
//! reported.
//!
//! What a restore needs to know about a copy is read from the copy itself
//! ([`inspect_database`]): that it is sound, the schema version it is at, and the outbox
//! high-water mark, the highest outbox sequence the service had ever assigned when the copy was
//! taken. The relay puts each event's outbox sequence on it, so an event in a stream with a higher
//! one was made after the copy, and a restore of that copy deletes it. The mark comes from
//! `sqlite_sequence`, not from the rows present: the relay deletes rows once they are published,
//! so the outbox is usually empty while the sequence keeps counting.
//!
//! This module only reads the database it copies, and never writes to a file that exists.

use std::fs::File;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension};

use crate::error::StorageError;

/// How long a copy or an inspection waits for another connection's lock (a checkpoint, a
/// database not in WAL mode being written) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How many of `PRAGMA quick_check`'s findings an error quotes.
const PROBLEMS_QUOTED: usize = 5;

/// What a copy of a service's database holds, read from the copy itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatabaseCopy {
    /// The schema version the copy is at (`PRAGMA user_version`: how many of the service's
    /// migrations it has had).
    pub schema_version: u32,
    /// The highest outbox sequence ever assigned in the copy, 0 when none was: every event the
    /// service made up to the copy carries at most this sequence.
    pub outbox_sequence: i64,
    /// The size of the copy's file, in bytes.
    pub bytes: u64,
}

/// Copies a live database (another process may be writing it, in WAL mode) into `destination`
/// (which must not exist) as one consistent point in time: `VACUUM INTO` on a read-only
/// connection. The copy is synced to disk before this returns.
///
/// It blocks for as long as the copy takes; call it from `spawn_blocking` in async code.
pub fn copy_database(source: &Path, destination: &Path) -> Result<DatabaseCopy, StorageError> {
    if !source.is_file() {
        return Err(StorageError::DatabaseMissing {
            path: source.to_owned(),
        });
    }
    if destination.symlink_metadata().is_ok() {
        return Err(StorageError::DestinationExists {
            path: destination.to_owned(),
        });
    }
    let copy_error = |reason| StorageError::Copy {
        from: source.to_owned(),
        to: destination.to_owned(),
        source: reason,
    };
    // SQLite takes the file name of `VACUUM INTO` as text; a name that is not UTF-8 would be
    // mangled into some other file's name, so it is refused.
    let destination_name = destination
        .to_str()
        .ok_or_else(|| copy_error(rusqlite::Error::InvalidPath(destination.to_owned())))?;
    let connection = open_read_only(source)?;
    if let Err(reason) = connection.execute("VACUUM INTO ?1", [destination_name]) {
        // The destination did not exist, so whatever is there now is this copy's unfinished
        // output: leave nothing that could be taken for a copy.
        let _ = std::fs::remove_file(destination);
        return Err(match reason.sqlite_error_code() {
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
                unreadable(source, reason)
            }
            _ => copy_error(reason),
        });
    }
    drop(connection);
    sync_to_disk(destination)?;
    inspect_database(destination)
}

/// Reads a copy: checks it is a sound SQLite database (`PRAGMA quick_check`), and reads its
/// schema version (`PRAGMA user_version`) and the highest outbox sequence ever assigned
/// (`sqlite_sequence` row of `storage_outbox`, 0 when none).
///
/// A file without the outbox table (an empty file is a valid, empty SQLite database) is refused:
/// it is no service's database. It blocks; call it from `spawn_blocking` in async code.
pub fn inspect_database(path: &Path) -> Result<DatabaseCopy, StorageError> {
    if !path.is_file() {
        return Err(StorageError::DatabaseMissing {
            path: path.to_owned(),
        });
    }
    let connection = open_read_only(path)?;
    check_sound(&connection, path)?;
    let read_error = |reason| StorageError::Read {
        path: path.to_owned(),
        source: reason,
    };
    let has_outbox: bool = connection
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master
                            WHERE type = 'table' AND name = 'storage_outbox')",
            [],
            |row| row.get(0),
        )
        .map_err(read_error)?;
    if !has_outbox {
        return Err(StorageError::NotAServiceDatabase {
            path: path.to_owned(),
        });
    }
    let user_version: i64 = connection
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(read_error)?;
    // SQLite keeps a signed 32-bit number there; migrations only ever count it up from 0.
    let schema_version = u32::try_from(user_version).map_err(|_| StorageError::Corrupt {
        path: path.to_owned(),
        problems: format!("its schema version (user_version) is {user_version}"),
    })?;
    // The table exists once a table with AUTOINCREMENT does; the row once the first outbox
    // message was pushed.
    let outbox_sequence: i64 = connection
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = 'storage_outbox'",
            [],
            |row| row.get(0),
        )
        .optional()
        .map_err(read_error)?
        .unwrap_or(0);
    drop(connection);
    let bytes = std::fs::metadata(path)
        .map_err(|reason| StorageError::File {
            step: "read the size of",
            path: path.to_owned(),
            source: reason,
        })?
        .len();
    Ok(DatabaseCopy {
        schema_version,
        outbox_sequence,
        bytes,
    })
}

/// A read-only connection to `path`. Not `query_only`: that would refuse `VACUUM INTO` too,
/// though it writes only the new file.
fn open_read_only(path: &Path) -> Result<Connection, StorageError> {
    let open_error = |reason| StorageError::Open {
        path: path.to_owned(),
        source: reason,
    };
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection = Connection::open_with_flags(path, flags).map_err(open_error)?;
    connection.busy_timeout(BUSY_TIMEOUT).map_err(open_error)?;
    Ok(connection)
}

/// Runs `PRAGMA quick_check`: each page, index entry and record is well formed (it skips only
/// the slow cross-check of indexes against their tables). Garbage fails before it can run.
fn check_sound(connection: &Connection, path: &Path) -> Result<(), StorageError> {
    let findings: Vec<String> = connection
        .prepare("PRAGMA quick_check")
        .and_then(|mut statement| {
            statement
                .query_map([], |row| row.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|reason| unreadable(path, reason))?;
    if findings.len() == 1 && findings[0] == "ok" {
        return Ok(());
    }
    let mut problems = findings
        .iter()
        .take(PROBLEMS_QUOTED)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("; ");
    if findings.len() > PROBLEMS_QUOTED {
        problems.push_str(&format!(" (and {} more)", findings.len() - PROBLEMS_QUOTED));
    }
    Err(StorageError::Corrupt {
        path: path.to_owned(),
        problems,
    })
}

/// What SQLite failing to read `path` at all means: not a database, a damaged one, or some
/// other failure.
fn unreadable(path: &Path, reason: rusqlite::Error) -> StorageError {
    match reason.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => StorageError::NotADatabase {
            path: path.to_owned(),
            source: reason,
        },
        Some(ErrorCode::DatabaseCorrupt) => StorageError::Corrupt {
            path: path.to_owned(),
            problems: reason.to_string(),
        },
        _ => StorageError::Read {
            path: path.to_owned(),
            source: reason,
        },
    }
}

/// Makes the copy durable: its contents, then its name in the folder. Whether `VACUUM INTO`
/// syncs what it writes depends on the connection's settings, so this does not rely on it.
fn sync_to_disk(copy: &Path) -> Result<(), StorageError> {
    let sync = |path: &Path| {
        File::open(path)
            .and_then(|file| file.sync_all())
            .map_err(|reason| StorageError::File {
                step: "sync to disk",
                path: path.to_owned(),
                source: reason,
            })
    };
    sync(copy)?;
    // A folder can be opened and synced on Unix only; elsewhere the file's sync has to do.
    #[cfg(unix)]
    if let Some(folder) = copy.parent() {
        let folder = if folder.as_os_str().is_empty() {
            Path::new(".")
        } else {
            folder
        };
        sync(folder)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
