//! `bikestore-orders`: runs the orders service, seeds demo customers, checks that the service
//! answers, or lists and replays dead letters.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use bikestore_contracts::ServiceName;
use bikestore_orders::seed::SeedOutcome;
use bikestore_orders::{OrdersConfig, open_database, run, seed};
use bikestore_runtime::{CommonConfig, Shutdown, telemetry};
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
    /// Lists or replays messages that a consumer gave up on.
    DeadLetters(bikestore_runtime::ops::DeadLetterArgs),
    /// Exits 0 once an orders service answers `$SRV.PING`, 1 if none does in time.
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
        }) => bikestore_runtime::ops::ping(
            &nats_url,
            ServiceName::Orders,
            Duration::from_millis(timeout_ms),
        )
        .await
        .map_err(anyhow::Error::new),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bikestore-orders: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: OrdersConfig) -> anyhow::Result<()> {
    let common: &CommonConfig = &config.common;
    let _telemetry = telemetry::init(
        ServiceName::Orders.as_str(),
        &common.log_dir(),
        common.log_to_stderr,
    )?;
    run(config, Shutdown::on_signals()).await.map_err(|error| {
        tracing::error!(error = %bikestore_runtime::error_chain(&error), "orders service failed");
        anyhow::Error::new(error)
    })
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
