//! The processes the chaos test kills and restarts, and its small helpers.

use std::sync::Arc;

use bikestore_contracts::ServiceName;
use bikestore_contracts::orders::Card;
use bikestore_harness::System;
use bikestore_testkit::ChildProcess;

/// The processes the test keeps running: one of each participant and two orchestrators.
pub const SERVICES: [ServiceName; 5] = [
    ServiceName::Inventory,
    ServiceName::Orders,
    ServiceName::Notifications,
    ServiceName::Orchestrator,
    ServiceName::Orchestrator,
];

/// Settings that keep steps, retries and recovery short enough for a bounded run.
const ENV: [(&str, &str); 8] = [
    ("BIKESTORE_ORCHESTRATOR_STEP_TIMEOUT_MS", "1500"),
    ("BIKESTORE_ORCHESTRATOR_MAX_ATTEMPTS", "30"),
    ("BIKESTORE_ORCHESTRATOR_INITIAL_BACKOFF_MS", "50"),
    ("BIKESTORE_ORCHESTRATOR_MAX_BACKOFF_MS", "500"),
    ("BIKESTORE_ORCHESTRATOR_RECOVERY_INTERVAL_MS", "2000"),
    ("BIKESTORE_ORCHESTRATOR_STALE_AFTER_MS", "3000"),
    ("BIKESTORE_ORDERS_PROVIDER_TIMEOUT_MS", "1000"),
    ("BIKESTORE_NOTIFICATIONS_EVENT_ACK_WAIT_MS", "2000"),
];

/// The system's nats-server and data folder, and the service processes on it.
pub struct Fleet {
    pub system: Arc<System>,
    pub processes: Vec<ChildProcess>,
}

impl Fleet {
    /// Starts the process for `SERVICES[index]` (again).
    pub fn spawn(&self, index: usize) -> anyhow::Result<ChildProcess> {
        self.system.spawn_process(SERVICES[index], &ENV)
    }
}

/// The JSON lines of every orchestrator log file under the data folder.
pub fn orchestrator_log_lines(data: &std::path::Path) -> anyhow::Result<Vec<serde_json::Value>> {
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(data.join("logs"))? {
        let path = entry?.path();
        if path
            .file_name()
            .is_some_and(|name| name.to_string_lossy().starts_with("orchestrator.log"))
        {
            for line in std::fs::read_to_string(&path)?.lines() {
                // A process killed mid-write may leave a torn last line.
                if let Ok(value) = serde_json::from_str(line) {
                    lines.push(value);
                }
            }
        }
    }
    Ok(lines)
}

/// A deterministic generator, so a failing run can be repeated.
pub struct Dice(pub u64);

impl Dice {
    pub fn roll(&mut self, sides: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % sides as u64) as usize
    }
}

pub fn card(number: &str) -> Card {
    Card {
        number: number.into(),
        expiry_month: 12,
        expiry_year: 2031,
        cvc: "123".into(),
        holder: "Chaos".into(),
    }
}
