//! Copies of real SQLite files in temp folders: taken while a writer commits, read back, and
//! refused when the file is missing, in the way, garbage or damaged.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use rusqlite::params;

use super::*;
use crate::outbox::{self, OutboxMessage};
use crate::{Database, DatabaseOptions};

const MIGRATIONS: &[&str] = &[
    "CREATE TABLE pairs (batch INTEGER NOT NULL, side TEXT NOT NULL);",
    "CREATE INDEX pairs_by_batch ON pairs (batch);",
];

/// How many transactions the writer commits before the copies start.
const COMMITS_BEFORE_COPYING: u64 = 50;

fn open(path: &Path) -> Database {
    Database::open(path, MIGRATIONS, &DatabaseOptions::default()).expect("opens")
}

fn message(number: u64) -> OutboxMessage {
    OutboxMessage {
        sequence: 0,
        message_id: format!("message-{number}"),
        subject: "subject".to_owned(),
        content_type: "application/json".to_owned(),
        schema_version: 1,
        payload: vec![7; 64],
        created_at_ms: 0,
        traceparent: None,
    }
}

/// One transaction of the writer: a pair of rows and an outbox message, together or not at all.
fn commit_batch(connection: &mut Connection, batch: u64) -> Result<(), StorageError> {
    let transaction = connection.transaction()?;
    for side in ["left", "right"] {
        transaction.execute(
            "INSERT INTO pairs (batch, side) VALUES (?1, ?2)",
            params![batch as i64, side],
        )?;
    }
    outbox::push(&transaction, message(batch))?;
    transaction.commit()?;
    Ok(())
}

#[tokio::test]
async fn a_copy_taken_while_a_writer_commits_holds_whole_transactions() {
    let folder = tempfile::tempdir().expect("tempdir");
    let source = folder.path().join("live.db");
    // Opening creates the tables and puts the file in WAL mode; the writer below is another
    // connection, as another process's would be.
    open(&source).close().await;
    let stop = Arc::new(AtomicBool::new(false));
    let (started, copies_may_start) = mpsc::sync_channel(1);
    let writer = {
        let source = source.clone();
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || -> Result<u64, StorageError> {
            let mut connection = Connection::open(&source)?;
            connection.busy_timeout(BUSY_TIMEOUT)?;
            let mut batch = 0;
            while !stop.load(Ordering::Relaxed) {
                batch += 1;
                commit_batch(&mut connection, batch)?;
                if batch == COMMITS_BEFORE_COPYING {
                    let _ = started.send(());
                }
            }
            Ok(batch)
        })
    };
    copies_may_start.recv().expect("the writer commits");

    let mut copies = Vec::new();
    for number in 0..5 {
        let destination = folder.path().join(format!("copy-{number}.db"));
        copies.push((
            copy_database(&source, &destination).expect("copies"),
            destination,
        ));
    }
    stop.store(true, Ordering::Relaxed);
    let committed = writer.join().expect("the writer ends").expect("writes");

    for (copy, destination) in &copies {
        let connection = Connection::open(destination).expect("opens the copy");
        let (batches, rows, smallest_batch, largest_batch): (i64, i64, i64, i64) = connection
            .query_row(
                "SELECT COUNT(DISTINCT batch), COUNT(*), MIN(batch), MAX(batch) FROM pairs",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .expect("counts");
        assert_eq!(rows, 2 * batches, "every pair whole in {destination:?}");
        assert_eq!(
            (smallest_batch, largest_batch),
            (1, batches),
            "no transaction missing between others in {destination:?}"
        );
        assert!(batches >= COMMITS_BEFORE_COPYING as i64);
        assert!(batches <= committed as i64);
        assert_eq!(
            copy.outbox_sequence, batches,
            "the outbox mark is the same point in time as the rows"
        );
        assert_eq!(copy.schema_version, MIGRATIONS.len() as u32);
        assert_eq!(
            copy.bytes,
            std::fs::metadata(destination).expect("the copy").len()
        );
    }
}

