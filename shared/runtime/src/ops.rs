//! Operator subcommands every service binary shares: listing and replaying dead letters,
//! waiting until a service is ready, printing its database replica's Litestream
//! configuration, and printing the system's health (`just status`); and what "ready" means
//! ([`is_ready_info`]).

use std::path::PathBuf;
use std::time::Duration;

use bikestore_contracts::database_replicas::has_database;
use bikestore_contracts::health::SystemHealthReport;
use bikestore_contracts::sagas::SagaStats;
use bikestore_contracts::{ServiceName, Subjects};

use crate::call::Caller;
use crate::config::{
    ENV_DATA_DIR, ENV_NATS_CREDENTIALS, ENV_NATS_URL, ENV_SUBJECT_PREFIX, NatsTls, database_path,
};
use crate::connect::connect_once;
use crate::error::RuntimeError;
use crate::{dead_letters, health, replica};

/// Which deployment an operator subcommand speaks to, and as whom.
#[derive(Debug, Clone, clap::Args)]
pub struct OpsConnection {
    /// NATS server URL, or a comma-separated list of a cluster's nodes.
    #[arg(long, env = ENV_NATS_URL, default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,
    /// NATS credentials file (`user:password`); anonymous without it.
    #[arg(long, env = ENV_NATS_CREDENTIALS)]
    pub nats_credentials: Option<PathBuf>,
    /// TLS to nats-server.
    #[command(flatten)]
    pub nats_tls: NatsTls,
    /// Subject prefix of the deployment.
    #[arg(long, env = ENV_SUBJECT_PREFIX, default_value = bikestore_contracts::subjects::DEFAULT_PREFIX)]
    pub subject_prefix: String,
}

impl OpsConnection {
    /// Connects, trying once for a few seconds, and names the deployment's subjects.
    pub async fn connect(&self) -> Result<(async_nats::Client, Subjects), RuntimeError> {
        let subjects = Subjects::new(&self.subject_prefix)
            .map_err(|error| RuntimeError::Config(error.to_string()))?;
        let client = connect_once(
            &self.nats_url,
            self.nats_credentials.as_deref(),
            &self.nats_tls,
            Duration::from_secs(5),
        )
        .await?;
        Ok((client, subjects))
    }
}

/// `dead-letters`: what consumers gave up on, and putting it back.
#[derive(Debug, Clone, clap::Args)]
pub struct DeadLetterArgs {
    /// Which deployment, as whom.
    #[command(flatten)]
    pub connection: OpsConnection,
    /// What to do.
    #[command(subcommand)]
    pub action: DeadLetterAction,
}

/// The dead-letter actions.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum DeadLetterAction {
    /// Lists dead letters, oldest first, one line each.
    List {
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Publishes a dead letter's original message again and removes the letter.
    Replay {
        /// The letter's ID, as `list` shows it.
        id: u64,
    },
}

/// Runs a dead-letter action, printing its result on stdout.
pub async fn dead_letters(args: DeadLetterArgs) -> Result<(), RuntimeError> {
    let (client, subjects) = args.connection.connect().await?;
    let jetstream = async_nats::jetstream::new(client);
    match args.action {
        DeadLetterAction::List { limit } => {
            let letters = dead_letters::list(&jetstream, &subjects, limit).await?;
            if letters.is_empty() {
                println!("no dead letters");
            }
            for letter in letters {
                println!(
                    "{}\tstream={} seq={} consumer={} deliveries={} subject={}",
                    letter.id,
                    letter.stream,
                    letter.stream_sequence,
                    letter.consumer,
                    letter.deliveries,
                    letter.subject.as_deref().unwrap_or("(message gone)")
                );
            }
        }
        DeadLetterAction::Replay { id } => {
            dead_letters::replay(&jetstream, &subjects, id).await?;
            println!("replayed dead letter {id}");
        }
    }
    Ok(())
}

