//! `bikestore-orders`: runs the orders service, seeds demo customers, checks that it is ready,
//! or lists and replays dead letters.

use std::process::ExitCode;

use anyhow::Context;
use bikestore_contracts::ServiceName;
use bikestore_orders::seed::SeedOutcome;
use bikestore_orders::{OrdersConfig, open_database, run, seed};
use bikestore_runtime::ops::{self, OpsCommand};
use clap::{Parser, Subcommand};

/// The Bikestore orders service. With no subcommand it serves until SIGTERM or Ctrl-C.
#[derive(Debug, Parser)]
#[command(
    name = "bikestore-orders",
    version,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: OrdersConfig,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Loads the deterministic demo customers into an empty database.
    Seed {
        #[command(flatten)]
        config: OrdersConfig,
        /// How many times the classic sample's 1,445 customers to generate.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
        scale: u32,
    },
    #[command(flatten)]
    Ops(OpsCommand),
}

/// mimalloc instead of the C library's malloc: allocating was a sixth of the benchmark's
/// profile, and this made each order about 5% cheaper (ARCHITECTURE.md, Performance).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => {
            let common = cli.serve.common.clone();
            ops::serve(ServiceName::Orders, &common, |shutdown| {
                run(cli.serve, shutdown)
            })
            .await
            .map_err(anyhow::Error::new)
        }
        Some(Command::Seed { config, scale }) => seed_demo(config, scale).await,
        Some(Command::Ops(command)) => ops::run_ops(command, ServiceName::Orders)
            .await
            .map_err(anyhow::Error::new),
    };
    ops::exit_code("bikestore-orders", result)
}

async fn seed_demo(config: OrdersConfig, scale: u32) -> anyhow::Result<()> {
    let path = config.common.database_path(ServiceName::Orders.as_str());
    let database = open_database(&config)
        .await
        .context("open the orders database")?;
    eprintln!("seeding {} at scale {scale} ...", path.display());
    let outcome = seed::seed(&database, scale)
        .await
        .context("load the demo customers")?;
    database.close().await;
    match outcome {
        SeedOutcome::Loaded { customers } => println!("seeded {customers} customers"),
        SeedOutcome::AlreadySeeded { customers } => {
            println!("already seeded ({customers} customers); nothing to do");
        }
    }
    Ok(())
}
