//! The log file's writer: a line is appended to a shared buffer, and a thread of its own
//! writes the buffer to the file every [`WRITE_INTERVAL`], or sooner once it holds
//! [`WRITE_SOON`] bytes.
//!
//! A service writes thousands of lines a second under load. A writer thread woken for each
//! line (as `tracing_appender::non_blocking` does) costs two thread switches a line, more than
//! formatting the line; here a line costs a lock and a copy. A crash that ends the process at
//! once loses at most the last interval's lines, as a channel to a writer thread loses what it
//! holds; dropping the [`LogWriterGuard`] writes everything first. Past [`MAX_BUFFERED`] bytes
//! (a file that cannot keep up) lines are dropped, and the next write says how many.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How long a line may wait in the buffer.
pub const WRITE_INTERVAL: Duration = Duration::from_millis(100);
/// Buffered bytes that wake the writer before its interval is up.
pub const WRITE_SOON: usize = 256 * 1024;
/// Buffered bytes past which lines are dropped.
pub const MAX_BUFFERED: usize = 32 * 1024 * 1024;

/// What callers and the writer thread share.
struct Shared {
    buffer: Mutex<Vec<u8>>,
    wake: Condvar,
    stopping: AtomicBool,
    dropped: AtomicU64,
}

impl Shared {
    fn new() -> Shared {
        Shared {
            buffer: Mutex::new(Vec::with_capacity(WRITE_SOON)),
            wake: Condvar::new(),
            stopping: AtomicBool::new(false),
            dropped: AtomicU64::new(0),
        }
    }

    fn buffer(&self) -> MutexGuard<'_, Vec<u8>> {
        self.buffer.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Hands lines to the writer thread; see the module documentation.
pub struct LogWriter {
    shared: Arc<Shared>,
}

/// Stops the writer thread when dropped, once it has written every line handed to it.
#[must_use = "dropping the guard stops the log writer"]
pub struct LogWriterGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// Starts a writer thread that writes to `file`.
pub fn log_writer<W: Write + Send + 'static>(file: W) -> io::Result<(LogWriter, LogWriterGuard)> {
    let shared = Arc::new(Shared::new());
    let thread = std::thread::Builder::new()
        .name("log-writer".into())
        .spawn({
            let shared = Arc::clone(&shared);
            move || write_until_stopped(&shared, file)
        })?;
    Ok((
        LogWriter {
            shared: Arc::clone(&shared),
        },
        LogWriterGuard {
            shared,
            thread: Some(thread),
        },
    ))
}

fn write_until_stopped<W: Write>(shared: &Shared, mut file: W) {
    let mut writing = Vec::with_capacity(WRITE_SOON);
    loop {
        let stopping = {
            let mut buffer = shared.buffer();
            if buffer.len() < WRITE_SOON && !shared.stopping.load(Ordering::Acquire) {
                buffer = shared
                    .wake
                    .wait_timeout(buffer, WRITE_INTERVAL)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
            std::mem::swap(&mut *buffer, &mut writing);
            shared.stopping.load(Ordering::Acquire)
        };
        let dropped = shared.dropped.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            let _ = writeln!(
                file,
                "{{\"level\":\"WARN\",\"fields\":{{\"message\":\"{dropped} log lines dropped: the log file could not keep up\"}}}}"
            );
        }
        // A failed write loses its batch: there is nowhere better to say so.
        if !writing.is_empty() {
            let _ = file.write_all(&writing);
            let _ = file.flush();
            writing.clear();
        }
        if stopping && shared.buffer().is_empty() {
            return;
        }
    }
}

/// One line's writer: a borrow of what the writer thread shares, so a line costs no count.
pub struct LineWriter<'a> {
    shared: &'a Shared,
}

impl Write for LineWriter<'_> {
    fn write(&mut self, line: &[u8]) -> io::Result<usize> {
        let mut buffer = self.shared.buffer();
        if buffer.len() + line.len() > MAX_BUFFERED {
            self.shared.dropped.fetch_add(1, Ordering::Relaxed);
            return Ok(line.len());
        }
        buffer.extend_from_slice(line);
        if buffer.len() >= WRITE_SOON {
            self.shared.wake.notify_one();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'writer> MakeWriter<'writer> for LogWriter {
    type Writer = LineWriter<'writer>;

    fn make_writer(&'writer self) -> LineWriter<'writer> {
        LineWriter {
            shared: &self.shared,
        }
    }
}

impl Drop for LogWriterGuard {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::Release);
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    /// A file that hands each write to the test.
    struct Writes(mpsc::Sender<Vec<u8>>);

    impl Write for Writes {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            let _ = self.0.send(bytes.to_vec());
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_are_written_together_within_the_interval() {
        let (sent, writes) = mpsc::channel();
        let (writer, _guard) = log_writer(Writes(sent)).expect("a test write");
        for number in 0..100 {
            writer
                .make_writer()
                .write_all(format!("line {number}\n").as_bytes())
                .expect("a test write");
        }
        let mut written = Vec::new();
        let mut write_calls = 0;
        while written.len() < 690 {
            written.extend(
                writes
                    .recv_timeout(WRITE_INTERVAL * 20)
                    .expect("written within the interval"),
            );
            write_calls += 1;
        }
        let text = String::from_utf8(written).expect("a test write");
        assert_eq!(text.lines().count(), 100);
        assert!(text.starts_with("line 0\n") && text.ends_with("line 99\n"));
        assert!(write_calls < 10, "{write_calls} writes for 100 lines");
    }

    #[test]
    fn dropping_the_guard_writes_every_line_first() {
        let (sent, writes) = mpsc::channel();
        let (writer, guard) = log_writer(Writes(sent)).expect("a test write");
        writer
            .make_writer()
            .write_all(b"last words\n")
            .expect("a test write");
        drop(guard);
        let written: Vec<u8> = writes.try_iter().flatten().collect();
        assert_eq!(written, b"last words\n");
    }

    #[test]
    fn a_full_buffer_drops_a_line_and_counts_it() {
        let writer = LogWriter {
            shared: Arc::new(Shared::new()),
        };
        writer.shared.buffer().resize(MAX_BUFFERED - 4, b'\n');
        writer
            .make_writer()
            .write_all(b"one too many\n")
            .expect("a test write");
        writer
            .make_writer()
            .write_all(b"fit\n")
            .expect("a test write");
        assert_eq!(writer.shared.dropped.load(Ordering::Relaxed), 1);
        assert!(writer.shared.buffer().ends_with(b"\nfit\n"));
    }

    #[test]
    fn the_writer_says_how_many_lines_were_dropped() {
        let (sent, writes) = mpsc::channel();
        let (writer, guard) = log_writer(Writes(sent)).expect("a test write");
        writer.shared.dropped.store(3, Ordering::Relaxed);
        writer
            .make_writer()
            .write_all(b"after the gap\n")
            .expect("a test write");
        drop(guard);
        let written: Vec<u8> = writes.try_iter().flatten().collect();
        let text = String::from_utf8_lossy(&written);
        assert!(text.contains("3 log lines dropped"), "{text}");
        assert!(text.ends_with("after the gap\n"), "{text}");
    }
}
