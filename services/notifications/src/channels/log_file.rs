//! The log-file channel: one JSON line per notification, appended to a file that is rotated by
//! size (`notifications.log`, then `.1` up to `.<keep>`, oldest dropped).
//!
//! Files are written from `spawn_blocking`, never on a runtime worker. A line is written before
//! its delivery is recorded in the database, so a crash in between would write it again after
//! the restart; to prevent that the channel remembers the IDs of the last lines it wrote, read
//! back from the end of the file when it opens it, and skips a notification it finds there.

use std::collections::{HashSet, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bikestore_contracts::notifications::Notification;
use futures::future::BoxFuture;

use crate::channels::{Channel, ChannelError};

/// How many recently written notification IDs are remembered; far more than a crash can leave
/// written but unrecorded (one delivery batch).
const REMEMBERED: usize = 4096;
/// How much of the end of the log files is read at start to find the IDs already written.
const TAIL_BYTES: u64 = 1024 * 1024;

/// Appends notifications to a rotating log file.
pub struct LogFileChannel {
    file: Arc<Mutex<RotatingLog>>,
}

impl LogFileChannel {
    /// The channel's name.
    pub const NAME: &'static str = "log_file";

    /// A channel writing to `path`, rotating it before it grows past `max_bytes`, keeping `keep`
    /// old files. The file is opened on the first delivery.
    pub fn new(path: PathBuf, max_bytes: u64, keep: u32) -> LogFileChannel {
        LogFileChannel {
            file: Arc::new(Mutex::new(RotatingLog {
                path,
                max_bytes: max_bytes.max(1),
                keep,
                open: None,
                remembered: Remembered::default(),
            })),
        }
    }
}

impl Channel for LogFileChannel {
    fn name(&self) -> &'static str {
        LogFileChannel::NAME
    }

    fn deliver<'a>(
        &'a self,
        notification: &'a Notification,
    ) -> BoxFuture<'a, Result<(), ChannelError>> {
        let file = Arc::clone(&self.file);
        let notification_id = notification.notification_id.0;
        let line = log_line(notification);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                // A panic while holding the lock cannot leave the state half-changed in a way
                // that matters: at worst the size is stale and the next rotation comes early.
                let mut log = file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                log.append(notification_id, &line)
            })
            .await
            .map_err(|_| ChannelError::TaskStopped)?
            .map_err(ChannelError::LogFile)
        })
    }

    fn deliver_all<'a>(
        &'a self,
        notifications: &'a [Notification],
    ) -> BoxFuture<'a, Vec<Result<(), ChannelError>>> {
        let file = Arc::clone(&self.file);
        let lines: Vec<(i64, String)> = notifications
            .iter()
            .map(|notification| (notification.notification_id.0, log_line(notification)))
            .collect();
        let count = lines.len();
        Box::pin(async move {
            // One blocking task for the whole round, not one per line.
            let written = tokio::task::spawn_blocking(move || {
                let mut log = file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                lines
                    .iter()
                    .map(|(notification_id, line)| {
                        log.append(*notification_id, line)
                            .map_err(ChannelError::LogFile)
                    })
                    .collect::<Vec<_>>()
            })
            .await;
            written.unwrap_or_else(|_| (0..count).map(|_| Err(ChannelError::TaskStopped)).collect())
        })
    }
}

/// The line for one notification, without its line break.
fn log_line(notification: &Notification) -> String {
    serde_json::json!({
        "at_ms": bikestore_runtime::now_ms(),
        "notification_id": notification.notification_id,
        "kind": notification.kind,
        "audience": notification.audience,
        "customer_id": notification.customer_id,
        "store_id": notification.store_id,
        "created_at_ms": notification.created_at_ms,
        "text": notification.text,
    })
    .to_string()
}

/// The notification ID of a log line.
pub fn notification_id_of(line: &str) -> Option<i64> {
    serde_json::from_str::<serde_json::Value>(line).ok()?["notification_id"].as_i64()
}

