//! `bikestore-inventory`: runs the inventory service, seeds demo data, or checks that the
//! service answers.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use bikestore_contracts::{ServiceName, Subjects};
use bikestore_inventory::seed::SeedOutcome;
use bikestore_inventory::{InventoryConfig, open_database, run, seed};
use bikestore_runtime::{CommonConfig, Shutdown, telemetry};
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
    /// Lists or replays messages that a consumer gave up on.
    DeadLetters(bikestore_runtime::ops::DeadLetterArgs),
    /// Exits 0 once an inventory service answers `$SRV.PING`, 1 if none does in time.
    Ping {
        /// NATS server URL.
        #[arg(long, env = bikestore_runtime::config::ENV_NATS_URL, default_value = "nats://127.0.0.1:4222")]
        nats_url: String,
        /// How long to keep trying, in milliseconds.
        #[arg(long, default_value_t = 10_000)]
        timeout_ms: u64,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Seed { config, scale }) => seed_demo(config, scale).await,
        Some(Command::DeadLetters(args)) => bikestore_runtime::ops::dead_letters(args)
            .await
            .map_err(anyhow::Error::new),
        Some(Command::Ping {
            nats_url,
            timeout_ms,
        }) => ping(&nats_url, Duration::from_millis(timeout_ms)).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bikestore-inventory: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: InventoryConfig) -> anyhow::Result<()> {
    let common: &CommonConfig = &config.common;
    let _telemetry = telemetry::init(
        ServiceName::Inventory.as_str(),
        &common.log_dir(),
        common.log_to_stderr,
    )?;
    run(config, Shutdown::on_signals()).await.map_err(|error| {
        tracing::error!(error = %bikestore_runtime::error_chain(&error), "inventory service failed");
        anyhow::Error::new(error)
    })
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

async fn ping(nats_url: &str, timeout: Duration) -> anyhow::Result<()> {
    let client = async_nats::connect(nats_url)
        .await
        .with_context(|| format!("connect to {nats_url}"))?;
    let subject = Subjects::service_ping(ServiceName::Inventory);
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let attempt = tokio::time::timeout(
            Duration::from_millis(500),
            client.request(subject.clone(), "".into()),
        )
        .await;
        if let Ok(Ok(_)) = attempt {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            anyhow::bail!("no inventory service answered {subject} within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
