//! The notifications service's configuration.

use std::path::PathBuf;
use std::time::Duration;

use bikestore_contracts::ServiceName;
use bikestore_runtime::CommonConfig;
use bikestore_runtime::config::parse_millis;

/// Environment variable for [`NotificationsConfig::delivery_retry_base`].
pub const ENV_DELIVERY_RETRY_BASE_MS: &str = "BIKESTORE_NOTIFICATIONS_DELIVERY_RETRY_BASE_MS";
/// Environment variable for [`NotificationsConfig::delivery_max_attempts`].
pub const ENV_DELIVERY_MAX_ATTEMPTS: &str = "BIKESTORE_NOTIFICATIONS_DELIVERY_MAX_ATTEMPTS";
/// Environment variable for [`NotificationsConfig::delivery_poll`].
pub const ENV_DELIVERY_POLL_MS: &str = "BIKESTORE_NOTIFICATIONS_DELIVERY_POLL_MS";
/// Environment variable for [`NotificationsConfig::event_retry`].
pub const ENV_EVENT_RETRY_MS: &str = "BIKESTORE_NOTIFICATIONS_EVENT_RETRY_MS";
/// Environment variable for [`NotificationsConfig::event_ack_wait`].
pub const ENV_EVENT_ACK_WAIT_MS: &str = "BIKESTORE_NOTIFICATIONS_EVENT_ACK_WAIT_MS";
/// Environment variable for [`NotificationsConfig::log_file_max_bytes`].
pub const ENV_LOG_FILE_MAX_BYTES: &str = "BIKESTORE_NOTIFICATIONS_LOG_FILE_MAX_BYTES";
/// Environment variable for [`NotificationsConfig::log_file_keep`].
pub const ENV_LOG_FILE_KEEP: &str = "BIKESTORE_NOTIFICATIONS_LOG_FILE_KEEP";
/// Environment variable for [`NotificationsConfig::fail_channel`].
pub const ENV_FAIL_CHANNEL: &str = "BIKESTORE_NOTIFICATIONS_FAIL_CHANNEL";

/// Flags and environment of `bikestore-notifications`.
#[derive(Debug, Clone, clap::Args)]
pub struct NotificationsConfig {
    /// Settings every service shares.
    #[command(flatten)]
    pub common: CommonConfig,
    /// Milliseconds before the first retry of a failed delivery; each further retry waits twice
    /// as long.
    #[arg(long = "delivery-retry-base-ms", env = ENV_DELIVERY_RETRY_BASE_MS, value_parser = parse_millis, default_value = "200")]
    pub delivery_retry_base: Duration,
    /// Delivery attempts per channel before a notification is marked `failed`.
    #[arg(long, env = ENV_DELIVERY_MAX_ATTEMPTS, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub delivery_max_attempts: u32,
    /// Milliseconds between looks for pending deliveries when nothing wakes the worker (for
    /// rows another process recorded).
    #[arg(long = "delivery-poll-ms", env = ENV_DELIVERY_POLL_MS, value_parser = parse_millis, default_value = "1000")]
    pub delivery_poll: Duration,
    /// Milliseconds before an event that could not be handled (unreadable, or the database
    /// failed) is delivered again; after the consumer's delivery limit it becomes a dead letter.
    #[arg(long = "event-retry-ms", env = ENV_EVENT_RETRY_MS, value_parser = parse_millis, default_value = "1000")]
    pub event_retry: Duration,
    /// Milliseconds the server waits for an event's acknowledgement before it delivers the event
    /// again, for instance after this process died holding it. Applies when the durable
    /// consumers are created.
    #[arg(long = "event-ack-wait-ms", env = ENV_EVENT_ACK_WAIT_MS, value_parser = parse_millis, default_value = "30000")]
    pub event_ack_wait: Duration,
    /// The notification log file is rotated when it would grow past this many bytes.
    #[arg(long, env = ENV_LOG_FILE_MAX_BYTES, default_value_t = 10 * 1024 * 1024)]
    pub log_file_max_bytes: u64,
    /// How many rotated notification log files are kept.
    #[arg(long, env = ENV_LOG_FILE_KEEP, default_value_t = 5)]
    pub log_file_keep: u32,
    /// Fault injection for tests: every delivery on the channel of this name (`log_file` or
    /// `live`) fails.
    #[arg(long, env = ENV_FAIL_CHANNEL, hide = true)]
    pub fail_channel: Option<String>,
}

impl NotificationsConfig {
    /// A configuration with every default, for tests.
    pub fn new(common: CommonConfig) -> NotificationsConfig {
        NotificationsConfig {
            common,
            delivery_retry_base: Duration::from_millis(200),
            delivery_max_attempts: 5,
            delivery_poll: Duration::from_secs(1),
            event_retry: Duration::from_secs(1),
            event_ack_wait: Duration::from_secs(30),
            log_file_max_bytes: 10 * 1024 * 1024,
            log_file_keep: 5,
            fail_channel: None,
        }
    }

    /// The folder holding the service's database, notification log and delivery lock.
    pub fn service_dir(&self) -> PathBuf {
        self.common
            .data_dir
            .join(ServiceName::Notifications.as_str())
    }

    /// The notification log file: one line per delivered notification.
    pub fn log_file_path(&self) -> PathBuf {
        self.service_dir().join("notifications.log")
    }

    /// The lock file that makes one process at a time the delivery worker of the database.
    pub fn delivery_lock_path(&self) -> PathBuf {
        self.service_dir().join("delivery.lock")
    }
}
