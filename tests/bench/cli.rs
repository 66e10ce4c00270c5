//! The benchmark's flags, and the settings they resolve to (`--quick` fills in its own).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

/// The place-order saga against its primitive floor, measured in one run on one nats-server (or
/// one cluster).
///
/// Relative paths are taken from the workspace root (cargo runs benchmarks in the package's
/// folder, not where it was started).
#[derive(Debug, Parser)]
#[command(name = "place_order")]
pub struct Args {
    /// Attach to this nats-server instead of starting a private one (no Bikestore service may
    /// be running on it: the benchmark starts its own).
    #[arg(long)]
    pub nats_url: Option<String>,
    /// With `--nats-url`: the folder of NATS credentials files (`<user>.creds`), as `just up`
    /// makes under `<data>/credentials`. Each service then connects as its own user, consoles as
    /// `console` and the benchmark itself as `ops`; without it every connection is anonymous.
    #[arg(long, requires = "nats_url")]
    pub nats_credentials_dir: Option<PathBuf>,
    /// Keep the services' databases in this folder instead of a temporary one.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Demo data scale: 321 products and 1,445 customers per unit.
    #[arg(long)]
    pub scale: Option<u32>,
    /// Sagas (and floor operations) in flight at once.
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Seconds the floor saga and the place-order saga each run.
    #[arg(long)]
    pub duration: Option<f64>,
    /// Run exactly this many sagas of each kind instead of running for `--duration`.
    #[arg(long)]
    pub count: Option<u64>,
    /// Fraction of orders paid with the declining test card 4000 0000 0000 0002.
    #[arg(long)]
    pub decline_share: Option<f64>,
    /// Fraction of orders asking for more than the store holds.
    #[arg(long)]
    pub short_stock_share: Option<f64>,
    /// Start a private JetStream cluster of this many nodes (1 or 3); on 3, every stream and
    /// bucket of the system and of the floor has three replicas.
    #[arg(long, default_value_t = 1, conflicts_with = "nats_url")]
    pub nats_nodes: usize,
    /// Durability profile of nats-server, the services and the floor.
    #[arg(long, value_enum, default_value_t = Profile::Default)]
    pub profile: Profile,
    /// Seconds each primitive of the floor runs, at each concurrency.
    #[arg(long)]
    pub primitive_duration: Option<f64>,
    /// Where the JSON and markdown results go [default: <workspace>/target/bench-results].
    #[arg(long)]
    pub results_dir: Option<PathBuf>,
    /// An earlier run's JSON file: print the change against it.
    #[arg(long)]
    pub compare: Option<PathBuf>,
    /// Place orders as logged-in demo staff through identity and the gateway, with signed
    /// requests on the public `api` subject, instead of straight to the orchestrator's intake;
    /// also measures the gateway's added latency on a cheap query.
    #[arg(long)]
    pub through_gateway: bool,
    /// Observe the services as their binaries are observed: JSON logs with trace and span IDs
    /// (spans exported only when OTEL_EXPORTER_OTLP_ENDPOINT is set) and each service's
    /// Prometheus metrics served on a free loopback port; their cost is in the numbers.
    #[arg(long)]
    pub observe: bool,
    /// A short smoke run (2 s, concurrency 8, scale 1, some declines and short orders) that
    /// fails unless every saga reached a terminal state with the expected outcome.
    #[arg(long)]
    pub quick: bool,
    /// Instead of the sagas: load this many saga records (1,000,000 when no number is given)
    /// into a fresh bucket, start the orchestrator, and time its saga index catching up and
    /// operators' saga queries (`saga_stats`, `list_sagas` of stuck, failed, running sagas).
    #[arg(long, num_args = 0..=1, default_missing_value = "1000000")]
    pub saga_records: Option<u64>,
    /// Cargo passes `--bench`; it is accepted and ignored.
    #[arg(long, hide = true)]
    pub bench: bool,
}

/// The durability profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Profile {
    /// JetStream's default sync (every two minutes) and SQLite WAL `synchronous=NORMAL`:
    /// survives any process crash.
    Default,
    /// JetStream `sync_interval: always` and SQLite `synchronous=FULL`: also survives power loss.
    Durable,
}