struct RotatingLog {
    path: PathBuf,
    max_bytes: u64,
    keep: u32,
    open: Option<OpenLog>,
    remembered: Remembered,
}

struct OpenLog {
    file: File,
    size: u64,
    /// The file ends in a torn line (a crash mid-write); the next line starts on a new one.
    torn: bool,
}

impl RotatingLog {
    fn append(&mut self, notification_id: i64, line: &str) -> std::io::Result<()> {
        if self.open.is_none() {
            self.open = Some(self.open_current()?);
        }
        if self.remembered.contains(notification_id) {
            return Ok(());
        }
        let mut bytes = Vec::with_capacity(line.len() + 2);
        if self.open.as_ref().is_some_and(|open| open.torn) {
            bytes.push(b'\n');
        }
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        let length = bytes.len() as u64;
        if self
            .open
            .as_ref()
            .is_some_and(|open| open.size > 0 && open.size + length > self.max_bytes)
        {
            self.open = None;
            self.rotate()?;
            self.open = Some(self.open_current()?);
            // A fresh file has no torn line to end.
            if bytes.first() == Some(&b'\n') {
                bytes.remove(0);
            }
        }
        let Some(open) = self.open.as_mut() else {
            return Err(std::io::Error::other("the log file is not open"));
        };
        // One write per line, so a crash leaves whole lines (or, at worst, one torn last line).
        // No fsync: a process crash loses nothing the kernel has; the database's default
        // durability profile makes the same trade.
        open.file.write_all(&bytes)?;
        open.size += bytes.len() as u64;
        open.torn = false;
        self.remembered.insert(notification_id);
        Ok(())
    }

    /// Opens the current file, learning its size and the IDs at its end (and at the end of the
    /// newest rotated file, in case the rotation came right after them).
    fn open_current(&mut self) -> std::io::Result<OpenLog> {
        if let Some(folder) = self.path.parent() {
            std::fs::create_dir_all(folder)?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(&self.path)?;
        let size = file.metadata()?.len();
        let tail = read_tail(&mut file, size, TAIL_BYTES)?;
        if (tail.len() as u64) < TAIL_BYTES
            && let Ok(mut rotated) = File::open(rotated_path(&self.path, 1))
        {
            let rotated_size = rotated.metadata()?.len();
            let older = read_tail(&mut rotated, rotated_size, TAIL_BYTES - tail.len() as u64)?;
            self.remember_lines(&older);
        }
        self.remember_lines(&tail);
        let torn = !tail.is_empty() && !tail.ends_with(b"\n");
        Ok(OpenLog { file, size, torn })
    }

    fn remember_lines(&mut self, bytes: &[u8]) {
        for line in String::from_utf8_lossy(bytes).lines() {
            if let Some(notification_id) = notification_id_of(line) {
                self.remembered.insert(notification_id);
            }
        }
    }

    /// `log.<keep-1>` becomes `log.<keep>` (replacing it), ..., `log` becomes `log.1`.
    fn rotate(&self) -> std::io::Result<()> {
        if self.keep == 0 {
            return std::fs::remove_file(&self.path);
        }
        for generation in (1..self.keep).rev() {
            let from = rotated_path(&self.path, generation);
            match std::fs::rename(&from, rotated_path(&self.path, generation + 1)) {
                Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
                _ => {}
            }
        }
        std::fs::rename(&self.path, rotated_path(&self.path, 1))
    }
}

/// `notifications.log.3` for generation 3.
pub fn rotated_path(path: &Path, generation: u32) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{generation}"));
    PathBuf::from(name)
}

/// The last `limit` bytes of `file` (of `size`), starting at a line boundary.
fn read_tail(file: &mut File, size: u64, limit: u64) -> std::io::Result<Vec<u8>> {
    let start = size.saturating_sub(limit);
    file.seek(SeekFrom::Start(start))?;
    let mut tail = Vec::new();
    file.take(limit).read_to_end(&mut tail)?;
    if start > 0 {
        // The first line is cut; drop it.
        let first_break = tail.iter().position(|byte| *byte == b'\n');
        tail.drain(..first_break.map_or(tail.len(), |index| index + 1));
    }
    Ok(tail)
}

