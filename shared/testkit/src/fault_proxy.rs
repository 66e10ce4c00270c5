//! [`FaultProxy`]: a TCP proxy between a process and nats-server that injects network faults.
//!
//! It listens on a free loopback port and forwards every connection to a target address. On each
//! connection a seeded [`FaultSchedule`] injects, at random gaps, one of three [`Fault`]s:
//! - a delay: for a while, every chunk waits before it is forwarded (added latency);
//! - a stall: nothing is forwarded for a while, but the connection stays open, so requests in
//!   flight time out while the client sees no disconnect;
//! - a cut: both sides are closed, so the client must reconnect.
//!
//! The schedule is deterministic given its seed (connection `n` draws from `seed + n`), so a
//! failing run can be repeated. Tests may also inject a fault at once on every open connection
//! ([`FaultProxy::inject`]), pause the schedule ([`FaultProxy::pause`]), and read how many faults
//! of each kind happened ([`FaultProxy::counts`]). Dropping the proxy closes it and every
//! connection.

use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

/// How much one forwarding step reads at most.
const CHUNK: usize = 16 * 1024;

/// One network fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Every chunk waits `latency` before it is forwarded, for `lasting`.
    Delay {
        /// The wait added to each chunk.
        latency: Duration,
        /// How long the added latency lasts.
        lasting: Duration,
    },
    /// Nothing is forwarded for this long; the connection stays open.
    Stall(Duration),
    /// Both sides of the connection are closed.
    Cut,
}

impl Fault {
    /// The fault's kind, as [`FaultCounts`] counts it.
    pub fn kind(&self) -> FaultKind {
        match self {
            Fault::Delay { .. } => FaultKind::Delay,
            Fault::Stall(_) => FaultKind::Stall,
            Fault::Cut => FaultKind::Cut,
        }
    }
}

/// The kinds of [`Fault`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultKind {
    /// [`Fault::Delay`].
    Delay,
    /// [`Fault::Stall`].
    Stall,
    /// [`Fault::Cut`].
    Cut,
}

/// How many faults of each kind a proxy injected, scheduled or by hand.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultCounts {
    /// Delays.
    pub delays: u64,
    /// Stalls.
    pub stalls: u64,
    /// Cuts.
    pub cuts: u64,
}

impl FaultCounts {
    /// All faults of every kind.
    pub fn total(&self) -> u64 {
        self.delays + self.stalls + self.cuts
    }
}

/// When and which faults hit a connection: gaps drawn from `gap_ms`, then a fault drawn by the
/// weights, with its durations drawn from the ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultSchedule {
    /// The seed; connection `n` (from 0) draws from `seed + n`.
    pub seed: u64,
    /// The time between two faults on a connection, in milliseconds.
    pub gap_ms: RangeInclusive<u64>,
    /// The relative weights of delay, stall and cut (all zero: no faults).
    pub weights: [u32; 3],
    /// A delay's added latency, in milliseconds.
    pub latency_ms: RangeInclusive<u64>,
    /// How long a delay lasts, in milliseconds.
    pub delay_lasting_ms: RangeInclusive<u64>,
    /// How long a stall lasts, in milliseconds.
    pub stall_ms: RangeInclusive<u64>,
}

impl FaultSchedule {
    /// A schedule with a fault every few seconds: mostly delays, some stalls and cuts.
    pub fn new(seed: u64) -> FaultSchedule {
        FaultSchedule {
            seed,
            gap_ms: 2_000..=6_000,
            weights: [5, 2, 2],
            latency_ms: 20..=200,
            delay_lasting_ms: 500..=2_000,
            stall_ms: 500..=2_500,
        }
    }

    /// No scheduled faults at all (only those a test injects).
    pub fn none() -> FaultSchedule {
        FaultSchedule {
            weights: [0; 3],
            ..FaultSchedule::new(0)
        }
    }

