//! CPU time, from `/proc`: this process (the load, the floor's responders and every service,
//! which all run here) plus the private nats-server (every node of a private cluster). CPU per saga is steadier than a rate when
//! other programs share the machine, because their work is not counted.

use std::time::Duration;

/// Linux's clock tick for `/proc/<pid>/stat` times (`USER_HZ`), fixed at 100 on every
/// mainstream architecture.
const TICKS_PER_SECOND: u64 = 100;

/// Reads the CPU time of this process and, if known, of nats-server.
#[derive(Debug, Clone)]
pub struct CpuClock {
    nats_pids: Vec<u32>,
}

/// CPU time used so far; `None` where `/proc` could not tell.
#[derive(Debug, Clone, Copy)]
pub struct CpuSample {
    process: Option<Duration>,
    nats: Option<Duration>,
}

impl CpuClock {
    /// A clock over this process and `nats_pids` (the private server's nodes; none when
    /// attached).
    pub fn new(nats_pids: Vec<u32>) -> CpuClock {
        CpuClock { nats_pids }
    }

    /// Whether nats-server's time is counted.
    pub fn counts_nats(&self) -> bool {
        !self.nats_pids.is_empty()
    }

    /// The CPU time used until now.
    pub fn sample(&self) -> CpuSample {
        CpuSample {
            process: process_time("self"),
            nats: self
                .nats_pids
                .iter()
                .map(|pid| process_time(&pid.to_string()))
                .sum(),
        }
    }
}

impl CpuSample {
    /// CPU time used between `earlier` and this sample, if both could be read.
    pub fn since(&self, earlier: &CpuSample) -> Option<Duration> {
        let process = self.process?.checked_sub(earlier.process?)?;
        let nats = match (self.nats, earlier.nats) {
            (Some(now), Some(then)) => now.checked_sub(then)?,
            _ => Duration::ZERO,
        };
        Some(process + nats)
    }
}

/// User plus system time of `/proc/<pid>/stat`.
fn process_time(pid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces; the fields follow the last ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // Fields 14 and 15 of the file (utime, stime); the slice starts at field 3.
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis(
        (user + system) * 1000 / TICKS_PER_SECOND,
    ))
}
