//! Per-caller token buckets: each member of staff (and anonymous callers together) may send
//! `burst` requests at once and `rate` per second after that.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use bikestore_contracts::StaffId;

/// Who a bucket belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RateKey {
    /// A member of staff, by ID.
    Staff(StaffId),
    /// Every call without a token (logins, refreshes, public keys).
    Anonymous,
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// The buckets, bounded: when too many are held, full ones are forgotten first.
pub struct RateLimiter {
    rate_per_second: f64,
    burst: f64,
    max_buckets: usize,
    buckets: Mutex<HashMap<RateKey, Bucket>>,
}

impl RateLimiter {
    /// `rate_per_second` sustained, `burst` at once.
    pub fn new(rate_per_second: u32, burst: u32) -> RateLimiter {
        RateLimiter {
            rate_per_second: f64::from(rate_per_second.max(1)),
            burst: f64::from(burst.max(1)),
            max_buckets: 100_000,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token from `key`'s bucket; `false` when it is empty.
    pub fn admit(&self, key: RateKey) -> bool {
        self.admit_at(key, Instant::now())
    }

    fn admit_at(&self, key: RateKey, now: Instant) -> bool {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() >= self.max_buckets && !buckets.contains_key(&key) {
            let (rate, burst) = (self.rate_per_second, self.burst);
            // A bucket that has refilled completely holds nothing worth keeping.
            buckets.retain(|_, bucket| {
                bucket.tokens + now.duration_since(bucket.updated).as_secs_f64() * rate < burst
            });
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        let elapsed = now.duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate_per_second).min(self.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_empties_the_bucket_and_time_refills_it() {
        let limiter = RateLimiter::new(10, 3);
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.admit_at(RateKey::Staff(StaffId(1)), start));
        }
        assert!(!limiter.admit_at(RateKey::Staff(StaffId(1)), start));
        assert!(limiter.admit_at(RateKey::Staff(StaffId(2)), start));
        assert!(limiter.admit_at(
            RateKey::Staff(StaffId(1)),
            start + Duration::from_millis(150)
        ));
    }
}
