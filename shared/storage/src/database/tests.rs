//! The writer, reader pool, migrations, inbox and outbox against real SQLite files.

use std::sync::Arc;

use super::*;
use crate::{inbox, outbox};

const MIGRATIONS: &[&str] = &[
    "CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL);
     INSERT INTO counter VALUES (1, 0);",
    "ALTER TABLE counter ADD COLUMN note TEXT;",
];

fn open(directory: &tempfile::TempDir) -> Database {
    Database::open(
        &directory.path().join("test.db"),
        MIGRATIONS,
        &DatabaseOptions::default(),
    )
    .expect("opens")
}

async fn value(database: &Database) -> i64 {
    database
        .read(|connection| {
            connection
                .query_row("SELECT value FROM counter WHERE id = 1", [], |row| {
                    row.get(0)
                })
                .map_err(StorageError::from)
        })
        .await
        .expect("reads")
}

#[tokio::test]
async fn migrations_run_once_and_survive_reopening() {
    let directory = tempfile::tempdir().expect("tempdir");
    let database = open(&directory);
    database
        .write(|connection| {
            connection.execute("UPDATE counter SET value = 5, note = 'x'", [])?;
            Ok::<_, StorageError>(())
        })
        .await
        .expect("writes");
    database.close().await;
    let reopened = open(&directory);
    assert_eq!(value(&reopened).await, 5);
}

#[tokio::test]
async fn a_failing_job_rolls_back_only_itself() {
    let directory = tempfile::tempdir().expect("tempdir");
    let database = Arc::new(open(&directory));
    let mut tasks = Vec::new();
    for index in 0..50 {
        let database = Arc::clone(&database);
        tasks.push(tokio::spawn(async move {
            database
                .write(move |connection| {
                    connection.execute("UPDATE counter SET value = value + 1", [])?;
                    if index % 5 == 0 {
                        return Err(StorageError::WriterStopped);
                    }
                    Ok(())
                })
                .await
        }));
    }
    let mut failures = 0;
    for task in tasks {
        if task.await.expect("joins").is_err() {
            failures += 1;
        }
    }
    assert_eq!(failures, 10);
    assert_eq!(value(&database).await, 40);
}

#[tokio::test]
async fn a_panicking_job_is_an_error_and_the_writer_carries_on() {
    let directory = tempfile::tempdir().expect("tempdir");
    let database = open(&directory);
    let result: Result<(), StorageError> = database
        .write(|connection| {
            connection.execute("UPDATE counter SET value = 99", [])?;
            panic!("boom")
        })
        .await;
    assert!(matches!(result, Err(StorageError::JobPanicked(ref text)) if text == "boom"));
    assert_eq!(value(&database).await, 0);
    database
        .write(|connection| {
            connection.execute("UPDATE counter SET value = 1", [])?;
            Ok::<_, StorageError>(())
        })
        .await
        .expect("the writer still works");
    assert_eq!(value(&database).await, 1);
}

#[tokio::test]
async fn inbox_and_outbox_rows_commit_with_the_change() {
    let directory = tempfile::tempdir().expect("tempdir");
    let database = open(&directory);
    database
        .write(|connection| {
            let reply = inbox::RecordedReply {
                body: vec![1, 2],
                is_error: false,
            };
            inbox::record(connection, "op", "key-1", &reply, 10)?;
            outbox::push(
                connection,
                outbox::OutboxMessage {
                    sequence: 0,
                    message_id: "m1".into(),
                    subject: "s".into(),
                    content_type: "application/json".into(),
                    schema_version: 1,
                    payload: b"{}".to_vec(),
                    created_at_ms: 10,
                    traceparent: Some(
                        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into(),
                    ),
                },
            )?;
            Ok::<_, StorageError>(())
        })
        .await
        .expect("writes");
    let (recorded, pending) = database
        .read(|connection| {
            Ok::<_, StorageError>((
                inbox::find(connection, "op", "key-1")?,
                outbox::pending(connection, 10)?,
            ))
        })
        .await
        .expect("reads");
    assert_eq!(recorded.map(|reply| reply.body), Some(vec![1, 2]));
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].message_id, "m1");
    assert_eq!(
        pending[0].traceparent.as_deref(),
        Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    );
}

