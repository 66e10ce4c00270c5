//! A progress bar per part on stderr: redrawn in place on a terminal, and a line when a part
//! starts and ends otherwise (a log or CI keeps only those).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// How often a terminal's bar is redrawn at most.
const REDRAW_EVERY: Duration = Duration::from_millis(100);

/// The width of the bar itself, in characters.
const BAR_WIDTH: usize = 30;

/// What a part counts its work in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Bytes, shown in KiB or MiB.
    Bytes,
    /// Saga records.
    Records,
}

/// One part's progress.
pub struct Progress {
    label: String,
    unit: Unit,
    total: u64,
    done: u64,
    started: Instant,
    drawn: Option<Instant>,
    terminal: bool,
}

impl Progress {
    /// Starts a part of `total` units (0 when not known ahead).
    pub fn start(label: impl Into<String>, unit: Unit, total: u64) -> Progress {
        let progress = Progress {
            label: label.into(),
            unit,
            total,
            done: 0,
            started: Instant::now(),
            drawn: None,
            terminal: std::io::stderr().is_terminal(),
        };
        if !progress.terminal {
            eprintln!("{}: started ({})", progress.label, progress.amount(total));
        }
        progress
    }

    /// Sets how much is done.
    pub fn set(&mut self, done: u64) {
        self.done = done;
        if self.terminal
            && self
                .drawn
                .is_none_or(|drawn| drawn.elapsed() >= REDRAW_EVERY)
        {
            self.draw();
        }
    }

    /// Adds to what is done.
    pub fn add(&mut self, more: u64) {
        self.set(self.done.saturating_add(more));
    }

    /// Ends the part with a summary of what it holds.
    pub fn finish(mut self, summary: &str) {
        self.total = self.total.max(self.done);
        let elapsed = self.started.elapsed().as_secs_f64();
        if self.terminal {
            self.done = self.total;
            self.draw();
            eprintln!(" {summary} in {elapsed:.1} s");
        } else {
            eprintln!("{}: {summary} in {elapsed:.1} s", self.label);
        }
    }

    fn draw(&mut self) {
        self.drawn = Some(Instant::now());
        let filled = if self.total == 0 {
            0
        } else {
            ((self.done.min(self.total) as u128 * BAR_WIDTH as u128) / self.total as u128) as usize
        };
        let bar = format!("{}{}", "#".repeat(filled), ".".repeat(BAR_WIDTH - filled));
        let mut stderr = std::io::stderr().lock();
        // A failed write to stderr has nowhere to be reported.
        let _ = write!(
            stderr,
            "\r{:<32} [{bar}] {} of {}",
            self.label,
            self.amount(self.done),
            self.amount(self.total)
        );
        let _ = stderr.flush();
    }

    fn amount(&self, count: u64) -> String {
        match self.unit {
            Unit::Records => format!("{count} records"),
            Unit::Bytes => human_bytes(count),
        }
    }
}

/// `count` bytes as people read them: `512 B`, `12.3 KiB`, `4.5 MiB`, `1.2 GiB`.
pub fn human_bytes(count: u64) -> String {
    const KIB: f64 = 1024.0;
    let bytes = count as f64;
    if bytes < KIB {
        format!("{count} B")
    } else if bytes < KIB * KIB {
        format!("{:.1} KiB", bytes / KIB)
    } else if bytes < KIB * KIB * KIB {
        format!("{:.1} MiB", bytes / (KIB * KIB))
    } else {
        format!("{:.1} GiB", bytes / (KIB * KIB * KIB))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_as_people_read_them() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(12 * 1024 + 300), "12.3 KiB");
        assert_eq!(human_bytes(5 * 1024 * 1024), "5.0 MiB");
    }
}
