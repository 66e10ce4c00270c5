//! The benchmark's flags and the settings they make.

use clap::Parser;

/// Orders one store takes in a day, in this benchmark's model of a day.
pub const ORDERS_PER_STORE_PER_DAY: u64 = 1_000;
/// The demo data's stores (the scale multiplies the catalog and the customers, not the stores;
/// a day's orders are multiplied by the scale all the same, as a business that many times
/// larger would take).
pub const DEMO_STORES: u64 = 3;

/// Backup and restore times of the whole system with a day of orders.
#[derive(Debug, Parser)]
#[command(about)]
pub struct Args {
    /// The demo data's scale (catalog and customers multiplied by it).
    #[arg(long, default_value_t = 1)]
    pub scale: u32,
    /// Orders placed before the backup; default a day's: 1,000 per store per day × 3 demo
    /// stores × the scale.
    #[arg(long)]
    pub orders: Option<u64>,
    /// Orders placed at once while loading the day.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Sellers still placing orders, one at a time each, while the backup is taken.
    #[arg(long, default_value_t = 4)]
    pub sellers: usize,
    /// 1: one nats-server; 3: a 3-node cluster, every stream and bucket with 3 replicas, and
    /// the restore onto a fresh 3-node cluster with 3 replicas.
    #[arg(long, default_value_t = 1)]
    pub nats_nodes: usize,
    /// A tiny run (100 orders) for a smoke check.
    #[arg(long)]
    pub quick: bool,
    /// Where the table is saved (default target/bench-results).
    #[arg(long)]
    pub results_dir: Option<std::path::PathBuf>,
    /// Accepted and ignored: `cargo bench` passes it to every bench target.
    #[arg(long, hide = true)]
    pub bench: bool,
}

/// The checked settings of a run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub scale: u32,
    pub orders: u64,
    pub concurrency: usize,
    pub sellers: usize,
    pub nats_nodes: usize,
    pub quick: bool,
    pub results_dir: std::path::PathBuf,
}

impl Settings {
    /// Checks `args` and fills in the defaults.
    pub fn from_args(args: Args) -> anyhow::Result<Settings> {
        anyhow::ensure!(
            (1..=1000).contains(&args.scale),
            "--scale must be 1 to 1000"
        );
        anyhow::ensure!(
            (1..=4096).contains(&args.concurrency),
            "--concurrency must be 1 to 4096"
        );
        anyhow::ensure!(
            matches!(args.nats_nodes, 1 | 3),
            "--nats-nodes must be 1 or 3, not {}",
            args.nats_nodes
        );
        anyhow::ensure!(args.sellers >= 1, "--sellers must be at least 1");
        let day = ORDERS_PER_STORE_PER_DAY * DEMO_STORES * u64::from(args.scale);
        let orders = match (args.orders, args.quick) {
            (Some(orders), _) => orders,
            (None, true) => 100,
            (None, false) => day,
        };
        let results_dir = args.results_dir.unwrap_or_else(default_results_dir);
        Ok(Settings {
            scale: args.scale,
            orders,
            concurrency: args.concurrency,
            sellers: args.sellers,
            nats_nodes: args.nats_nodes,
            quick: args.quick,
            results_dir: from_workspace(results_dir),
        })
    }
}

/// `$CARGO_TARGET_DIR/bench-results`, or `target/bench-results`.
fn default_results_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from("target"))
        .join("bench-results")
}

/// `path` itself if absolute, else under the workspace root.
fn from_workspace(path: std::path::PathBuf) -> std::path::PathBuf {
    if path.is_absolute() {
        path
    } else {
        bikestore_testkit::workspace_root().join(path)
    }
}
