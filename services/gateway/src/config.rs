//! The gateway's configuration.

use std::path::PathBuf;
use std::time::Duration;

use bikestore_contracts::ServiceName;
use bikestore_runtime::CommonConfig;
use bikestore_runtime::config::parse_millis;

use crate::policy::DiscountLimits;

/// Environment variable for [`GatewayConfig::forward_timeout`].
pub const ENV_FORWARD_TIMEOUT_MS: &str = "BIKESTORE_GATEWAY_FORWARD_TIMEOUT_MS";
/// Environment variable for [`GatewayConfig::rate_per_second`].
pub const ENV_RATE_PER_SECOND: &str = "BIKESTORE_GATEWAY_RATE_PER_SECOND";
/// Environment variable for [`GatewayConfig::rate_burst`].
pub const ENV_RATE_BURST: &str = "BIKESTORE_GATEWAY_RATE_BURST";
/// Environment variable for [`GatewayConfig::public_rate_per_second`].
pub const ENV_PUBLIC_RATE_PER_SECOND: &str = "BIKESTORE_GATEWAY_PUBLIC_RATE_PER_SECOND";
/// Environment variable for [`GatewayConfig::public_burst`].
pub const ENV_PUBLIC_BURST: &str = "BIKESTORE_GATEWAY_PUBLIC_BURST";
/// Environment variable for [`GatewayConfig::connection_rate_per_second`].
pub const ENV_CONNECTION_RATE_PER_SECOND: &str = "BIKESTORE_GATEWAY_CONNECTION_RATE_PER_SECOND";
/// Environment variable for [`GatewayConfig::connection_burst`].
pub const ENV_CONNECTION_BURST: &str = "BIKESTORE_GATEWAY_CONNECTION_BURST";
/// Environment variable for [`GatewayConfig::username_rate_per_second`].
pub const ENV_USERNAME_RATE_PER_SECOND: &str = "BIKESTORE_GATEWAY_USERNAME_RATE_PER_SECOND";
/// Environment variable for [`GatewayConfig::username_burst`].
pub const ENV_USERNAME_BURST: &str = "BIKESTORE_GATEWAY_USERNAME_BURST";
/// Environment variable for [`GatewayConfig::staff_cache_ttl`].
pub const ENV_STAFF_CACHE_TTL_MS: &str = "BIKESTORE_GATEWAY_STAFF_CACHE_TTL_MS";
/// Environment variable for [`GatewayConfig::key_refresh_interval`].
pub const ENV_KEY_REFRESH_INTERVAL_MS: &str = "BIKESTORE_GATEWAY_KEY_REFRESH_INTERVAL_MS";
/// Environment variable for [`GatewayConfig::replay_capacity`].
pub const ENV_REPLAY_CAPACITY: &str = "BIKESTORE_GATEWAY_REPLAY_CAPACITY";

/// Environment variable for [`GatewayConfig::presence_interval`].
pub const ENV_PRESENCE_INTERVAL_MS: &str = "BIKESTORE_GATEWAY_PRESENCE_INTERVAL_MS";
/// Environment variable for [`GatewayConfig::ended_sessions_lookback`].
pub const ENV_ENDED_SESSIONS_LOOKBACK_MINUTES: &str =
    "BIKESTORE_GATEWAY_ENDED_SESSIONS_LOOKBACK_MINUTES";

/// Environment variable for [`GatewayConfig::assertion_key`].
pub const ENV_ASSERTION_KEY: &str = "BIKESTORE_GATEWAY_ASSERTION_KEY";

/// Environment variable for [`GatewayConfig::discount_limits`].
pub const ENV_DISCOUNT_LIMITS: &str = "BIKESTORE_GATEWAY_DISCOUNT_LIMITS";

