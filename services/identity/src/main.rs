//! `bikestore-identity`: runs the identity service, seeds the demo staff, checks that the
//! service answers, or lists and replays dead letters.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use bikestore_contracts::ServiceName;
use bikestore_identity::seed::SeedOutcome;
use bikestore_identity::{IdentityConfig, open_database, run, seed};
use bikestore_runtime::{CommonConfig, Shutdown, telemetry};
use clap::{Parser, Subcommand};

/// The Bikestore identity service. With no subcommand it serves until SIGTERM or Ctrl-C.
#[derive(Debug, Parser)]
#[command(
    name = "bikestore-identity",
    version,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: IdentityConfig,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Loads the demo staff (the README's "Demo logins") into an empty database.
    Seed {
        #[command(flatten)]
        config: IdentityConfig,
        /// Accepted like the other services' seeds; the demo staff are the same at any scale.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
        scale: u32,
    },
    /// Lists or replays messages that a consumer gave up on.
    DeadLetters(bikestore_runtime::ops::DeadLetterArgs),
    /// Exits 0 once an identity service answers `$SRV.PING`, 1 if none does in time.
    Ping {
        /// NATS server URL.
        #[arg(long, env = bikestore_runtime::config::ENV_NATS_URL, default_value = "nats://127.0.0.1:4222")]
        nats_url: String,
        /// NATS credentials file (`user:password`); anonymous without it.
        #[arg(long, env = bikestore_runtime::config::ENV_NATS_CREDENTIALS)]
        nats_credentials: Option<std::path::PathBuf>,
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
        Some(Command::Seed { config, scale: _ }) => seed_demo(config).await,
        Some(Command::DeadLetters(args)) => bikestore_runtime::ops::dead_letters(args)
            .await
            .map_err(anyhow::Error::new),
        Some(Command::Ping {
            nats_url,
            nats_credentials,
            timeout_ms,
        }) => bikestore_runtime::ops::ping(
            &nats_url,
            nats_credentials.as_deref(),
            ServiceName::Identity,
            Duration::from_millis(timeout_ms),
        )
        .await
        .map_err(anyhow::Error::new),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bikestore-identity: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: IdentityConfig) -> anyhow::Result<()> {
    let common: &CommonConfig = &config.common;
    let _telemetry = telemetry::init(
        ServiceName::Identity.as_str(),
        &common.log_dir(),
        common.log_to_stderr,
    )?;
    run(config, Shutdown::on_signals()).await.map_err(|error| {
        tracing::error!(error = %bikestore_runtime::error_chain(&error), "identity service failed");
        anyhow::Error::new(error)
    })
}

async fn seed_demo(config: IdentityConfig) -> anyhow::Result<()> {
    let path = config.common.database_path(ServiceName::Identity.as_str());
    let database = open_database(&config)
        .await
        .context("open the identity database")?;
    eprintln!("seeding {} ...", path.display());
    let outcome = seed::seed(&database).await.context("load the demo staff")?;
    database.close().await;
    match outcome {
        SeedOutcome::Loaded { staff } => println!("seeded {staff} staff members"),
        SeedOutcome::AlreadySeeded { staff } => {
            println!("already seeded ({staff} staff members); nothing to do");
        }
    }
    Ok(())
}
