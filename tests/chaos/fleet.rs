//! What the chaos test kills and restarts, and the test's small helpers: either the processes
//! (every service, two orchestrators, and nats-server itself), each service behind its own
//! fault proxy, or the nodes of a 3-node cluster, one at a time.

use std::collections::BTreeMap;

use bikestore_contracts::ServiceName;
use bikestore_contracts::orders::Card;
use bikestore_harness::System;
use bikestore_testkit::{ChildProcess, FaultCounts, FaultProxy, FaultSchedule};

/// The processes the test keeps running: one of each service and two orchestrators.
pub const SERVICES: [ServiceName; 7] = [
    ServiceName::Identity,
    ServiceName::Inventory,
    ServiceName::Orders,
    ServiceName::Notifications,
    ServiceName::Orchestrator,
    ServiceName::Orchestrator,
    ServiceName::Gateway,
];

/// Settings that keep steps, retries and recovery short enough for a bounded run.
const ENV: [(&str, &str); 9] = [
    ("BIKESTORE_ORCHESTRATOR_STEP_TIMEOUT_MS", "1500"),
    // A dead driver's sagas wait out its lease; it must exceed the step timeout by a second.
    ("BIKESTORE_ORCHESTRATOR_LEASE_MS", "3000"),
    ("BIKESTORE_ORCHESTRATOR_MAX_ATTEMPTS", "30"),
    ("BIKESTORE_ORCHESTRATOR_INITIAL_BACKOFF_MS", "50"),
    ("BIKESTORE_ORCHESTRATOR_MAX_BACKOFF_MS", "500"),
    ("BIKESTORE_ORCHESTRATOR_RECOVERY_INTERVAL_MS", "2000"),
    ("BIKESTORE_ORCHESTRATOR_STALE_AFTER_MS", "3000"),
    ("BIKESTORE_ORDERS_PROVIDER_TIMEOUT_MS", "1000"),
    ("BIKESTORE_NOTIFICATIONS_EVENT_ACK_WAIT_MS", "2000"),
];

/// One in this many kills is of nats-server rather than a service.
const NATS_KILL_ODDS: usize = 12;

/// What the chaos kills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Victims {
    /// About every half second a service process, now and then the single nats-server; every
    /// service's connection runs through a fault proxy.
    Processes,
    /// Every 5 to 10 s one node of a 3-node cluster, down for 1 to 3 s, and never a second
    /// before the first has caught up; the services connect to every node, with no proxy.
    ClusterNodes,
}

impl Victims {
    /// How long the killer waits before its next kill.
    pub fn pause(self, dice: &mut Dice) -> std::time::Duration {
        std::time::Duration::from_millis(match self {
            Victims::Processes => 500,
            Victims::ClusterNodes => 5_000 + dice.roll(5_001) as u64,
        })
    }
}

/// The network faults on each service's connection: every second or few a short delay, a
/// stall shorter than a step's timeout, or a cut (a process lives a few seconds between kills).
fn schedule(seed: u64) -> FaultSchedule {
    FaultSchedule {
        seed,
        gap_ms: 700..=3_000,
        weights: [4, 3, 2],
        latency_ms: 10..=150,
        delay_lasting_ms: 500..=2_000,
        stall_ms: 300..=1_200,
    }
}

/// The system (its nats-server and data folder), the service processes on it, the fault proxy
/// in front of each (when processes are the victims), and what was killed.
pub struct Fleet {
    pub system: System,
    pub processes: Vec<ChildProcess>,
    victims: Victims,
    proxies: Vec<FaultProxy>,
    pub kills: BTreeMap<String, u64>,
}

impl Fleet {
    /// Starts every process, each behind its own proxy (seeded from `seed`) when processes are
    /// the victims.
    pub async fn start(system: System, seed: u64, victims: Victims) -> anyhow::Result<Fleet> {
        let mut proxies = Vec::new();
        if victims == Victims::Processes {
            for index in 0..SERVICES.len() {
                let schedule = schedule(seed + index as u64 * 1_000);
                proxies.push(FaultProxy::to_url(&system.nats_url(), schedule).await?);
            }
        }
        let mut fleet = Fleet {
            system,
            processes: Vec::new(),
            victims,
            proxies,
            kills: BTreeMap::new(),
        };
        for index in 0..SERVICES.len() {
            let process = fleet.spawn(index)?;
            fleet.processes.push(process);
        }
        Ok(fleet)
    }

    /// Starts the process for `SERVICES[index]` (again), behind its proxy if it has one.
    fn spawn(&self, index: usize) -> anyhow::Result<ChildProcess> {
        let url = match self.proxies.get(index) {
            Some(proxy) => proxy.url(),
            None => self.system.nats_url(),
        };
        self.system.spawn_process_at(SERVICES[index], &url, &ENV)
    }