#[tokio::test]
async fn an_outbox_from_before_the_trace_column_gains_it_and_keeps_its_rows() {
    let directory = tempfile::tempdir().expect("tempdir");
    let path = directory.path().join("test.db");
    {
        let connection = Connection::open(&path).expect("opens");
        connection
            .execute_batch(
                "CREATE TABLE storage_outbox (
                     sequence INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT NOT NULL UNIQUE,
                     subject TEXT NOT NULL, content_type TEXT NOT NULL,
                     schema_version INTEGER NOT NULL, payload BLOB NOT NULL,
                     created_at INTEGER NOT NULL);
                 INSERT INTO storage_outbox
                     (message_id, subject, content_type, schema_version, payload, created_at)
                 VALUES ('old', 's', 'application/json', 1, x'7b7d', 5);",
            )
            .expect("an outbox of the earlier schema");
    }
    let database = Database::open(&path, MIGRATIONS, &DatabaseOptions::default()).expect("opens");
    let pending = database
        .read(|connection| outbox::pending(connection, 10))
        .await
        .expect("reads");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].message_id, "old");
    assert_eq!(pending[0].traceparent, None);
}

#[tokio::test]
async fn reads_are_refused_writes() {
    let directory = tempfile::tempdir().expect("tempdir");
    let database = open(&directory);
    let result = database
        .read(|connection| {
            connection
                .execute("UPDATE counter SET value = 7", [])
                .map_err(StorageError::from)
        })
        .await;
    assert!(result.is_err());
}

#[tokio::test]
async fn pruning_forgets_only_replies_older_than_the_cutoff() {
    let directory = tempfile::tempdir().expect("tempdir");
    let database = open(&directory);
    let removed = database
        .write(|connection| {
            let reply = inbox::RecordedReply {
                body: vec![],
                is_error: false,
            };
            inbox::record(connection, "op", "old", &reply, 100)?;
            inbox::record(connection, "op", "new", &reply, 300)?;
            inbox::prune(connection, 200)
        })
        .await
        .expect("writes");
    assert_eq!(removed, 1);
    let (old, new) = database
        .read(|connection| {
            Ok::<_, StorageError>((
                inbox::find(connection, "op", "old")?,
                inbox::find(connection, "op", "new")?,
            ))
        })
        .await
        .expect("reads");
    assert!(old.is_none() && new.is_some());
}

#[tokio::test]
async fn a_read_by_key_sees_commits_refuses_writes_and_keeps_its_connection_after_a_panic() {
    let directory = tempfile::tempdir().expect("tempdir");
    let database = Arc::new(open(&directory));
    database
        .write(|connection| {
            connection
                .execute("UPDATE counter SET value = 5", [])
                .map_err(StorageError::from)
        })
        .await
        .expect("writes");
    let read = |connection: &rusqlite::Connection| {
        connection
            .query_row("SELECT value FROM counter WHERE id = 1", [], |row| {
                row.get::<_, i64>(0)
            })
            .map_err(StorageError::from)
    };
    assert_eq!(database.read_by_key(read).await.expect("reads"), 5);
    let refused = database
        .read_by_key(|connection| {
            connection
                .execute("UPDATE counter SET value = 7", [])
                .map_err(StorageError::from)
        })
        .await;
    assert!(refused.is_err());
    // Every connection of the pool panics once; each must come back, or the reads after
    // would wait for ever.
    for _ in 0..DatabaseOptions::default().readers.max(1) {
        let database = Arc::clone(&database);
        let panicked = tokio::spawn(async move {
            database
                .read_by_key(|_connection| -> Result<(), StorageError> {
                    panic!("a bug in a read")
                })
                .await
        });
        assert!(panicked.await.is_err(), "the read panicked");
    }
    let after = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        database.read_by_key(read),
    );
    assert_eq!(
        after.await.expect("a connection is free").expect("reads"),
        5
    );
}

fn outbox_row(message_id: &str) -> outbox::OutboxMessage {
    outbox::OutboxMessage {
        sequence: 0,
        message_id: message_id.into(),
        subject: "s".into(),
        content_type: "application/json".into(),
        schema_version: 1,
        payload: b"{}".to_vec(),
        created_at_ms: 1,
        traceparent: None,
    }
}

