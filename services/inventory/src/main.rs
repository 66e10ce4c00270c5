//! `bikestore-inventory`: runs the inventory service, seeds demo data, checks that it is ready,
//! or lists and replays dead letters.

use std::process::ExitCode;

use anyhow::Context;
use bikestore_contracts::ServiceName;
use bikestore_inventory::seed::SeedOutcome;
use bikestore_inventory::{InventoryConfig, open_database, run, seed};
use bikestore_runtime::ops::{self, OpsCommand};
use clap::{Parser, Subcommand};

/// The Bikestore inventory service. With no subcommand it serves until SIGTERM or Ctrl-C.
#[derive(Debug, Parser)]
#[command(
    name = "bikestore-inventory",
    version,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: InventoryConfig,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Loads the deterministic demo catalog into an empty database.
    Seed {
        #[command(flatten)]
        config: InventoryConfig,
        /// How many times the classic catalog's 321 products to generate.
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
            ops::serve(ServiceName::Inventory, &common, |shutdown| {
                run(cli.serve, shutdown)
            })
            .await
            .map_err(anyhow::Error::new)
        }
        Some(Command::Seed { config, scale }) => seed_demo(config, scale).await,
        Some(Command::Ops(command)) => ops::run_ops(command, ServiceName::Inventory)
            .await
            .map_err(anyhow::Error::new),
    };
    ops::exit_code("bikestore-inventory", result)
}

async fn seed_demo(config: InventoryConfig, scale: u32) -> anyhow::Result<()> {
    let path = config.common.database_path(ServiceName::Inventory.as_str());
    let database = open_database(&config)
        .await
        .context("open the inventory database")?;
    eprintln!("seeding {} at scale {scale} ...", path.display());
    let outcome = seed::seed(&database, scale)
        .await
        .context("load the demo catalog")?;
    database.close().await;
    match outcome {
        SeedOutcome::Loaded {
            stores,
            products,
            stock_rows,
        } => {
            println!("seeded {stores} stores, {products} products and {stock_rows} stock rows");
        }
        SeedOutcome::AlreadySeeded { products } => {
            println!("already seeded ({products} products); nothing to do");
        }
    }
    Ok(())
}