impl Profile {
    /// The profile's name, as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Default => "default",
            Profile::Durable => "durable",
        }
    }

    /// SQLite's `synchronous` setting in this profile.
    pub fn synchronous(self) -> &'static str {
        match self {
            Profile::Default => "NORMAL",
            Profile::Durable => "FULL",
        }
    }
}

/// How long a measured phase runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Until {
    /// For this long.
    Elapsed(Duration),
    /// Until this many operations are done.
    Count(u64),
}

/// What one run does, after defaults.
#[derive(Debug, Clone)]
pub struct Settings {
    pub nats_url: Option<String>,
    pub nats_credentials_dir: Option<PathBuf>,
    pub nats_nodes: usize,
    pub data_dir: Option<PathBuf>,
    pub scale: u32,
    pub concurrency: usize,
    pub until: Until,
    pub decline_share: f64,
    pub short_stock_share: f64,
    pub profile: Profile,
    pub primitive_duration: Duration,
    pub results_dir: Option<PathBuf>,
    pub compare: Option<PathBuf>,
    pub quick: bool,
    pub through_gateway: bool,
    pub observe: bool,
    pub saga_records: Option<u64>,
}

impl Settings {
    /// Applies the defaults (or `--quick`'s) and checks the ranges.
    pub fn from_args(args: Args) -> anyhow::Result<Settings> {
        let quick = args.quick;
        let seconds = args.duration.unwrap_or(if quick { 2.0 } else { 5.0 });
        let primitive_seconds = args
            .primitive_duration
            .unwrap_or(if quick { 0.25 } else { 1.0 });
        for (name, value) in [
            ("duration", seconds),
            ("primitive-duration", primitive_seconds),
        ] {
            anyhow::ensure!(
                value.is_finite() && value > 0.0 && value < 86_400.0,
                "--{name} must be a positive number of seconds"
            );
        }
        let decline_share = args.decline_share.unwrap_or(if quick { 0.2 } else { 0.0 });
        let short_stock_share = args
            .short_stock_share
            .unwrap_or(if quick { 0.1 } else { 0.0 });
        anyhow::ensure!(
            (0.0..=1.0).contains(&decline_share)
                && (0.0..=1.0).contains(&short_stock_share)
                && decline_share + short_stock_share <= 1.0,
            "--decline-share and --short-stock-share must be fractions that add up to at most 1"
        );
        let concurrency = args.concurrency.unwrap_or(if quick { 8 } else { 64 });
        anyhow::ensure!(
            (1..=4096).contains(&concurrency),
            "--concurrency must be 1 to 4096"
        );
        anyhow::ensure!(
            matches!(args.nats_nodes, 1 | 3),
            "--nats-nodes must be 1 or 3, not {}",
            args.nats_nodes
        );
        let scale = args.scale.unwrap_or(1);
        anyhow::ensure!((1..=1000).contains(&scale), "--scale must be 1 to 1000");
        anyhow::ensure!(
            args.saga_records.is_none_or(|records| records > 0),
            "--saga-records must be at least 1"
        );
        let until = match args.count {
            Some(0) => anyhow::bail!("--count must be at least 1"),
            Some(count) => Until::Count(count),
            None => Until::Elapsed(Duration::from_secs_f64(seconds)),
        };
        Ok(Settings {
            nats_url: args.nats_url,
            nats_credentials_dir: args.nats_credentials_dir.map(from_workspace),
            nats_nodes: args.nats_nodes,
            data_dir: args.data_dir.map(from_workspace),
            scale,
            concurrency,
            until,
            decline_share,
            short_stock_share,
            profile: args.profile,
            primitive_duration: Duration::from_secs_f64(primitive_seconds),
            results_dir: args.results_dir.map(from_workspace),
            compare: args.compare.map(from_workspace),
            quick,
            through_gateway: args.through_gateway,
            observe: args.observe,
            saga_records: args.saga_records,
        })
    }
}

/// `path` itself if absolute, else under the workspace root.
pub fn from_workspace(path: PathBuf) -> PathBuf {
    if path.is_absolute() {
        path
    } else {
        bikestore_testkit::workspace_root().join(path)
    }
}