#[tokio::test]
async fn rows_marked_relayed_go_with_the_next_batch_and_only_they() {
    let directory = tempfile::tempdir().expect("tempdir");
    let database = open(&directory);
    let push = |message_id: &'static str| {
        move |connection: &Connection| outbox::push(connection, outbox_row(message_id))
    };
    for message_id in ["a", "b", "c"] {
        database.write(push(message_id)).await.expect("writes");
    }
    database.mark_relayed(2);
    database.mark_relayed(1);
    assert_eq!(database.relayed_up_to(), 2, "the mark never goes back");
    let ids = |messages: Vec<outbox::OutboxMessage>| -> Vec<String> {
        messages
            .into_iter()
            .map(|message| message.message_id)
            .collect()
    };
    let after_mark = database
        .read(move |connection| outbox::pending_after(connection, 2, 10))
        .await
        .expect("reads");
    assert_eq!(
        ids(after_mark),
        ["c"],
        "the relay reads past what it published"
    );
    let all = database
        .read(|connection| outbox::pending(connection, 10))
        .await
        .expect("reads");
    assert_eq!(all.len(), 3, "nothing is removed before a batch runs");
    database.write(push("d")).await.expect("writes");
    let left = database
        .read(|connection| outbox::pending(connection, 10))
        .await
        .expect("reads");
    assert_eq!(
        ids(left),
        ["c", "d"],
        "the next batch removed a and b, with its own work"
    );
}

/// Runs a statement with a bound `LIMIT` three times with different values, and answers how
/// often SQLite compiled it again.
fn recompilations(connection: &rusqlite::Connection) -> Result<i32, StorageError> {
    const SQL: &str = "SELECT id FROM counter WHERE id > ?1 ORDER BY id LIMIT ?2";
    for limit in 1..=3_i64 {
        connection
            .prepare_cached(SQL)?
            .query_map(rusqlite::params![limit - 1, limit], |row| {
                row.get::<_, i64>(0)
            })?
            .collect::<Result<Vec<_>, _>>()?;
    }
    let statement = connection.prepare_cached(SQL)?;
    Ok(statement.get_status(rusqlite::StatementStatus::RePrepare))
}

#[tokio::test]
async fn a_cached_statement_is_not_compiled_again_for_new_bound_values() {
    // Under the bundled SQLite's STAT4 a new `LIMIT ?` value expired the statement, so hot
    // queries (the relay's outbox read, notifications' due deliveries) were compiled every run.
    let directory = tempfile::tempdir().expect("tempdir");
    let database = open(&directory);
    let by_reader = database.read(recompilations).await.expect("reads");
    let by_writer = database.write(recompilations).await.expect("writes");
    assert_eq!((by_reader, by_writer), (0, 0));
}

/// The sub-journal of each job's savepoint stays in memory, however many pages a job changes
/// (it spilled to a temporary file past 64 KiB, and that file then grew for the whole batch),
/// and rolling a large job back still undoes exactly that job.
#[tokio::test]
async fn savepoints_journal_in_memory_and_a_large_job_still_rolls_back_alone() {
    let directory = tempfile::tempdir().expect("tempdir");
    let database = Arc::new(open(&directory));
    let temp_store: i64 = database
        .write(|connection| {
            connection
                .query_row("PRAGMA temp_store", [], |row| row.get(0))
                .map_err(StorageError::from)
        })
        .await
        .expect("reads the pragma");
    assert_eq!(temp_store, 2, "the writer keeps temporary data in memory");
    database
        .write(|connection| {
            connection.execute_batch("CREATE TABLE filler (id INTEGER PRIMARY KEY, pad BLOB)")?;
            Ok::<_, StorageError>(())
        })
        .await
        .expect("creates the table");
    let kept = database.write(|connection| {
        connection.execute("UPDATE counter SET value = 7", [])?;
        Ok::<_, StorageError>(())
    });
    let undone = database.write(|connection| {
        // About 2 MiB of new pages, far past the 64 KiB a sub-journal once held in memory.
        for id in 0..512 {
            connection.execute(
                "INSERT INTO filler (id, pad) VALUES (?1, zeroblob(4000))",
                [id],
            )?;
        }
        connection.execute("UPDATE counter SET value = 99", [])?;
        Err::<(), _>(StorageError::ReadCancelled)
    });
    let (kept, undone) = tokio::join!(kept, undone);
    kept.expect("the first job commits");
    assert!(undone.is_err(), "the large job fails");
    assert_eq!(value(&database).await, 7);
    let filler: i64 = database
        .read(|connection| {
            connection
                .query_row("SELECT COUNT(*) FROM filler", [], |row| row.get(0))
                .map_err(StorageError::from)
        })
        .await
        .expect("counts");
    assert_eq!(filler, 0, "nothing of the failed job is left");
}

