//! Operator subcommands every service binary shares: listing and replaying dead letters, and
//! waiting until a service answers a ping.

use std::time::Duration;

use bikestore_contracts::{ServiceName, Subjects};

use crate::config::{ENV_NATS_URL, ENV_SUBJECT_PREFIX};
use crate::dead_letters;
use crate::error::RuntimeError;

/// `dead-letters`: what consumers gave up on, and putting it back.
#[derive(Debug, Clone, clap::Args)]
pub struct DeadLetterArgs {
    /// NATS server URL.
    #[arg(long, env = ENV_NATS_URL, default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,
    /// Subject prefix of the deployment.
    #[arg(long, env = ENV_SUBJECT_PREFIX, default_value = bikestore_contracts::subjects::DEFAULT_PREFIX)]
    pub subject_prefix: String,
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
    let subjects = Subjects::new(&args.subject_prefix)
        .map_err(|error| RuntimeError::Config(error.to_string()))?;
    let client = tokio::time::timeout(Duration::from_secs(5), async_nats::connect(&args.nats_url))
        .await
        .map_err(|_| RuntimeError::Config(format!("no NATS server answered at {}", args.nats_url)))?
        .map_err(|error| RuntimeError::nats(format!("connect to {}", args.nats_url), error))?;
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

/// Waits until an instance of `service` answers `$SRV.PING`, trying for at most `timeout`; for
/// the `ping` subcommand that scripts use to know a service is up.
pub async fn ping(
    nats_url: &str,
    service: ServiceName,
    timeout: Duration,
) -> Result<(), RuntimeError> {
    let client = tokio::time::timeout(timeout, async_nats::connect(nats_url))
        .await
        .map_err(|_| RuntimeError::nats(format!("connect to {nats_url}"), timed_out()))?
        .map_err(|error| RuntimeError::nats(format!("connect to {nats_url}"), error))?;
    let subject = Subjects::service_ping(service);
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
            return Err(RuntimeError::nats(
                format!("no {service} service answered {subject} within {timeout:?}"),
                timed_out(),
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn timed_out() -> std::io::Error {
    std::io::Error::from(std::io::ErrorKind::TimedOut)
}
