//! The replay memory: every nonce seen within the time window, bounded in size.
//!
//! A request's nonce is remembered (per session key) until its timestamp leaves the window, after
//! which the timestamp check alone refuses it. When the memory is full of unexpired nonces the
//! gateway refuses new requests rather than forget one, so a replay can never slip through.

use std::collections::HashMap;
use std::sync::Mutex;

use bikestore_auth::REQUEST_WINDOW_MS;

/// Why a nonce was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayRefusal {
    /// Seen before within the window.
    Replayed,
    /// The memory is full of unexpired nonces.
    Full,
}

/// Nonces seen recently, by session key and nonce, with the time each may be forgotten.
pub struct ReplayCache {
    capacity: usize,
    seen: Mutex<HashMap<(String, String), i64>>,
}

impl ReplayCache {
    /// A memory of at most `capacity` nonces.
    pub fn new(capacity: usize) -> ReplayCache {
        ReplayCache {
            capacity: capacity.max(1),
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Records `nonce` of `session` signed at `timestamp_ms`, refusing it if already seen.
    pub fn check_and_record(
        &self,
        session: &str,
        nonce: &str,
        timestamp_ms: i64,
        now_ms: i64,
    ) -> Result<(), ReplayRefusal> {
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let key = (session.to_owned(), nonce.to_owned());
        if seen.get(&key).is_some_and(|forget_at| *forget_at > now_ms) {
            return Err(ReplayRefusal::Replayed);
        }
        if seen.len() >= self.capacity {
            seen.retain(|_, forget_at| *forget_at > now_ms);
            if seen.len() >= self.capacity {
                return Err(ReplayRefusal::Full);
            }
        }
        // Remember it until the latest moment its timestamp could still pass the window check.
        let forget_at = timestamp_ms
            .saturating_add(REQUEST_WINDOW_MS)
            .max(now_ms)
            .saturating_add(1);
        seen.insert(key, forget_at);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_750_000_000_000;

    #[test]
    fn a_nonce_counts_once_per_window() {
        let cache = ReplayCache::new(10);
        assert_eq!(cache.check_and_record("s", "n", NOW, NOW), Ok(()));
        assert_eq!(
            cache.check_and_record("s", "n", NOW, NOW + 1),
            Err(ReplayRefusal::Replayed)
        );
        assert_eq!(cache.check_and_record("other", "n", NOW, NOW), Ok(()));
        assert_eq!(
            cache.check_and_record("s", "n", NOW, NOW + REQUEST_WINDOW_MS + 1),
            Ok(())
        );
    }

    #[test]
    fn a_full_memory_forgets_expired_nonces_first_then_refuses() {
        let cache = ReplayCache::new(2);
        assert_eq!(cache.check_and_record("s", "a", NOW, NOW), Ok(()));
        assert_eq!(cache.check_and_record("s", "b", NOW, NOW), Ok(()));
        assert_eq!(
            cache.check_and_record("s", "c", NOW, NOW),
            Err(ReplayRefusal::Full)
        );
        let later = NOW + REQUEST_WINDOW_MS + 5;
        assert_eq!(cache.check_and_record("s", "c", later, later), Ok(()));
    }
}
