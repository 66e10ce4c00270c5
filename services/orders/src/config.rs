//! The orders service's configuration.

use std::time::Duration;

use bikestore_runtime::CommonConfig;
use bikestore_runtime::config::parse_millis;

/// Environment variable for [`OrdersConfig::provider_timeout`].
pub const ENV_PROVIDER_TIMEOUT_MS: &str = "BIKESTORE_ORDERS_PROVIDER_TIMEOUT_MS";
/// Environment variable for [`OrdersConfig::flaky_card_failures`].
pub const ENV_FLAKY_CARD_FAILURES: &str = "BIKESTORE_ORDERS_FLAKY_CARD_FAILURES";

/// The default wait for the payment provider.
pub const DEFAULT_PROVIDER_TIMEOUT: Duration = Duration::from_secs(5);
/// The default number of failures of the simulator's flaky test card.
pub const DEFAULT_FLAKY_CARD_FAILURES: u32 = 2;

/// Flags and environment of `bikestore-orders`.
#[derive(Debug, Clone, clap::Args)]
pub struct OrdersConfig {
    /// Settings every service shares.
    #[command(flatten)]
    pub common: CommonConfig,
    /// Milliseconds to wait for the payment provider before answering `timeout`.
    #[arg(long = "provider-timeout-ms", env = ENV_PROVIDER_TIMEOUT_MS, value_parser = parse_millis, default_value = "5000")]
    pub provider_timeout: Duration,
    /// How many times the simulated provider's flaky test card (4000 0000 0000 0259) answers
    /// `unavailable` for one order before it approves.
    #[arg(long, env = ENV_FLAKY_CARD_FAILURES, default_value_t = DEFAULT_FLAKY_CARD_FAILURES)]
    pub flaky_card_failures: u32,
}

impl OrdersConfig {
    /// A configuration with every default, for tests.
    pub fn new(common: CommonConfig) -> OrdersConfig {
        OrdersConfig {
            common,
            provider_timeout: DEFAULT_PROVIDER_TIMEOUT,
            flaky_card_failures: DEFAULT_FLAKY_CARD_FAILURES,
        }
    }
}