    /// Kills one victim, chosen by `dice`, with SIGKILL and starts it again.
    pub async fn kill_one(&mut self, dice: &mut Dice) -> anyhow::Result<()> {
        match self.victims {
            Victims::Processes => self.kill_a_process(dice).await,
            Victims::ClusterNodes => self.kill_a_node(dice).await,
        }
    }

    /// Kills a cluster node, starts it again after 1 to 3 s, and waits until it has caught up.
    async fn kill_a_node(&mut self, dice: &mut Dice) -> anyhow::Result<()> {
        let nats = self.system.nats_mut();
        let node = dice.roll(nats.node_count());
        nats.kill_node(node);
        let killed = tokio::time::Instant::now();
        let killed_at_ms = bikestore_runtime::now_ms();
        let down_for = std::time::Duration::from_millis(1_000 + dice.roll(2_001) as u64);
        tokio::time::sleep(down_for).await;
        nats.restart_node(node).await?;
        nats.wait_until_healthy(node).await?;
        let name = bikestore_testkit::node_name(node);
        // To line a stall in the services' logs up with the node deaths around it.
        eprintln!(
            "chaos: nats node {name} killed at {killed_at_ms} ms since the epoch, down {down_for:?}, healthy again {:?} after",
            killed.elapsed()
        );
        *self.kills.entry(format!("nats node {name}")).or_default() += 1;
        Ok(())
    }

    /// Kills a service process, chosen by `dice`, or now and then nats-server (restarted on its
    /// port with its store).
    async fn kill_a_process(&mut self, dice: &mut Dice) -> anyhow::Result<()> {
        if dice.roll(NATS_KILL_ODDS) == 0 {
            let nats = self.system.nats_mut();
            nats.kill();
            nats.restart().await?;
            *self.kills.entry("nats-server".to_owned()).or_default() += 1;
            return Ok(());
        }
        let victim = dice.roll(self.processes.len());
        self.processes[victim].kill_hard().await?;
        self.processes[victim] = self.spawn(victim)?;
        *self.kills.entry(SERVICES[victim].to_string()).or_default() += 1;
        Ok(())
    }

    /// Stops (true) or resumes (false) every proxy's scheduled faults.
    pub fn pause_faults(&self, paused: bool) {
        for proxy in &self.proxies {
            proxy.pause(paused);
        }
    }

    /// The network faults of every proxy together.
    pub fn faults(&self) -> FaultCounts {
        let mut total = FaultCounts::default();
        for proxy in &self.proxies {
            let counts = proxy.counts();
            total.delays += counts.delays;
            total.stalls += counts.stalls;
            total.cuts += counts.cuts;
        }
        total
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

/// A console logged in as a demo member, shared by the test's console intakes, that logs in
/// again when its session has ended, as a person at a console would when told to.
pub struct Console {
    nats_url: String,
    tls: bikestore_client::TlsFiles,
    subjects: bikestore_contracts::Subjects,
    username: &'static str,
    session: tokio::sync::Mutex<std::sync::Arc<bikestore_client::Session>>,
    logins: std::sync::atomic::AtomicU64,
}

impl Console {
    /// Logs in as `username` on `system`'s server (directly, not behind a fault proxy).
    pub async fn log_in(system: &System, username: &'static str) -> anyhow::Result<Console> {
        let session = system.console(username).await?;
        Ok(Console {
            nats_url: system.nats_url(),
            tls: system.console_tls(),
            subjects: system.subjects().clone(),
            username,
            session: tokio::sync::Mutex::new(std::sync::Arc::new(session)),
            logins: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// The session to call through now.
    pub async fn session(&self) -> std::sync::Arc<bikestore_client::Session> {
        std::sync::Arc::clone(&*self.session.lock().await)
    }

    /// Logs in again unless another intake already replaced `ended`.
    pub async fn log_in_again(
        &self,
        ended: &std::sync::Arc<bikestore_client::Session>,
    ) -> anyhow::Result<()> {
        let mut session = self.session.lock().await;
        if !std::sync::Arc::ptr_eq(&session, ended) {
            return Ok(());
        }
        let client = bikestore_client::Client::connect_as_console(
            &self.nats_url,
            &self.tls,
            self.subjects.clone(),
            None,
        )
        .await?;
        let password = bikestore_harness::demo_password(self.username);
        *session = std::sync::Arc::new(client.login(self.username, &password).await?);
        self.logins
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// How many times it logged in again.
    pub fn logins_again(&self) -> u64 {
        self.logins.load(std::sync::atomic::Ordering::Relaxed)
    }
}
