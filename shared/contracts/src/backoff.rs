//! Exponential backoff with random jitter: the one rule for how long a retry loop waits.
//!
//! Every loop that retries something outside the process (the orchestrator's step retries,
//! notification deliveries, the outbox relay, waiting for JetStream at start, NATS reconnects,
//! the console's first connection) asks a [`Backoff`] for its next delay. It lives here, beside
//! the wire types, because `contracts` is the one crate that the runtime, every service and the
//! console all depend on; it is plain arithmetic over [`Duration`]s with no clock, no sleeping
//! and no async runtime, so it keeps `contracts` free of tokio. The jitter comes from the
//! operating system's random source, so replicas and consoles that failed together do not
//! retry in lock step.

use std::time::Duration;

use rand_core::{OsRng, RngCore};

/// How long to wait before each retry: `initial` after the first failure, doubling after each
/// further one up to `max`, then less a random share of up to half, so a delay lies between
/// half the exponential value and the whole of it, and never exceeds `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The exponential value after the first failure.
    pub initial: Duration,
    /// The largest exponential value; no delay is longer.
    pub max: Duration,
}

impl Backoff {
    /// A backoff starting at `initial` and capped at `max`.
    pub const fn new(initial: Duration, max: Duration) -> Backoff {
        Backoff { initial, max }
    }

    /// The delay after `failures` failures in a row (1 for the first; 0 reads as 1), with
    /// random jitter. Any count is safe: the exponent saturates at the cap.
    pub fn delay(&self, failures: u32) -> Duration {
        jittered(self.ceiling(failures), random_u64())
    }

    /// The delay after `failures` failures before jitter: `initial` doubled `failures - 1`
    /// times, at most `max`. The jittered delay lies in `ceiling / 2 ..= ceiling`.
    pub fn ceiling(&self, failures: u32) -> Duration {
        let factor = 2u32.saturating_pow(failures.saturating_sub(1));
        self.initial.saturating_mul(factor).min(self.max)
    }
}

/// `full` less `random`'s share of its half: `random` 0 keeps all of it, `u64::MAX` keeps just
/// over half.
fn jittered(full: Duration, random: u64) -> Duration {
    let half = full.as_nanos() / 2;
    // The top 32 bits are plenty of resolution and keep the product within u128: `half` is below
    // 2^94 for any Duration.
    let share = (half * u128::from(random >> 32)) >> 32;
    full.saturating_sub(duration_from_nanos(share))
}

fn duration_from_nanos(nanos: u128) -> Duration {
    let seconds = u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX);
    // The remainder is below 10^9, so it fits a u32.
    let subsec = u32::try_from(nanos % 1_000_000_000).unwrap_or(0);
    Duration::new(seconds, subsec)
}

/// A random number from the operating system; 0 (no jitter, the full delay) in the unlikely
/// case that it has none to give, since a retry loop must not fail for want of randomness.
fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    match OsRng.try_fill_bytes(&mut bytes) {
        Ok(()) => u64::from_le_bytes(bytes),
        Err(_) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BACKOFF: Backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));

    #[test]
    fn the_ceiling_doubles_up_to_the_cap() {
        let ceilings: Vec<u128> = (0..=8)
            .map(|failures| BACKOFF.ceiling(failures).as_millis())
            .collect();
        assert_eq!(
            ceilings,
            [100, 100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000]
        );
    }

    #[test]
    fn any_failure_count_is_safe() {
        for failures in [31, 32, 33, 64, u32::MAX - 1, u32::MAX] {
            assert_eq!(BACKOFF.ceiling(failures), BACKOFF.max);
            let delay = BACKOFF.delay(failures);
            assert!(delay <= BACKOFF.max && delay >= BACKOFF.max / 2);
        }
        let unbounded = Backoff::new(Duration::MAX, Duration::MAX);
        assert_eq!(unbounded.ceiling(u32::MAX), Duration::MAX);
        assert!(unbounded.delay(u32::MAX) >= Duration::MAX / 2);
    }

    #[test]
    fn jitter_takes_off_at_most_half() {
        let full = Duration::from_millis(1_000);
        assert_eq!(jittered(full, 0), full);
        let least = jittered(full, u64::MAX);
        assert!(least >= full / 2 && least < full / 2 + Duration::from_micros(1));
        assert_eq!(
            jittered(full, 1 << 63),
            Duration::from_millis(750),
            "half the range takes off a quarter"
        );
        assert_eq!(jittered(Duration::ZERO, u64::MAX), Duration::ZERO);
        assert_eq!(
            jittered(Duration::from_nanos(1), u64::MAX),
            Duration::from_nanos(1)
        );
    }

    #[test]
    fn random_delays_stay_within_their_bounds_and_vary() {
        let delays: Vec<Duration> = (0..200).map(|_| BACKOFF.delay(3)).collect();
        let ceiling = BACKOFF.ceiling(3);
        assert!(
            delays
                .iter()
                .all(|delay| *delay <= ceiling && *delay >= ceiling / 2),
            "{delays:?}"
        );
        // 200 draws from 2^32 shares: all equal would mean the jitter is not random.
        assert!(delays.iter().any(|delay| *delay != delays[0]));
    }
}
