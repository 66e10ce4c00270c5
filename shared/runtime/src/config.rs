//! The configuration every service shares, from flags and environment.

use std::path::PathBuf;
use std::time::Duration;

use bikestore_contracts::Subjects;
use bikestore_storage::{DatabaseOptions, Synchronous};

use crate::error::RuntimeError;

/// Environment variable for [`CommonConfig::nats_url`].
pub const ENV_NATS_URL: &str = "BIKESTORE_NATS_URL";
/// Environment variable for [`CommonConfig::nats_credentials`].
pub const ENV_NATS_CREDENTIALS: &str = "BIKESTORE_NATS_CREDENTIALS";
/// Environment variable for [`CommonConfig::subject_prefix`].
pub const ENV_SUBJECT_PREFIX: &str = "BIKESTORE_SUBJECT_PREFIX";
/// Environment variable for [`CommonConfig::data_dir`].
pub const ENV_DATA_DIR: &str = "BIKESTORE_DATA_DIR";
/// Environment variable for [`CommonConfig::max_request_bytes`].
pub const ENV_MAX_REQUEST_BYTES: &str = "BIKESTORE_MAX_REQUEST_BYTES";
/// Environment variable for [`CommonConfig::durability`].
pub const ENV_DURABILITY: &str = "BIKESTORE_DURABILITY";
/// Environment variable for [`CommonConfig::log_to_stderr`].
pub const ENV_LOG_STDERR: &str = "BIKESTORE_LOG_STDERR";
/// Environment variable for [`CommonConfig::inbox_retention`].
pub const ENV_INBOX_RETENTION_HOURS: &str = "BIKESTORE_INBOX_RETENTION_HOURS";
/// Environment variable for [`NatsTls::ca`].
pub const ENV_NATS_TLS_CA: &str = "BIKESTORE_NATS_TLS_CA";
/// Environment variable for [`NatsTls::cert`].
pub const ENV_NATS_TLS_CERT: &str = "BIKESTORE_NATS_TLS_CERT";
/// Environment variable for [`NatsTls::key`].
pub const ENV_NATS_TLS_KEY: &str = "BIKESTORE_NATS_TLS_KEY";
/// Environment variable for [`CommonConfig::fault`].
pub const ENV_FAULT: &str = "BIKESTORE_FAULT";
/// Environment variable for [`CommonConfig::js_replicas`].
pub const ENV_JS_REPLICAS: &str = "BIKESTORE_JS_REPLICAS";
/// Environment variable for [`CommonConfig::metrics_addr`].
pub const ENV_METRICS_ADDR: &str = "BIKESTORE_METRICS_ADDR";

/// The most copies JetStream keeps of a stream.
pub const MAX_JS_REPLICAS: usize = 5;

/// How hard a commit pushes to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Durability {
    /// SQLite WAL with `synchronous=NORMAL`: survives any process crash.
    #[default]
    Default,
    /// SQLite `synchronous=FULL`: also survives power loss.
    Durable,
}

/// A deliberate fault, for tests that prove crash safety.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Abort the process right after the named command's transaction commits, before its
    /// events are published.
    CrashAfterCommit(String),
    /// Answer every request to the named operation with `unavailable`, as if its dependency
    /// were down.
    FailOperation(String),
    /// Commit the named command as usual, then hold its reply this long: a caller that gives
    /// up sooner times out although the effect happened. Only a fresh execution is held; a
    /// repeat answered from the inbox is not, so asking again learns the outcome.
    ReplyLate(String, Duration),
}

impl Fault {
    /// Whether this fault makes `operation` answer `unavailable`.
    pub fn fails(&self, operation: &str) -> bool {
        matches!(self, Fault::FailOperation(failing) if failing == operation)
    }

    /// How long this fault holds the reply of a fresh, committed `operation`, if at all.
    pub fn reply_delay(&self, operation: &str) -> Option<Duration> {
        match self {
            Fault::ReplyLate(late, delay) if late == operation => Some(*delay),
            _ => None,
        }
    }

    /// The refusal a failing operation answers with.
    pub fn refusal(operation: &str) -> bikestore_contracts::WireError {
        bikestore_contracts::WireError::new(
            bikestore_contracts::ErrorCode::Unavailable,
            format!("{operation} is failing on purpose (fault injection)"),
        )
    }
}

impl std::str::FromStr for Fault {
    type Err = String;

    fn from_str(text: &str) -> Result<Fault, String> {
        match text.split_once('=') {
            Some(("crash_after_commit", operation)) if !operation.is_empty() => {
                Ok(Fault::CrashAfterCommit(operation.to_owned()))
            }
            Some(("fail_operation", operation)) if !operation.is_empty() => {
                Ok(Fault::FailOperation(operation.to_owned()))
            }
            Some(("reply_late", spec)) => {
                let (operation, millis) = spec.split_once(':').ok_or_else(|| {
                    format!("fault {text:?} needs a delay: reply_late=<operation>:<milliseconds>")
                })?;
                if operation.is_empty() {
                    return Err(format!("fault {text:?} names no operation"));
                }
                let delay =
                    parse_millis(millis).map_err(|error| format!("fault {text:?}: {error}"))?;
                Ok(Fault::ReplyLate(operation.to_owned(), delay))
            }
            _ => Err(format!(
                "unknown fault {text:?}; faults are crash_after_commit=<operation>, \
                 fail_operation=<operation> and reply_late=<operation>:<milliseconds>"
            )),
        }
    }
}

