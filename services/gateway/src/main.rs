//! `bikestore-gateway`: runs the gateway, or checks that it answers.

use std::process::ExitCode;
use std::time::Duration;

use bikestore_contracts::ServiceName;
use bikestore_gateway::{GatewayConfig, run};
use bikestore_runtime::{CommonConfig, Shutdown, telemetry};
use clap::{Parser, Subcommand};

/// The Bikestore gateway. With no subcommand it serves until SIGTERM or Ctrl-C.
#[derive(Debug, Parser)]
#[command(
    name = "bikestore-gateway",
    version,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: GatewayConfig,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Exits 0 once a gateway answers `$SRV.PING`, 1 if none does in time.
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
        Some(Command::Ping {
            nats_url,
            nats_credentials,
            timeout_ms,
        }) => bikestore_runtime::ops::ping(
            &nats_url,
            nats_credentials.as_deref(),
            ServiceName::Gateway,
            Duration::from_millis(timeout_ms),
        )
        .await
        .map_err(anyhow::Error::new),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bikestore-gateway: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: GatewayConfig) -> anyhow::Result<()> {
    let common: &CommonConfig = &config.common;
    let _telemetry = telemetry::init(
        ServiceName::Gateway.as_str(),
        &common.log_dir(),
        common.log_to_stderr,
    )?;
    run(config, Shutdown::on_signals()).await.map_err(|error| {
        tracing::error!(error = %bikestore_runtime::error_chain(&error), "gateway failed");
        anyhow::Error::new(error)
    })
}