/// The last [`REMEMBERED`] IDs written.
#[derive(Default)]
struct Remembered {
    order: VecDeque<i64>,
    set: HashSet<i64>,
}

impl Remembered {
    fn contains(&self, notification_id: i64) -> bool {
        self.set.contains(&notification_id)
    }

    fn insert(&mut self, notification_id: i64) {
        if self.set.insert(notification_id) {
            self.order.push_back(notification_id);
        }
        while self.order.len() > REMEMBERED {
            if let Some(oldest) = self.order.pop_front() {
                self.set.remove(&oldest);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use bikestore_contracts::notifications::{Audience, DeliveryStatus, NotificationKind};
    use bikestore_contracts::{NotificationId, StoreId};

    use super::*;

    fn notification(id: i64) -> Notification {
        Notification {
            notification_id: NotificationId(id),
            kind: NotificationKind::LowStock,
            audience: Audience::Store,
            customer_id: None,
            store_id: Some(StoreId(1)),
            text: format!("line {id}\nwith a break"),
            status: DeliveryStatus::Pending,
            attempts: 0,
            last_error: None,
            created_at_ms: 0,
        }
    }

    fn lines(path: &Path) -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[tokio::test]
    async fn rotates_by_size_and_keeps_the_newest_files() -> TestResult {
        let folder = tempfile::tempdir()?;
        let path = folder.path().join("notifications.log");
        let channel = LogFileChannel::new(path.clone(), 600, 2);
        for id in 1..=20 {
            channel.deliver(&notification(id)).await?;
        }
        let current = lines(&path);
        assert!(!current.is_empty());
        assert!(std::fs::metadata(&path)?.len() <= 600);
        assert!(rotated_path(&path, 2).exists());
        assert!(!rotated_path(&path, 3).exists(), "only two old files kept");
        let last = current.last().and_then(|line| notification_id_of(line));
        assert_eq!(last, Some(20));
        Ok(())
    }

    #[tokio::test]
    async fn a_line_already_in_the_file_is_not_written_again_after_a_restart() -> TestResult {
        let folder = tempfile::tempdir()?;
        let path = folder.path().join("notifications.log");
        let first = LogFileChannel::new(path.clone(), 1 << 20, 5);
        for id in 1..=3 {
            first.deliver(&notification(id)).await?;
        }
        drop(first);
        // A crash mid-write leaves a torn last line.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)?
            .write_all(b"{\"notification_id\":4,\"te")?;
        let restarted = LogFileChannel::new(path.clone(), 1 << 20, 5);
        for id in 2..=5 {
            restarted.deliver(&notification(id)).await?;
        }
        let ids: Vec<Option<i64>> = lines(&path)
            .iter()
            .map(|line| notification_id_of(line))
            .collect();
        assert_eq!(ids, [Some(1), Some(2), Some(3), None, Some(4), Some(5)]);
        Ok(())
    }

    #[tokio::test]
    async fn a_round_is_written_in_order_in_one_go_skipping_lines_already_written() -> TestResult {
        let folder = tempfile::tempdir()?;
        let path = folder.path().join("notifications.log");
        let channel = LogFileChannel::new(path.clone(), 1 << 20, 5);
        channel.deliver(&notification(2)).await?;
        let round: Vec<Notification> = (1..=4).map(notification).collect();
        let outcomes = channel.deliver_all(&round).await;
        assert_eq!(outcomes.len(), 4);
        assert!(outcomes.iter().all(Result::is_ok));
        let ids: Vec<Option<i64>> = lines(&path)
            .iter()
            .map(|line| notification_id_of(line))
            .collect();
        assert_eq!(ids, [Some(2), Some(1), Some(3), Some(4)]);
        Ok(())
    }
}
