//! `bikestore-orchestrator`: runs the saga orchestrator, checks that it answers, or lists and
//! replays dead letters.

use std::process::ExitCode;
use std::time::Duration;

use bikestore_contracts::ServiceName;
use bikestore_orchestrator::{OrchestratorConfig, run};
use bikestore_runtime::{Shutdown, ops, telemetry};
use clap::{Parser, Subcommand};

/// The Bikestore orchestrator. With no subcommand it serves until SIGTERM or Ctrl-C.
#[derive(Debug, Parser)]
#[command(
    name = "bikestore-orchestrator",
    version,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: OrchestratorConfig,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Lists or replays messages that a consumer gave up on.
    DeadLetters(ops::DeadLetterArgs),
    /// Exits 0 once an orchestrator answers `$SRV.PING`, 1 if none does in time.
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
        Some(Command::DeadLetters(args)) => {
            ops::dead_letters(args).await.map_err(anyhow::Error::new)
        }
        Some(Command::Ping {
            nats_url,
            timeout_ms,
        }) => ops::ping(
            &nats_url,
            ServiceName::Orchestrator,
            Duration::from_millis(timeout_ms),
        )
        .await
        .map_err(anyhow::Error::new),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bikestore-orchestrator: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: OrchestratorConfig) -> anyhow::Result<()> {
    let common = &config.common;
    let _telemetry = telemetry::init(
        ServiceName::Orchestrator.as_str(),
        &common.log_dir(),
        common.log_to_stderr,
    )?;
    run(config, Shutdown::on_signals()).await.map_err(|error| {
        tracing::error!(error = %bikestore_runtime::error_chain(&error), "orchestrator failed");
        anyhow::Error::new(error)
    })
}