    /// The endless sequence of (gap before it, fault) for connection number `connection`.
    pub fn plan(&self, connection: u64) -> impl Iterator<Item = (Duration, Fault)> + use<> {
        let schedule = self.clone();
        let mut dice = SplitMix(self.seed.wrapping_add(connection));
        let total: u64 = schedule
            .weights
            .iter()
            .map(|weight| u64::from(*weight))
            .sum();
        std::iter::from_fn(move || {
            if total == 0 {
                return None;
            }
            let gap = Duration::from_millis(dice.within(&schedule.gap_ms));
            let mut pick = dice.next() % total;
            let mut kind = 0;
            for (index, weight) in schedule.weights.iter().enumerate() {
                if pick < u64::from(*weight) {
                    kind = index;
                    break;
                }
                pick -= u64::from(*weight);
            }
            let fault = match kind {
                0 => Fault::Delay {
                    latency: Duration::from_millis(dice.within(&schedule.latency_ms)),
                    lasting: Duration::from_millis(dice.within(&schedule.delay_lasting_ms)),
                },
                1 => Fault::Stall(Duration::from_millis(dice.within(&schedule.stall_ms))),
                _ => Fault::Cut,
            };
            Some((gap, fault))
        })
    }
}

/// splitmix64: tiny, deterministic, good enough to pick faults.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut value = self.0;
        value = (value ^ (value >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        value = (value ^ (value >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        value ^ (value >> 31)
    }

    fn within(&mut self, range: &RangeInclusive<u64>) -> u64 {
        let span = range.end().saturating_sub(*range.start()).saturating_add(1);
        range.start() + self.next() % span
    }
}

/// A running fault proxy; dropping it closes the listener and every connection.
#[derive(Debug)]
pub struct FaultProxy {
    address: SocketAddr,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

#[derive(Debug)]
struct Shared {
    target: SocketAddr,
    schedule: FaultSchedule,
    paused: AtomicBool,
    connections: AtomicU64,
    delays: AtomicU64,
    stalls: AtomicU64,
    cuts: AtomicU64,
    links: Mutex<Vec<Weak<Link>>>,
}

impl Shared {
    fn count(&self, fault: Fault) {
        let counter = match fault.kind() {
            FaultKind::Delay => &self.delays,
            FaultKind::Stall => &self.stalls,
            FaultKind::Cut => &self.cuts,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn live_links(&self) -> Vec<Arc<Link>> {
        let mut links = self
            .links
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        links.retain(|link| link.strong_count() > 0);
        links.iter().filter_map(Weak::upgrade).collect()
    }
}

/// One proxied connection's fault state, shared by its two forwarding directions.
#[derive(Debug)]
struct Link {
    /// Nothing is forwarded before this instant (a stall).
    held_until: Mutex<Instant>,
    /// Each chunk waits `.1` while now is before `.0` (a delay).
    latency: Mutex<(Instant, Duration)>,
    /// Set to true to close both sides (a cut).
    cut: tokio::sync::watch::Sender<bool>,
}

impl Link {
    fn apply(&self, fault: Fault) {
        let now = Instant::now();
        match fault {
            Fault::Delay { latency, lasting } => {
                *self
                    .latency
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = (now + lasting, latency);
            }
            Fault::Stall(lasting) => {
                let mut held = self
                    .held_until
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                *held = (*held).max(now + lasting);
            }
            Fault::Cut => {
                self.cut.send_replace(true);
            }
        }
    }

    /// When a chunk read at `read_at` may be forwarded: after any stall, and after the
    /// latency of a delay that was on when it was read.
    fn release(&self, read_at: Instant) -> Instant {
        let held = *self
            .held_until
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (latency_until, latency) = *self
            .latency
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let delayed = if read_at < latency_until {
            read_at + latency
        } else {
            read_at
        };
        held.max(delayed)
    }
}

impl FaultProxy {
    /// Starts a proxy on a free loopback port forwarding to `target`, with `schedule`.
    pub async fn start(target: SocketAddr, schedule: FaultSchedule) -> anyhow::Result<FaultProxy> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .context("cannot bind the fault proxy")?;
        let address = listener.local_addr().context("the fault proxy's address")?;
        let shared = Arc::new(Shared {
            target,
            schedule,
            paused: AtomicBool::new(false),
            connections: AtomicU64::new(0),
            delays: AtomicU64::new(0),
            stalls: AtomicU64::new(0),
            cuts: AtomicU64::new(0),
            links: Mutex::new(Vec::new()),
        });
        let accept = tokio::spawn(accept_loop(listener, Arc::clone(&shared)));
        Ok(FaultProxy {
            address,
            shared,
            accept,
        })
    }

    /// Starts a proxy to a nats-server URL such as `nats://127.0.0.1:4222`.
    pub async fn to_url(url: &str, schedule: FaultSchedule) -> anyhow::Result<FaultProxy> {
        let address = url
            .trim_start_matches("nats://")
            .parse()
            .with_context(|| format!("{url} is not nats://<ip>:<port>"))?;
        FaultProxy::start(address, schedule).await
    }

    /// The address clients connect to.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The proxy as a NATS URL, for example `nats://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("nats://{}", self.address)
    }

    /// Stops (true) or resumes (false) the scheduled faults; forwarding goes on either way.
    pub fn pause(&self, paused: bool) {
        self.shared.paused.store(paused, Ordering::Relaxed);
    }

    /// Injects `fault` at once on every open connection (counted once).
    pub fn inject(&self, fault: Fault) {
        for link in self.shared.live_links() {
            link.apply(fault);
        }
        self.shared.count(fault);
    }

    /// How many faults of each kind happened so far.
    pub fn counts(&self) -> FaultCounts {
        FaultCounts {
            delays: self.shared.delays.load(Ordering::Relaxed),
            stalls: self.shared.stalls.load(Ordering::Relaxed),
            cuts: self.shared.cuts.load(Ordering::Relaxed),
        }
    }

    /// How many connections the proxy accepted so far.
    pub fn connections(&self) -> u64 {
        self.shared.connections.load(Ordering::Relaxed)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
        for link in self.shared.live_links() {
            link.apply(Fault::Cut);
        }
    }
}

/// Accepts connections and serves each in a task of its own; the tasks end with this one (the
/// proxy aborts it when dropped), so no connection outlives the proxy.
async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        // Finished connections' tasks are reaped as new ones come.
        while connections.try_join_next().is_some() {}
        // An accept error (too many open files, a reset before accept) affects one connection;
        // the pause keeps a lasting one from spinning.
        let Ok((inbound, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let number = shared.connections.fetch_add(1, Ordering::Relaxed);
        connections.spawn(serve(inbound, number, Arc::clone(&shared)));
    }
}

/// Forwards one connection both ways under its schedule until either side closes or it is cut.
async fn serve(inbound: TcpStream, number: u64, shared: Arc<Shared>) {
    // A target that refuses is like a server that is down: the client sees the close.
    let Ok(outbound) = TcpStream::connect(shared.target).await else {
        return;
    };
    let _ = inbound.set_nodelay(true);
    let _ = outbound.set_nodelay(true);
    let (cut, cut_seen) = tokio::sync::watch::channel(false);
    let link = Arc::new(Link {
        held_until: Mutex::new(Instant::now()),
        latency: Mutex::new((Instant::now(), Duration::ZERO)),
        cut,
    });
    {
        // Closed connections' entries go as new ones come, so a long run keeps few.
        let mut links = shared
            .links
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        links.retain(|link| link.strong_count() > 0);
        links.push(Arc::downgrade(&link));
    }
    let (from_client, to_client) = inbound.into_split();
    let (from_server, to_server) = outbound.into_split();
    let mut cut_watch = cut_seen.clone();
    tokio::select! {
        () = forward(from_client, to_server, &link) => {}
        () = forward(from_server, to_client, &link) => {}
        () = run_schedule(number, &shared, &link) => {}
        _ = cut_watch.wait_for(|cut| *cut) => {}
    }
    // Dropping both halves of both sockets closes the connection on both sides.
}

async fn forward(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, link: &Link) {
    let mut buffer = vec![0; CHUNK];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => read,
        };
        // A stall may be injected while a chunk waits; it waits for that too.
        let read_at = Instant::now();
        let mut release = link.release(read_at);
        while release > Instant::now() {
            tokio::time::sleep_until(release).await;
            release = link.release(read_at);
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            return;
        }
    }
}

async fn run_schedule(number: u64, shared: &Shared, link: &Link) {
    let plan = shared.schedule.plan(number);
    for (gap, fault) in plan {
        tokio::time::sleep(gap).await;
        if shared.paused.load(Ordering::Relaxed) {
            continue;
        }
        shared.count(fault);
        link.apply(fault);
    }
    std::future::pending::<()>().await;
}
