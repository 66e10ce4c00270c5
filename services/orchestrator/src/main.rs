//! `bikestore-orchestrator`: runs the orchestrator, checks that it is ready, or lists and
//! replays dead letters.

use std::process::ExitCode;

use bikestore_contracts::ServiceName;
use bikestore_orchestrator::{OrchestratorConfig, run};
use bikestore_runtime::ops::{self, OpsCommand};
use clap::Parser;

/// The Bikestore orchestrator. With no subcommand it serves until SIGTERM or Ctrl-C.
#[derive(Debug, Parser)]
#[command(
    name = "bikestore-orchestrator",
    version,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<OpsCommand>,
    #[command(flatten)]
    serve: OrchestratorConfig,
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
            ops::serve(ServiceName::Orchestrator, &common, |shutdown| {
                run(cli.serve, shutdown)
            })
            .await
        }
        Some(command) => ops::run_ops(command, ServiceName::Orchestrator).await,
    };
    ops::exit_code("bikestore-orchestrator", result)
}
