//! The processes the chaos test kills and restarts, and its small helpers.

use bikestore_contracts::orders::Card;
use bikestore_testkit::{ChildProcess, cargo_bin};

pub const SERVICES: [&str; 5] = [
    "inventory",
    "orders",
    "notifications",
    "orchestrator",
    "orchestrator",
];

pub struct Fleet {
    pub nats_url: String,
    pub data: std::path::PathBuf,
    pub processes: Vec<ChildProcess>,
    pub starts: usize,
}

impl Fleet {
    pub fn spawn(&mut self, index: usize) -> anyhow::Result<ChildProcess> {
        let name = SERVICES[index];
        self.starts += 1;
        let env = [
            ("BIKESTORE_NATS_URL", self.nats_url.clone()),
            ("BIKESTORE_DATA_DIR", self.data.display().to_string()),
            ("BIKESTORE_ORCHESTRATOR_STEP_TIMEOUT_MS", "1500".to_owned()),
            ("BIKESTORE_ORCHESTRATOR_MAX_ATTEMPTS", "30".to_owned()),
            ("BIKESTORE_ORCHESTRATOR_INITIAL_BACKOFF_MS", "50".to_owned()),
            ("BIKESTORE_ORCHESTRATOR_MAX_BACKOFF_MS", "500".to_owned()),
            (
                "BIKESTORE_ORCHESTRATOR_RECOVERY_INTERVAL_MS",
                "2000".to_owned(),
            ),
            ("BIKESTORE_ORCHESTRATOR_STALE_AFTER_MS", "3000".to_owned()),
            ("BIKESTORE_ORDERS_PROVIDER_TIMEOUT_MS", "1000".to_owned()),
            (
                "BIKESTORE_NOTIFICATIONS_EVENT_ACK_WAIT_MS",
                "2000".to_owned(),
            ),
        ];
        let log = self
            .data
            .join(format!("{name}-{index}-{}.out", self.starts));
        ChildProcess::spawn(
            &cargo_bin(&format!("bikestore-{name}"))?,
            &[] as &[&str],
            &env,
            &log,
        )
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