/// Whether an `$SRV.INFO` answer says the micro service `service_name` is ready: it lists the
/// endpoint [`Subjects::READY_ENDPOINT`], which a service adds after all its others. (A service
/// answers `$SRV.PING` from the moment it registers, before its endpoints subscribe.)
pub fn is_ready_info(payload: &[u8], service_name: &str) -> bool {
    serde_json::from_slice::<async_nats::service::Info>(payload).is_ok_and(|info| {
        info.name == service_name
            && info
                .endpoints
                .iter()
                .any(|endpoint| endpoint.name == Subjects::READY_ENDPOINT)
    })
}

/// Waits until an instance of `service` is ready ([`is_ready_info`]), trying for at most
/// `timeout`; for the `ping` subcommand that scripts use to know a service is up.
pub async fn ping(
    nats_url: &str,
    credentials: Option<&std::path::Path>,
    tls: &NatsTls,
    service: ServiceName,
    timeout: Duration,
) -> Result<(), RuntimeError> {
    let client = connect_once(nats_url, credentials, tls, timeout).await?;
    let subject = Subjects::service_info(service);
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let attempt = tokio::time::timeout(
            Duration::from_millis(500),
            client.request(subject.clone(), "".into()),
        )
        .await;
        if let Ok(Ok(reply)) = attempt
            && is_ready_info(&reply.payload, service.as_str())
        {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(RuntimeError::nats(
                format!("no {service} service was ready ({subject}) within {timeout:?}"),
                timed_out(),
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn timed_out() -> std::io::Error {
    std::io::Error::from(std::io::ErrorKind::TimedOut)
}

/// The subcommands every service binary has besides serving; flatten it into the binary's own
/// subcommand enum.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum OpsCommand {
    /// Lists or replays messages that a consumer gave up on.
    DeadLetters(DeadLetterArgs),
    /// Exits 0 once an instance of the service is ready (its `$SRV.INFO` lists the `ready`
    /// endpoint), 1 if none is in time.
    Ping {
        /// NATS server URL.
        #[arg(long, env = ENV_NATS_URL, default_value = "nats://127.0.0.1:4222")]
        nats_url: String,
        /// NATS credentials file (`user:password`); anonymous without it.
        #[arg(long, env = ENV_NATS_CREDENTIALS)]
        nats_credentials: Option<PathBuf>,
        /// TLS to nats-server.
        #[command(flatten)]
        nats_tls: NatsTls,
        /// How long to keep trying, in milliseconds.
        #[arg(long, default_value_t = 10_000)]
        timeout_ms: u64,
    },
    /// Prints the Litestream configuration that replicates this service's database into its
    /// NATS object store bucket, as the user `<service>_replica` whose password Litestream
    /// reads from BIKESTORE_NATS_REPLICA_PASSWORD; `litestream replicate -config FILE` runs it,
    /// `litestream restore -config FILE DATABASE` rebuilds the database from it.
    ReplicaConfig(ReplicaConfigArgs),
    /// Prints the system's health: every service instance's endpoint statistics, every
    /// stream's consumers' lag, each node as the streams see it, and the saga counts.
    Health(OpsConnection),
}

/// The system's health as the operator `args` connects as sees it, with the saga counts asked
/// from the orchestrator (a problem in the report if it does not answer).
pub async fn system_health(args: &OpsConnection) -> Result<SystemHealthReport, RuntimeError> {
    let (client, subjects) = args.connect().await?;
    let mut report = health::gather(&client, &subjects).await;
    match Caller::new(client, subjects)
        .call(&SagaStats::default())
        .await
    {
        Ok(stats) => report.sagas = Some(health::saga_counts(&stats.counts)),
        Err(error) => report
            .problems
            .push(format!("the orchestrator did not count the sagas: {error}")),
    }
    Ok(report)
}

/// `replica-config`: where the database is and which NATS holds its replica.
#[derive(Debug, Clone, clap::Args)]
pub struct ReplicaConfigArgs {
    /// NATS server URL, or a comma-separated list of a cluster's nodes.
    #[arg(long, env = ENV_NATS_URL, default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,
    /// TLS to nats-server (Litestream takes the certificate authority only).
    #[command(flatten)]
    pub nats_tls: NatsTls,
    /// Subject prefix of the deployment (it names the bucket).
    #[arg(long, env = ENV_SUBJECT_PREFIX, default_value = bikestore_contracts::subjects::DEFAULT_PREFIX)]
    pub subject_prefix: String,
    /// The data folder the database is in.
    #[arg(long, env = ENV_DATA_DIR, default_value = ".data")]
    pub data_dir: PathBuf,
}

/// Prints the Litestream configuration of `service`'s database.
pub fn replica_config(args: &ReplicaConfigArgs, service: ServiceName) -> Result<(), RuntimeError> {
    if !has_database(service) {
        return Err(RuntimeError::Config(format!(
            "{service} keeps no database, so it has no replica"
        )));
    }
    let subjects = Subjects::new(&args.subject_prefix)
        .map_err(|error| RuntimeError::Config(error.to_string()))?;
    let database = database_path(&args.data_dir, service.as_str());
    let database = std::path::absolute(&database).map_err(|error| {
        RuntimeError::Config(format!("cannot resolve {}: {error}", database.display()))
    })?;
    print!(
        "{}",
        replica::litestream_config(&replica::ReplicaSettings {
            service,
            database: &database,
            nats_url: &args.nats_url,
            subjects: &subjects,
            tls_ca: args.nats_tls.ca.as_deref(),
        })?
    );
    Ok(())
}

/// Runs one of the shared subcommands for `service`.
pub async fn run_ops(command: OpsCommand, service: ServiceName) -> Result<(), RuntimeError> {
    match command {
        OpsCommand::DeadLetters(args) => dead_letters(args).await,
        OpsCommand::Ping {
            nats_url,
            nats_credentials,
            nats_tls,
            timeout_ms,
        } => {
            ping(
                &nats_url,
                nats_credentials.as_deref(),
                &nats_tls,
                service,
                Duration::from_millis(timeout_ms),
            )
            .await
        }
        OpsCommand::ReplicaConfig(args) => replica_config(&args, service),
        OpsCommand::Health(args) => {
            print!("{}", health::render(&system_health(&args).await?));
            Ok(())
        }
    }
}

/// Serves `service` until SIGTERM or Ctrl-C: starts telemetry, runs `run`, and logs a failure
/// with its cause chain before handing it back.
pub async fn serve<F, Fut>(
    service: ServiceName,
    common: &crate::CommonConfig,
    run: F,
) -> Result<(), RuntimeError>
where
    F: FnOnce(crate::Shutdown) -> Fut,
    Fut: std::future::Future<Output = Result<(), RuntimeError>>,
{
    let _telemetry =
        crate::telemetry::init(service.as_str(), &common.log_dir(), common.log_to_stderr)?;
    run(crate::Shutdown::on_signals())
        .await
        .inspect_err(|error| {
            tracing::error!(error = %crate::error_chain(error), "{service} failed");
        })
}

/// The process exit code for a binary's result, printing a failure with its cause chain.
pub fn exit_code<E: std::fmt::Display>(
    binary: &str,
    result: Result<(), E>,
) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{binary}: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(name: &str, endpoints: &[&str]) -> Vec<u8> {
        let endpoints: Vec<serde_json::Value> = endpoints
            .iter()
            .map(|endpoint| {
                serde_json::json!({
                    "name": endpoint,
                    "subject": endpoint,
                    "queue_group": name,
                    "metadata": {},
                })
            })
            .collect();
        serde_json::to_vec(&serde_json::json!({
            "type": "io.nats.micro.v1.info_response",
            "name": name,
            "id": "1",
            "description": "",
            "version": "0.1.0",
            "metadata": {},
            "endpoints": endpoints,
        }))
        .expect("encodes")
    }

    #[test]
    fn only_a_description_listing_the_ready_endpoint_is_ready() {
        let ready = info("inventory", &["list_stores", Subjects::READY_ENDPOINT]);
        assert!(is_ready_info(&ready, "inventory"));
        assert!(!is_ready_info(&ready, "orders"), "another service's");
        assert!(!is_ready_info(
            &info("inventory", &["list_stores"]),
            "inventory"
        ));
        assert!(!is_ready_info(b"not json", "inventory"));
    }
}
