//! `bikestore-backup`: take, verify, list and restore backups (see the crate's doc; `just
//! backup`, `just backups` and `just restore` run it).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use bikestore_backup::{BackupError, restore, take, verify};
use bikestore_contracts::Subjects;
use bikestore_runtime::config::{
    ENV_DATA_DIR, ENV_JS_REPLICAS, ENV_NATS_CREDENTIALS, ENV_NATS_URL, ENV_SUBJECT_PREFIX, NatsTls,
};
use bikestore_runtime::connect::connect_once;
use clap::Parser;

/// How long connecting to nats-server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Parser)]
#[command(
    name = "bikestore-backup",
    about = "Backups of a whole Bikestore system, and their restore"
)]
struct Cli {
    /// Subject prefix of the deployment.
    #[arg(long, env = ENV_SUBJECT_PREFIX, default_value = bikestore_contracts::subjects::DEFAULT_PREFIX, global = true)]
    subject_prefix: String,
    #[command(subcommand)]
    command: Command,
}

/// Where nats-server is and who connects.
#[derive(Debug, clap::Args)]
struct Nats {
    /// NATS server URL (several, comma-separated, for a cluster).
    #[arg(long, env = ENV_NATS_URL, default_value = "nats://127.0.0.1:4222")]
    nats_url: String,
    /// NATS credentials file (`user:password`), an operator's (`ops`).
    #[arg(long, env = ENV_NATS_CREDENTIALS)]
    nats_credentials: Option<PathBuf>,
    /// TLS to nats-server.
    #[command(flatten)]
    nats_tls: NatsTls,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Takes a backup of the running system into a new or empty folder.
    Create {
        /// The folder to write.
        dir: PathBuf,
        /// The running system's data folder (its databases and keys).
        #[arg(long, env = ENV_DATA_DIR, default_value = ".data")]
        data_dir: PathBuf,
        #[command(flatten)]
        nats: Nats,
    },
    /// Checks a backup against this build without writing anything.
    Verify {
        /// The backup folder.
        dir: PathBuf,
    },
    /// Lists the backups in a folder, with their manifests' summaries.
    List {
        /// The folder holding backup folders.
        root: PathBuf,
    },
    /// Restores a backup's databases and keys into an empty data folder (before nats-server
    /// starts).
    RestoreFiles {
        /// The backup folder.
        dir: PathBuf,
        /// The data folder to restore into; it must be empty.
        #[arg(long, env = ENV_DATA_DIR, default_value = ".data")]
        data_dir: PathBuf,
    },
    /// Restores a backup's streams and saga records into an empty nats-server.
    RestoreNats {
        /// The backup folder.
        dir: PathBuf,
        /// Copies of each stream and bucket (the cluster's node count).
        #[arg(long, env = ENV_JS_REPLICAS, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=5))]
        js_replicas: u8,
        #[command(flatten)]
        nats: Nats,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error @ BackupError::Refused(_)) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
        Err(error) => {
            eprintln!("error: {}", bikestore_runtime::error_chain(&error));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), BackupError> {
    let subjects = Subjects::new(&cli.subject_prefix)
        .map_err(|error| BackupError::Unusable(format!("--subject-prefix: {error}")))?;
    match cli.command {
        Command::Create {
            dir,
            data_dir,
            nats,
        } => {
            let client = connect(&nats).await?;
            let manifest = take::take(&client, &subjects, &data_dir, &dir).await?;
            println!("backup {}: {}", dir.display(), manifest.summary());
        }
        Command::Verify { dir } => {
            let manifest = blocking(move || verify::verify(&dir, &subjects)).await?;
            println!("verified: {}", manifest.summary());
        }
        Command::List { root } => {
            let lines = bikestore_backup::list(&root)?;
            if lines.is_empty() {
                println!("no backups in {}", root.display());
            }
            for line in lines {
                println!("{line}");
            }
        }
        Command::RestoreFiles { dir, data_dir } => {
            blocking(move || {
                let manifest = verify::verify(&dir, &subjects)?;
                restore::restore_files(&dir, &manifest, &data_dir)
            })
            .await?;
        }
        Command::RestoreNats {
            dir,
            js_replicas,
            nats,
        } => {
            let manifest = {
                let (dir, subjects) = (dir.clone(), subjects.clone());
                blocking(move || verify::verify(&dir, &subjects)).await?
            };
            let client = connect(&nats).await?;
            restore::restore_into_nats(&client, &subjects, &dir, &manifest, js_replicas.into())
                .await?;
            client
                .flush()
                .await
                .map_err(|error| BackupError::nats("flush", error))?;
            println!("restored: {}", manifest.summary());
        }
    }
    Ok(())
}

async fn connect(nats: &Nats) -> Result<async_nats::Client, BackupError> {
    Ok(connect_once(
        &nats.nats_url,
        nats.nats_credentials.as_deref(),
        &nats.nats_tls,
        CONNECT_TIMEOUT,
    )
    .await?)
}

/// Runs file work off the async runtime.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, BackupError> + Send + 'static,
) -> Result<T, BackupError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| BackupError::Unusable(format!("{error}")))?
}