fn message_ids_and_sequences(messages: &[outbox::OutboxMessage]) -> Vec<(String, i64)> {
    messages
        .iter()
        .map(|message| (message.message_id.clone(), message.sequence))
        .collect()
}

#[tokio::test]
async fn committed_outbox_rows_are_handed_over_in_order_and_rolled_back_ones_never() {
    let directory = tempfile::tempdir().expect("tempdir");
    let database = open(&directory);
    assert_eq!(
        database.take_committed_outbox(0, 10),
        None,
        "at start rows from before may wait: the outbox must be read"
    );
    database
        .write(|connection: &Connection| {
            outbox::push(connection, outbox_row("a1"))?;
            outbox::push(connection, outbox_row("a2"))
        })
        .await
        .expect("writes");
    let refused = database
        .write(|connection: &Connection| {
            outbox::push(connection, outbox_row("refused"))?;
            Err::<(), _>(StorageError::JobPanicked("the command refused".into()))
        })
        .await;
    assert!(refused.is_err());
    database
        .write(|connection: &Connection| outbox::push(connection, outbox_row("c1")))
        .await
        .expect("writes");

    let handed_over = database
        .take_committed_outbox(0, 10)
        .expect("every row after 0 came through this writer");
    let stored = database
        .read(|connection| outbox::pending(connection, 10))
        .await
        .expect("reads");
    assert_eq!(
        message_ids_and_sequences(&handed_over),
        [("a1".into(), 1), ("a2".into(), 2), ("c1".into(), 3)],
        "committed rows in order with their sequences, the refused job's not among them"
    );
    assert_eq!(handed_over, stored, "the very rows the outbox holds");
    assert_eq!(
        database.take_committed_outbox(3, 10),
        Some(Vec::new()),
        "taken rows are not answered again"
    );
}

#[tokio::test]
async fn a_row_that_did_not_come_through_the_writer_sends_the_relay_to_the_outbox() {
    let directory = tempfile::tempdir().expect("tempdir");
    let database = open(&directory);
    assert_eq!(database.take_committed_outbox(0, 10), None, "at start");
    let other_process =
        Connection::open(directory.path().join("test.db")).expect("a second connection opens");
    other_process
        .busy_timeout(Duration::from_secs(5))
        .expect("sets a busy timeout");
    outbox::push(&other_process, outbox_row("elsewhere")).expect("the other process writes");
    database
        .write(|connection: &Connection| outbox::push(connection, outbox_row("here")))
        .await
        .expect("writes");
    assert_eq!(
        database.take_committed_outbox(0, 10),
        None,
        "row 1 came from elsewhere: only a read finds it"
    );
    let read = database
        .read(|connection| outbox::pending_after(connection, 0, 10))
        .await
        .expect("reads");
    assert_eq!(
        message_ids_and_sequences(&read),
        [("elsewhere".into(), 1), ("here".into(), 2)]
    );
    database.mark_relayed(2);
    assert_eq!(
        database.take_committed_outbox(2, 10),
        Some(Vec::new()),
        "a row published from the read is not handed over again"
    );
}

#[tokio::test]
async fn an_overflowing_hand_over_sends_the_relay_to_the_outbox() {
    let directory = tempfile::tempdir().expect("tempdir");
    let database = open(&directory);
    assert_eq!(database.take_committed_outbox(0, 10), None, "at start");
    database
        .write(|connection: &Connection| {
            for number in 0..=crate::committed::CAPACITY {
                outbox::push(connection, outbox_row(&format!("row-{number}")))?;
            }
            Ok::<(), StorageError>(())
        })
        .await
        .expect("writes");
    assert_eq!(
        database.take_committed_outbox(0, 10),
        None,
        "more rows than the hand-over holds: they must be read"
    );
    database
        .write(|connection: &Connection| outbox::push(connection, outbox_row("next")))
        .await
        .expect("writes");
    assert_eq!(
        database.take_committed_outbox(0, 10),
        None,
        "the rows it forgot still come before the next one"
    );
}
