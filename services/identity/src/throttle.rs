//! Login throttling per username, as a pure policy over a failure count and a time.
//!
//! The first [`ThrottlePolicy::free_attempts`] failures are answered at once. After that each
//! try must wait [`ThrottlePolicy::base_delay_ms`], doubled for every further failure, since
//! the last failure; after [`ThrottlePolicy::lock_after`] failures the username is locked for
//! [`ThrottlePolicy::lock_ms`]. A success clears the count. Unknown usernames are counted the
//! same way, so throttling never tells whether an account exists.
//!
//! An attempt is counted as a failure before its password is checked (see
//! `store::login_attempts::claim`), so parallel guesses cannot slip in under the limit.

use crate::config::IdentityConfig;

/// How hard repeated failures are slowed down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures answered without delay.
    pub free_attempts: u32,
    /// The wait after the first throttled failure, in milliseconds; it doubles each time.
    pub base_delay_ms: i64,
    /// Failures after which the username is locked.
    pub lock_after: u32,
    /// How long a lock lasts, in milliseconds; also how long a failure is remembered.
    pub lock_ms: i64,
}

/// Whether a login attempt may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Check the password.
    Allowed,
    /// Refuse without checking, until this time (milliseconds since the Unix epoch).
    Throttled {
        /// When the next attempt may be made.
        until_ms: i64,
    },
}

impl ThrottlePolicy {
    /// The policy of a configuration.
    pub fn from_config(config: &IdentityConfig) -> ThrottlePolicy {
        ThrottlePolicy {
            free_attempts: config.login_free_attempts,
            base_delay_ms: i64::try_from(config.login_base_delay.as_millis()).unwrap_or(i64::MAX),
            lock_after: config.login_lock_after.max(1),
            lock_ms: i64::try_from(config.login_lock.as_millis()).unwrap_or(i64::MAX),
        }
    }

    /// The failures that still count at `now_ms`, given the count and the last failure: all of
    /// them, or none once `lock_ms` has passed since the last.
    pub fn live_failures(&self, failures: u32, last_failure_ms: i64, now_ms: i64) -> u32 {
        if now_ms.saturating_sub(last_failure_ms) >= self.lock_ms {
            0
        } else {
            failures
        }
    }

    /// Whether an attempt at `now_ms` may go ahead after `failures` live failures, the last at
    /// `last_failure_ms`.
    pub fn decide(&self, failures: u32, last_failure_ms: i64, now_ms: i64) -> Decision {
        let wait_ms = if failures >= self.lock_after {
            self.lock_ms
        } else if failures >= self.free_attempts {
            let doublings = (failures - self.free_attempts).min(30);
            self.base_delay_ms
                .saturating_mul(1_i64 << doublings)
                .min(self.lock_ms)
        } else {
            return Decision::Allowed;
        };
        let until_ms = last_failure_ms.saturating_add(wait_ms);
        if now_ms < until_ms {
            Decision::Throttled { until_ms }
        } else {
            Decision::Allowed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: ThrottlePolicy = ThrottlePolicy {
        free_attempts: 3,
        base_delay_ms: 1_000,
        lock_after: 6,
        lock_ms: 60_000,
    };

    #[test]
    fn the_first_failures_are_free() {
        for failures in 0..3 {
            assert_eq!(POLICY.decide(failures, 100, 100), Decision::Allowed);
        }
    }

    #[test]
    fn later_failures_wait_longer_each_time() {
        assert_eq!(
            POLICY.decide(3, 0, 999),
            Decision::Throttled { until_ms: 1_000 }
        );
        assert_eq!(POLICY.decide(3, 0, 1_000), Decision::Allowed);
        assert_eq!(
            POLICY.decide(4, 0, 1_000),
            Decision::Throttled { until_ms: 2_000 }
        );
        assert_eq!(
            POLICY.decide(5, 0, 3_999),
            Decision::Throttled { until_ms: 4_000 }
        );
    }

    #[test]
    fn too_many_failures_lock_and_the_lock_ends() {
        assert_eq!(
            POLICY.decide(6, 0, 59_999),
            Decision::Throttled { until_ms: 60_000 }
        );
        assert_eq!(POLICY.decide(6, 0, 60_000), Decision::Allowed);
        assert_eq!(POLICY.live_failures(6, 0, 60_000), 0);
        assert_eq!(POLICY.live_failures(6, 0, 59_999), 6);
    }
}