/// TLS to nats-server (its TLS profile, `nats/server-tls.conf`): off unless a certificate
/// authority is given.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct NatsTls {
    /// The certificate authority (PEM) that signed nats-server's certificate: with it, the
    /// connection must be TLS and the server must prove itself with that authority.
    #[arg(long = "nats-tls-ca", env = ENV_NATS_TLS_CA, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// This client's certificate (PEM), for a server that verifies clients
    /// (`nats/server-tls-verify.conf`); goes with `--nats-tls-key`.
    #[arg(long = "nats-tls-cert", env = ENV_NATS_TLS_CERT, value_name = "FILE", requires = "key")]
    pub cert: Option<PathBuf>,
    /// The private key (PEM) of `--nats-tls-cert`.
    #[arg(long = "nats-tls-key", env = ENV_NATS_TLS_KEY, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,
}

impl NatsTls {
    /// `options` with these TLS settings: unchanged without a certificate authority.
    pub fn apply(&self, mut options: async_nats::ConnectOptions) -> async_nats::ConnectOptions {
        if let Some(ca) = &self.ca {
            options = options.add_root_certificates(ca.clone()).require_tls(true);
        }
        if let (Some(cert), Some(key)) = (&self.cert, &self.key) {
            options = options.add_client_certificate(cert.clone(), key.clone());
        }
        options
    }
}

/// Flags and environment shared by every service binary.
#[derive(Debug, Clone, clap::Args)]
pub struct CommonConfig {
    /// NATS server URL, or a comma-separated list of a cluster's nodes.
    #[arg(long, env = ENV_NATS_URL, default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,
    /// NATS credentials file: one line `user:password` (`just up` writes one per service under
    /// `<data>/credentials/`). Without it the service connects anonymously.
    #[arg(long, env = ENV_NATS_CREDENTIALS)]
    pub nats_credentials: Option<PathBuf>,
    /// TLS to nats-server.
    #[command(flatten)]
    pub nats_tls: NatsTls,
    /// Prefix of every subject, stream and bucket, so deployments can share a NATS account.
    #[arg(long, env = ENV_SUBJECT_PREFIX, default_value = bikestore_contracts::subjects::DEFAULT_PREFIX)]
    pub subject_prefix: String,
    /// Folder for the service's database and log files.
    #[arg(long, env = ENV_DATA_DIR, default_value = ".data")]
    pub data_dir: PathBuf,
    /// Requests larger than this many bytes are refused.
    #[arg(long, env = ENV_MAX_REQUEST_BYTES, default_value_t = bikestore_codec::DEFAULT_MAX_REQUEST_BYTES)]
    pub max_request_bytes: usize,
    /// Durability profile: `default` survives a process crash, `durable` also power loss.
    #[arg(long, env = ENV_DURABILITY, value_enum, default_value_t = Durability::Default)]
    pub durability: Durability,
    /// Also log to stderr (log files are always written).
    #[arg(long, env = ENV_LOG_STDERR, default_value_t = true, action = clap::ArgAction::Set)]
    pub log_to_stderr: bool,
    /// Hours a command's recorded reply is kept for repeats of its idempotency key; older
    /// entries are pruned, so the inbox does not grow for ever.
    #[arg(long = "inbox-retention-hours", env = ENV_INBOX_RETENTION_HOURS, value_parser = parse_hours, default_value = "168")]
    pub inbox_retention: Duration,
    /// Copies JetStream keeps of every stream and bucket the service creates, 1 to 5: 3 on a
    /// 3-node cluster, so losing a node loses nothing. A stream found with fewer is raised to
    /// this at start; one found with more is kept (and a warning logged).
    #[arg(long, env = ENV_JS_REPLICAS, value_parser = parse_js_replicas, default_value = "1")]
    pub js_replicas: usize,
    /// Serve Prometheus metrics as text on `http://<address>/metrics` (e.g. `127.0.0.1:9464`);
    /// off when absent.
    #[arg(long, env = ENV_METRICS_ADDR, value_name = "ADDRESS")]
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// Fault injection for crash tests, e.g. `crash_after_commit=receive_stock`,
    /// `fail_operation=reserve_stock` or `reply_late=capture_payment:3000`.
    #[arg(long, env = ENV_FAULT, hide = true)]
    pub fault: Option<Fault>,
}