#[tokio::test]
async fn the_copy_reports_its_schema_version_and_the_outbox_mark_of_an_emptied_outbox() {
    let folder = tempfile::tempdir().expect("tempdir");
    let source = folder.path().join("service.db");
    let database = open(&source);
    database
        .write(|connection| {
            for number in 1..=3 {
                outbox::push(connection, message(number))?;
            }
            Ok::<_, StorageError>(())
        })
        .await
        .expect("pushes");
    // The relay deletes what it published; the sequence counts on regardless.
    database
        .write(|connection| {
            let published: Vec<i64> = outbox::pending(connection, 10)?
                .iter()
                .map(|message| message.sequence)
                .collect();
            outbox::remove(connection, &published)?;
            outbox::count(connection)
        })
        .await
        .map(|left| assert_eq!(left, 0, "the outbox is empty"))
        .expect("removes");

    let destination = folder.path().join("backup").join("service.db");
    std::fs::create_dir(folder.path().join("backup")).expect("a backup folder");
    let copy = copy_database(&source, &destination).expect("copies the open database");
    assert_eq!(copy.schema_version, 2);
    assert_eq!(copy.outbox_sequence, 3);
    assert_eq!(
        inspect_database(&destination).expect("reads the copy"),
        copy
    );
    database.close().await;

    let fresh = folder.path().join("fresh.db");
    open(&fresh).close().await;
    let fresh_copy = copy_database(&fresh, &folder.path().join("fresh-copy.db")).expect("copies");
    assert_eq!(
        (fresh_copy.schema_version, fresh_copy.outbox_sequence),
        (2, 0),
        "no outbox message yet"
    );
}

#[tokio::test]
async fn a_copy_never_overwrites_a_file_and_needs_a_source() {
    let folder = tempfile::tempdir().expect("tempdir");
    let source = folder.path().join("service.db");
    open(&source).close().await;
    let destination = folder.path().join("taken.db");
    std::fs::write(&destination, b"keep me").expect("a file in the way");

    let refused = copy_database(&source, &destination).expect_err("the destination exists");
    assert!(
        matches!(&refused, StorageError::DestinationExists { path } if path == &destination),
        "{refused:?}"
    );
    assert!(refused.to_string().contains("taken.db"), "{refused}");
    assert_eq!(
        std::fs::read(&destination).expect("still there"),
        b"keep me"
    );

    let missing = folder.path().join("missing.db");
    let refused = copy_database(&missing, &folder.path().join("copy.db")).expect_err("no source");
    assert!(
        matches!(&refused, StorageError::DatabaseMissing { path } if path == &missing),
        "{refused:?}"
    );
    assert!(!folder.path().join("copy.db").exists(), "no copy left");
}

#[tokio::test]
async fn garbage_empty_and_truncated_files_are_refused() {
    let folder = tempfile::tempdir().expect("tempdir");

    let garbage = folder.path().join("garbage.db");
    std::fs::write(&garbage, vec![b'x'; 8192]).expect("writes");
    let refused = inspect_database(&garbage).expect_err("garbage");
    assert!(
        matches!(&refused, StorageError::NotADatabase { path, .. } if path == &garbage),
        "{refused:?}"
    );
    assert!(refused.to_string().contains("garbage.db"), "{refused}");

    // An empty file is a valid, empty SQLite database, but no service's.
    let empty = folder.path().join("empty.db");
    std::fs::write(&empty, b"").expect("writes");
    let refused = inspect_database(&empty).expect_err("empty");
    assert!(
        matches!(&refused, StorageError::NotAServiceDatabase { path } if path == &empty),
        "{refused:?}"
    );

    let source = folder.path().join("service.db");
    let database = open(&source);
    database
        .write(|connection| {
            for number in 0..2_000 {
                outbox::push(connection, message(number))?;
                connection.execute(
                    "INSERT INTO pairs (batch, side) VALUES (?1, 'left')",
                    params![number as i64],
                )?;
            }
            Ok::<_, StorageError>(())
        })
        .await
        .expect("fills the database");
    database.close().await;
    let truncated = folder.path().join("truncated.db");
    let copy = copy_database(&source, &truncated).expect("copies");
    assert!(copy.bytes > 64 * 1024, "big enough to cut: {}", copy.bytes);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&truncated)
        .expect("opens the copy");
    file.set_len(copy.bytes / 2).expect("truncates");
    drop(file);
    let refused = inspect_database(&truncated).expect_err("truncated");
    assert!(
        matches!(&refused, StorageError::Corrupt { path, .. } if path == &truncated),
        "{refused:?}"
    );
    assert!(refused.to_string().contains("truncated.db"), "{refused}");

    let missing = folder.path().join("missing.db");
    assert!(matches!(
        inspect_database(&missing),
        Err(StorageError::DatabaseMissing { .. })
    ));
}