/// Flags and environment of `bikestore-gateway`.
#[derive(Debug, Clone, clap::Args)]
pub struct GatewayConfig {
    /// Settings every service shares.
    #[command(flatten)]
    pub common: CommonConfig,
    /// Milliseconds a forwarded request may take before the caller gets `timeout`.
    #[arg(long = "forward-timeout-ms", env = ENV_FORWARD_TIMEOUT_MS, value_parser = parse_millis, default_value = "10000")]
    pub forward_timeout: Duration,
    /// Requests per second each member of staff may sustain.
    #[arg(long, env = ENV_RATE_PER_SECOND, default_value_t = 50)]
    pub rate_per_second: u32,
    /// Requests a member may send at once before the sustained rate applies.
    #[arg(long, env = ENV_RATE_BURST, default_value_t = 100)]
    pub rate_burst: u32,
    /// Calls per second each public operation (login, refresh, logout, public keys) may
    /// sustain from all callers together; each operation has a budget of its own.
    #[arg(long, env = ENV_PUBLIC_RATE_PER_SECOND, default_value_t = 100)]
    pub public_rate_per_second: u32,
    /// Calls of one public operation at once before its sustained rate applies.
    #[arg(long, env = ENV_PUBLIC_BURST, default_value_t = 200)]
    pub public_burst: u32,
    /// Public calls per second one NATS connection (a console) may sustain.
    #[arg(long, env = ENV_CONNECTION_RATE_PER_SECOND, default_value_t = 10)]
    pub connection_rate_per_second: u32,
    /// Public calls one connection may send at once before its sustained rate applies.
    #[arg(long, env = ENV_CONNECTION_BURST, default_value_t = 20)]
    pub connection_burst: u32,
    /// Logins per second of one username (and refreshes or logouts of one refresh token) from
    /// all connections together; identity's own throttle slows down wrong passwords further.
    #[arg(long, env = ENV_USERNAME_RATE_PER_SECOND, default_value_t = 5)]
    pub username_rate_per_second: u32,
    /// Logins of one username at once before its sustained rate applies.
    #[arg(long, env = ENV_USERNAME_BURST, default_value_t = 20)]
    pub username_burst: u32,
    /// Milliseconds a member's active flag is trusted before identity is asked again.
    #[arg(long = "staff-cache-ttl-ms", env = ENV_STAFF_CACHE_TTL_MS, value_parser = parse_millis, default_value = "5000")]
    pub staff_cache_ttl: Duration,
    /// Least milliseconds between two fetches of identity's public keys for an unknown key ID.
    #[arg(long = "key-refresh-interval-ms", env = ENV_KEY_REFRESH_INTERVAL_MS, value_parser = parse_millis, default_value = "2000")]
    pub key_refresh_interval: Duration,
    /// Most nonces remembered at once; when full of unexpired ones, requests are refused.
    #[arg(long, env = ENV_REPLAY_CAPACITY, default_value_t = 1_000_000)]
    pub replay_capacity: usize,
    /// Milliseconds between two checks that each service answers; a query reaches a stopped
    /// service's caller as `timeout` instead of `unavailable` for at most this long.
    #[arg(long = "presence-interval-ms", env = ENV_PRESENCE_INTERVAL_MS, value_parser = parse_millis, default_value = "1000")]
    pub presence_interval: Duration,
    /// Minutes of identity's `sessions_ended` events read back at start, so a restart does not
    /// forget a logout; at least identity's access-token lifetime (15 minutes by default).
    #[arg(long = "ended-sessions-lookback-minutes", env = ENV_ENDED_SESSIONS_LOOKBACK_MINUTES, value_parser = parse_minutes, default_value = "60")]
    pub ended_sessions_lookback: Duration,
    /// The gateway's private caller-assertion key file, created with its public half beside it
    /// (`.pub`, which identity reads) when missing [default: <data-dir>/gateway/assertion.key].
    #[arg(long = "assertion-key", env = ENV_ASSERTION_KEY)]
    pub assertion_key: Option<PathBuf>,
    /// The largest discount each role may give on an order line, in whole percent; a role left
    /// out keeps its default.
    #[arg(long, env = ENV_DISCOUNT_LIMITS, value_parser = DiscountLimits::parse, default_value = "sales=10,manager=30,admin=100")]
    pub discount_limits: DiscountLimits,
}

/// Parses a duration given in whole minutes on the command line.
fn parse_minutes(text: &str) -> Result<Duration, String> {
    text.parse::<u64>()
        .ok()
        .and_then(|minutes| minutes.checked_mul(60))
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{text:?} is not a whole number of minutes"))
}

impl GatewayConfig {
    /// A configuration with every default, for tests.
    pub fn new(common: CommonConfig) -> GatewayConfig {
        GatewayConfig {
            common,
            forward_timeout: Duration::from_secs(10),
            rate_per_second: 50,
            rate_burst: 100,
            public_rate_per_second: 100,
            public_burst: 200,
            connection_rate_per_second: 10,
            connection_burst: 20,
            username_rate_per_second: 5,
            username_burst: 20,
            staff_cache_ttl: Duration::from_secs(5),
            key_refresh_interval: Duration::from_secs(2),
            replay_capacity: 1_000_000,
            presence_interval: Duration::from_secs(1),
            ended_sessions_lookback: Duration::from_secs(3600),
            assertion_key: None,
            discount_limits: DiscountLimits::default(),
        }
    }

    /// The rate budgets this configuration sets.
    pub fn rate_limits(&self) -> crate::rate::RateLimits {
        let budget = |rate_per_second, burst| crate::rate::Budget {
            rate_per_second,
            burst,
        };
        crate::rate::RateLimits::new(
            budget(self.rate_per_second, self.rate_burst),
            budget(self.connection_rate_per_second, self.connection_burst),
            budget(self.username_rate_per_second, self.username_burst),
            budget(self.public_rate_per_second, self.public_burst),
        )
    }

    /// Where the private caller-assertion key is: as configured, or under the data folder.
    pub fn assertion_key_path(&self) -> PathBuf {
        self.assertion_key.clone().unwrap_or_else(|| {
            self.common
                .data_dir
                .join(ServiceName::Gateway.as_str())
                .join(bikestore_auth::GATEWAY_KEY_FILE)
        })
    }
}