impl CommonConfig {
    /// A configuration with every default, for tests and tools.
    pub fn new(nats_url: impl Into<String>, data_dir: impl Into<PathBuf>) -> CommonConfig {
        CommonConfig {
            nats_url: nats_url.into(),
            nats_credentials: None,
            nats_tls: NatsTls::default(),
            subject_prefix: bikestore_contracts::subjects::DEFAULT_PREFIX.to_owned(),
            data_dir: data_dir.into(),
            max_request_bytes: bikestore_codec::DEFAULT_MAX_REQUEST_BYTES,
            durability: Durability::Default,
            log_to_stderr: false,
            inbox_retention: Duration::from_secs(168 * 3600),
            js_replicas: 1,
            metrics_addr: None,
            fault: None,
        }
    }

    /// The subject builder for the configured prefix.
    pub fn subjects(&self) -> Result<Subjects, RuntimeError> {
        Subjects::new(&self.subject_prefix).map_err(|error| RuntimeError::Config(error.to_string()))
    }

    /// Where a service keeps its database.
    pub fn database_path(&self, service: &str) -> PathBuf {
        database_path(&self.data_dir, service)
    }

    /// Where a service writes its log files.
    pub fn log_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }

    /// Database options for the durability profile.
    pub fn database_options(&self) -> DatabaseOptions {
        DatabaseOptions {
            synchronous: match self.durability {
                Durability::Default => Synchronous::Normal,
                Durability::Durable => Synchronous::Full,
            },
            ..DatabaseOptions::default()
        }
    }
}

/// Where `service` keeps its database under `data_dir`: `<data>/<service>/<service>.db`.
pub fn database_path(data_dir: &std::path::Path, service: &str) -> PathBuf {
    data_dir.join(service).join(format!("{service}.db"))
}

/// Parses a duration given in whole hours on the command line.
pub fn parse_hours(text: &str) -> Result<Duration, String> {
    text.parse::<u64>()
        .ok()
        .and_then(|hours| hours.checked_mul(3600))
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{text:?} is not a whole number of hours"))
}

/// Parses a JetStream replica count: 1 to [`MAX_JS_REPLICAS`].
pub fn parse_js_replicas(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(replicas) if (1..=MAX_JS_REPLICAS).contains(&replicas) => Ok(replicas),
        _ => Err(format!(
            "{text:?} is not a JetStream replica count: 1 to {MAX_JS_REPLICAS} copies \
             (3 on a 3-node cluster)"
        )),
    }
}

/// Parses a duration given in milliseconds on the command line.
pub fn parse_millis(text: &str) -> Result<Duration, String> {
    text.parse::<u64>()
        .map(Duration::from_millis)
        .map_err(|_| format!("{text:?} is not a whole number of milliseconds"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_parses() {
        assert_eq!(
            "crash_after_commit=receive_stock".parse(),
            Ok(Fault::CrashAfterCommit("receive_stock".into()))
        );
        assert_eq!(
            "fail_operation=reserve_stock".parse(),
            Ok(Fault::FailOperation("reserve_stock".into()))
        );
        assert_eq!(
            "reply_late=capture_payment:2500".parse(),
            Ok(Fault::ReplyLate(
                "capture_payment".into(),
                Duration::from_millis(2500)
            ))
        );
    }

    #[test]
    fn a_late_reply_delays_only_its_operation() {
        let fault = Fault::ReplyLate("capture_payment".into(), Duration::from_millis(10));
        assert_eq!(
            fault.reply_delay("capture_payment"),
            Some(Duration::from_millis(10))
        );
        assert_eq!(fault.reply_delay("reserve_stock"), None);
        assert!(!fault.fails("capture_payment"));
    }

    #[test]
    fn replicas_are_one_to_five() {
        assert_eq!(parse_js_replicas("1"), Ok(1));
        assert_eq!(parse_js_replicas("3"), Ok(3));
        assert_eq!(parse_js_replicas("5"), Ok(5));
        for refused in ["0", "6", "-1", "three", ""] {
            let error = parse_js_replicas(refused).expect_err(refused);
            assert!(error.contains("1 to 5 copies"), "{refused}: {error}");
        }
    }

    #[test]
    fn replicas_are_refused_when_the_flags_are_parsed() {
        #[derive(clap::Parser)]
        struct Flags {
            #[command(flatten)]
            common: CommonConfig,
        }
        let parse = |replicas: &str| {
            <Flags as clap::Parser>::try_parse_from(["service", "--js-replicas", replicas])
        };
        assert_eq!(
            parse("3").map(|flags| flags.common.js_replicas).ok(),
            Some(3)
        );
        let refusal = parse("0").err().map(|error| error.to_string());
        assert!(
            refusal
                .as_deref()
                .is_some_and(|text| text.contains("--js-replicas") && text.contains("1 to 5")),
            "{refusal:?}"
        );
    }

    #[test]
    fn bad_faults_say_what_is_wrong() {
        let error = |text: &str| text.parse::<Fault>().expect_err(text);
        assert!(error("reply_late=capture_payment").contains("needs a delay"));
        assert!(error("reply_late=:100").contains("names no operation"));
        assert!(
            error("reply_late=capture_payment:soon")
                .contains("\"soon\" is not a whole number of milliseconds")
        );
        assert!(error("crash_after_commit=").contains("unknown fault"));
        assert!(error("slow=x").contains("reply_late=<operation>:<milliseconds>"));
    }
}
