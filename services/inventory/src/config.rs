//! The inventory service's configuration.

use std::time::Duration;

use bikestore_runtime::CommonConfig;
use bikestore_runtime::config::parse_millis;

/// Environment variable for [`InventoryConfig::reservation_ttl`].
pub const ENV_RESERVATION_TTL_MS: &str = "BIKESTORE_INVENTORY_RESERVATION_TTL_MS";
/// Environment variable for [`InventoryConfig::expiry_sweep_interval`].
pub const ENV_EXPIRY_SWEEP_MS: &str = "BIKESTORE_INVENTORY_EXPIRY_SWEEP_MS";
/// Environment variable for [`InventoryConfig::low_stock_threshold`].
pub const ENV_LOW_STOCK_THRESHOLD: &str = "BIKESTORE_INVENTORY_LOW_STOCK_THRESHOLD";

/// Flags and environment of `bikestore-inventory`.
#[derive(Debug, Clone, clap::Args)]
pub struct InventoryConfig {
    /// Settings every service shares.
    #[command(flatten)]
    pub common: CommonConfig,
    /// Milliseconds a reservation holds stock before it expires unless committed or released.
    #[arg(long = "reservation-ttl-ms", env = ENV_RESERVATION_TTL_MS, value_parser = parse_millis, default_value = "900000")]
    pub reservation_ttl: Duration,
    /// Milliseconds between sweeps for expired reservations.
    #[arg(long = "expiry-sweep-ms", env = ENV_EXPIRY_SWEEP_MS, value_parser = parse_millis, default_value = "1000")]
    pub expiry_sweep_interval: Duration,
    /// Available stock at or below this is low, and crossing it publishes `stock_low`.
    #[arg(long, env = ENV_LOW_STOCK_THRESHOLD, default_value_t = 5)]
    pub low_stock_threshold: i64,
}

impl InventoryConfig {
    /// A configuration with every default, for tests.
    pub fn new(common: CommonConfig) -> InventoryConfig {
        InventoryConfig {
            common,
            reservation_ttl: Duration::from_secs(15 * 60),
            expiry_sweep_interval: Duration::from_secs(1),
            low_stock_threshold: 5,
        }
    }
}
