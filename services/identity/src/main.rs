//! `bikestore-identity`: runs the identity service, seeds the demo staff, prints the auth
//! callout issuer key, lifts a username's login lock, checks that it is ready, or lists and
//! replays dead letters.

use std::process::ExitCode;

use anyhow::Context;
use bikestore_contracts::ServiceName;
use bikestore_identity::seed::SeedOutcome;
use bikestore_identity::{IdentityConfig, callout, commands, open_database, run, seed};
use bikestore_runtime::ops::{self, OpsCommand};
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
    /// Prints the public key of the auth callout issuer (nats-server's `auth_callout.issuer`),
    /// creating the key first when there is none.
    CalloutIssuer {
        #[command(flatten)]
        config: IdentityConfig,
    },
    /// Lifts the login lock of a username at once, straight in identity's database (for when no
    /// admin can log in to do it); sessions already logged in are never touched by a lock.
    Unlock {
        #[command(flatten)]
        config: IdentityConfig,
        /// The locked username (case-insensitive).
        username: String,
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
            ops::serve(ServiceName::Identity, &common, |shutdown| {
                run(cli.serve, shutdown)
            })
            .await
            .map_err(anyhow::Error::new)
        }
        Some(Command::Seed { config, scale: _ }) => seed_demo(config).await,
        Some(Command::CalloutIssuer { config }) => {
            callout::issuer::load_or_create(config.callout_issuer_path())
                .await
                .map(|issuer| println!("{}", issuer.public_key()))
                .context("read or create the callout issuer key")
        }
        Some(Command::Unlock { config, username }) => unlock(config, &username).await,
        Some(Command::Ops(command)) => ops::run_ops(command, ServiceName::Identity)
            .await
            .map_err(anyhow::Error::new),
    };
    ops::exit_code("bikestore-identity", result)
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

async fn unlock(config: IdentityConfig, username: &str) -> anyhow::Result<()> {
    let database = open_database(&config)
        .await
        .context("open the identity database")?;
    let unlocked = commands::unlock_in(&database, &config, username).await;
    database.close().await;
    let unlocked = unlocked.context("unlock the username")?;
    println!(
        "unlocked {}: {} failed logins forgotten",
        username.trim().to_lowercase(),
        unlocked.cleared_failures
    );
    Ok(())
}
