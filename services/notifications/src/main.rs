//! `bikestore-notifications`: runs the notifications service, checks that it is ready, or lists
//! and replays dead letters.

use std::process::ExitCode;

use bikestore_contracts::ServiceName;
use bikestore_notifications::{NotificationsConfig, run};
use bikestore_runtime::ops::{self, OpsCommand};
use clap::Parser;

/// The Bikestore notifications service. With no subcommand it serves until SIGTERM or Ctrl-C.
#[derive(Debug, Parser)]
#[command(
    name = "bikestore-notifications",
    version,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<OpsCommand>,
    #[command(flatten)]
    serve: NotificationsConfig,
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
            ops::serve(ServiceName::Notifications, &common, |shutdown| {
                run(cli.serve, shutdown)
            })
            .await
        }
        Some(command) => ops::run_ops(command, ServiceName::Notifications).await,
    };
    ops::exit_code("bikestore-notifications", result)
}
