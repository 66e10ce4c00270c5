//! The orchestrator's configuration. Timeouts and backoffs are settings, so tests run them in
//! milliseconds.

use std::time::Duration;

use bikestore_runtime::CommonConfig;
use bikestore_runtime::config::parse_millis;

use crate::engine::RetryPolicy;
use crate::engine::definition::StepSettings;

/// Environment variable for [`OrchestratorConfig::step_timeout`].
pub const ENV_STEP_TIMEOUT_MS: &str = "BIKESTORE_ORCHESTRATOR_STEP_TIMEOUT_MS";
/// Environment variable for [`OrchestratorConfig::max_attempts`].
pub const ENV_MAX_ATTEMPTS: &str = "BIKESTORE_ORCHESTRATOR_MAX_ATTEMPTS";
/// Environment variable for [`OrchestratorConfig::initial_backoff`].
pub const ENV_INITIAL_BACKOFF_MS: &str = "BIKESTORE_ORCHESTRATOR_INITIAL_BACKOFF_MS";
/// Environment variable for [`OrchestratorConfig::max_backoff`].
pub const ENV_MAX_BACKOFF_MS: &str = "BIKESTORE_ORCHESTRATOR_MAX_BACKOFF_MS";
/// Environment variable for [`OrchestratorConfig::workers`].
pub const ENV_WORKERS: &str = "BIKESTORE_ORCHESTRATOR_WORKERS";
/// Environment variable for [`OrchestratorConfig::recovery_interval`].
pub const ENV_RECOVERY_INTERVAL_MS: &str = "BIKESTORE_ORCHESTRATOR_RECOVERY_INTERVAL_MS";
/// Environment variable for [`OrchestratorConfig::lease`].
pub const ENV_LEASE_MS: &str = "BIKESTORE_ORCHESTRATOR_LEASE_MS";
/// Environment variable for [`OrchestratorConfig::stale_after`].
pub const ENV_STALE_AFTER_MS: &str = "BIKESTORE_ORCHESTRATOR_STALE_AFTER_MS";

/// Environment variable for [`OrchestratorConfig::keep_ended_sagas_days`].
pub const ENV_KEEP_ENDED_SAGAS_DAYS: &str = "BIKESTORE_ORCHESTRATOR_KEEP_ENDED_SAGAS_DAYS";

/// Flags and environment of `bikestore-orchestrator`.
#[derive(Debug, Clone, clap::Args)]
pub struct OrchestratorConfig {
    /// Settings every service shares.
    #[command(flatten)]
    pub common: CommonConfig,
    /// Milliseconds one attempt of a saga step may take.
    #[arg(long = "step-timeout-ms", env = ENV_STEP_TIMEOUT_MS, value_parser = parse_millis, default_value = "5000")]
    pub step_timeout: Duration,
    /// Attempts of a step that fails for infrastructure reasons, the first included.
    #[arg(long, env = ENV_MAX_ATTEMPTS, default_value_t = 5)]
    pub max_attempts: u32,
    /// Milliseconds before the first retry; doubles after each, with jitter.
    #[arg(long = "initial-backoff-ms", env = ENV_INITIAL_BACKOFF_MS, value_parser = parse_millis, default_value = "200")]
    pub initial_backoff: Duration,
    /// The longest wait between retries, in milliseconds.
    #[arg(long = "max-backoff-ms", env = ENV_MAX_BACKOFF_MS, value_parser = parse_millis, default_value = "5000")]
    pub max_backoff: Duration,
    /// Sagas one replica drives at once.
    #[arg(long, env = ENV_WORKERS, default_value_t = 256)]
    pub workers: usize,
    /// Milliseconds between scans for sagas nobody is driving.
    #[arg(long = "recovery-interval-ms", env = ENV_RECOVERY_INTERVAL_MS, value_parser = parse_millis, default_value = "30000")]
    pub recovery_interval: Duration,
    /// Milliseconds a driver's lease on a saga lasts unless renewed (renewed before a step
    /// that it might not outlast): a saga whose driver died waits about this long before
    /// another replica takes it over. It must be at least the step timeout plus a second, and
    /// should be more, or every step first renews it, which writes the record.
    #[arg(long = "lease-ms", env = ENV_LEASE_MS, value_parser = parse_millis, default_value = "10000")]
    pub lease: Duration,
    /// A non-terminal saga unchanged for this many milliseconds is driven again by the scan.
    #[arg(long = "stale-after-ms", env = ENV_STALE_AFTER_MS, value_parser = parse_millis, default_value = "60000")]
    pub stale_after: Duration,
    /// Days an ended saga (completed, failed, resolved) is kept after its last change before
    /// it is removed from the bucket, checked every recovery interval; running, compensating
    /// and stuck sagas are never removed. 0 keeps every saga for ever.
    #[arg(long, env = ENV_KEEP_ENDED_SAGAS_DAYS, default_value_t = 30)]
    pub keep_ended_sagas_days: u32,
}

impl OrchestratorConfig {
    /// A configuration with every default, for tests.
    pub fn new(common: CommonConfig) -> OrchestratorConfig {
        OrchestratorConfig {
            common,
            step_timeout: Duration::from_secs(5),
            max_attempts: 5,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            workers: 256,
            recovery_interval: Duration::from_secs(30),
            lease: Duration::from_secs(10),
            stale_after: Duration::from_secs(60),
            keep_ended_sagas_days: 30,
        }
    }

    /// Refuses settings that break a rule: a lease must outlast a step's timeout by the
    /// margin a driver keeps, or a driver could still be waiting for a step when another takes
    /// the saga over.
    pub fn check(&self) -> Result<(), String> {
        let shortest = self.step_timeout + crate::engine::lease::MARGIN;
        if self.lease < shortest {
            return Err(format!(
                "--lease-ms ({} ms) must be at least the step timeout plus {} ms ({} ms)",
                self.lease.as_millis(),
                crate::engine::lease::MARGIN.as_millis(),
                shortest.as_millis()
            ));
        }
        Ok(())
    }

    /// How long an ended saga is kept, or `None` to keep every one.
    pub fn keep_ended_sagas(&self) -> Option<Duration> {
        (self.keep_ended_sagas_days > 0)
            .then(|| Duration::from_secs(u64::from(self.keep_ended_sagas_days) * 24 * 60 * 60))
    }

    /// The step timeout and retry policy every definition uses.
    pub fn step_settings(&self) -> StepSettings {
        StepSettings {
            timeout: self.step_timeout,
            retry: RetryPolicy {
                max_attempts: self.max_attempts.max(1),
                initial_backoff: self.initial_backoff,
                max_backoff: self.max_backoff,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_shorter_than_a_step_and_its_margin_is_refused() {
        let mut config = OrchestratorConfig::new(CommonConfig::new("nats://127.0.0.1:1", "."));
        assert_eq!(config.check(), Ok(()));
        config.lease = config.step_timeout;
        let refused = config.check().expect_err("a lease as short as a step");
        assert!(refused.contains("--lease-ms (5000 ms)"), "{refused}");
        assert!(refused.contains("6000 ms"), "{refused}");
    }
}
