//! Outbox rows handed to the relay as they commit, so it need not read them back.
//!
//! On the writer thread, [`outbox::push`](crate::outbox::push) keeps each message it writes,
//! with its sequence. The writer drops a job's messages when the job's savepoint rolls back, and
//! after each `COMMIT` moves the batch's to the database's [`CommittedOutbox`]; a failed commit
//! drops them. So the queue only ever holds rows that are committed, in sequence order.
//!
//! The queue is a shortcut, never the truth: [`CommittedOutbox::take`] answers `None`, and the
//! relay reads the outbox instead, whenever the queue cannot vouch for every row after the
//! relay's mark. That is the case at start (rows left from before), after the queue overflowed
//! (a relay that could not publish for long), and at a gap in the sequences (a row this writer
//! did not hand over: another process's, or one whose savepoint ended oddly).

use std::cell::RefCell;
use std::sync::{Arc, Mutex, PoisonError};

use crate::outbox::OutboxMessage;

/// Rows the queue holds at most; past it, it forgets them all and the relay reads instead.
pub(crate) const CAPACITY: usize = 4096;

thread_local! {
    /// The rows the current batch wrote, on the writer thread only (`None` elsewhere).
    static WRITTEN: RefCell<Option<Vec<OutboxMessage>>> = const { RefCell::new(None) };
}

/// Makes the calling thread (the writer) keep copies of the outbox rows it writes.
pub(crate) fn keep_written_rows() {
    WRITTEN.with(|written| *written.borrow_mut() = Some(Vec::new()));
}

/// Keeps `message`, just written as row `sequence`, if this is the writer thread.
pub(crate) fn written(message: OutboxMessage, sequence: i64) {
    WRITTEN.with(|written| {
        if let Some(rows) = written.borrow_mut().as_mut() {
            rows.push(OutboxMessage {
                sequence,
                ..message
            });
        }
    });
}

/// How many rows the current batch has written so far: a job's start, to undo it from.
pub(crate) fn written_so_far() -> usize {
    WRITTEN.with(|written| written.borrow().as_ref().map_or(0, Vec::len))
}

/// Forgets the rows written since `mark`: their job rolled back.
pub(crate) fn forget_written_since(mark: usize) {
    WRITTEN.with(|written| {
        if let Some(rows) = written.borrow_mut().as_mut() {
            rows.truncate(mark);
        }
    });
}

/// Moves the rows the batch wrote, now committed, to `queue` (keeping the room they took for
/// the next batch).
pub(crate) fn hand_over_written(queue: &CommittedOutbox) {
    WRITTEN.with(|written| {
        if let Some(rows) = written.borrow_mut().as_mut() {
            queue.add(rows);
        }
    });
}

/// The committed rows not yet taken by the relay; see the module documentation.
#[derive(Clone)]
pub(crate) struct CommittedOutbox(Arc<Mutex<Queue>>);

struct Queue {
    rows: Vec<OutboxMessage>,
    /// Whether rows may be missing before those held: at start and after an overflow.
    incomplete: bool,
}

impl CommittedOutbox {
    pub(crate) fn new() -> CommittedOutbox {
        CommittedOutbox(Arc::new(Mutex::new(Queue {
            rows: Vec::new(),
            incomplete: true,
        })))
    }

    /// Moves in the rows of a batch that has just committed.
    fn add(&self, committed: &mut Vec<OutboxMessage>) {
        if committed.is_empty() {
            return;
        }
        let mut queue = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if queue.rows.len() + committed.len() > CAPACITY {
            queue.rows.clear();
            committed.clear();
            queue.incomplete = true;
            return;
        }
        queue.rows.append(committed);
    }

    /// Up to `limit` committed rows following `after` without a gap, taken out of the queue;
    /// `None` when the queue cannot vouch for the rows right after `after`, so the outbox
    /// must be read. Rows up to `after` (published from a read) are dropped.
    pub(crate) fn take(&self, after: i64, limit: usize) -> Option<Vec<OutboxMessage>> {
        let mut queue = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if std::mem::replace(&mut queue.incomplete, false) {
            // The read this asks for sees every row committed before it; later ones queue.
            return None;
        }
        let published = queue.rows.partition_point(|row| row.sequence <= after);
        queue.rows.drain(..published);
        let mut expected = after;
        let following = queue
            .rows
            .iter()
            .take(limit)
            .take_while(|row| {
                expected += 1;
                row.sequence == expected
            })
            .count();
        if following == 0 && !queue.rows.is_empty() {
            return None;
        }
        Some(queue.rows.drain(..following).collect())
    }
}
