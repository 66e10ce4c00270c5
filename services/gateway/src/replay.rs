//! The replay memory: every nonce seen within the time window, bounded in size.
//!
//! A request's nonce is remembered (per session key) until its timestamp leaves the window, after
//! which the timestamp check alone refuses it. When the memory is full of unexpired nonces the
//! gateway refuses new requests rather than forget one, so a replay can never slip through.
//!
//! Nonces are forgotten in the order they expire, a few with each request, so the memory holds
//! about one window's worth of requests and no request waits for a sweep of all of it. Each is
//! kept as a 128-bit digest of session key and nonce: two requests sharing a digest by chance
//! would only see the second refused as a replay, never a replay accepted.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;

use bikestore_auth::REQUEST_WINDOW_MS;

/// At most this many expired nonces are forgotten per request while the memory has room, so
/// the memory shrinks faster than requests add to it without any request paying for many.
const FORGOTTEN_PER_REQUEST: usize = 4;

/// Why a nonce was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayRefusal {
    /// Seen before within the window.
    Replayed,
    /// The memory is full of unexpired nonces.
    Full,
}

/// Nonces seen recently, by digest of session key and nonce.
pub struct ReplayCache {
    capacity: usize,
    /// Two independently keyed hashers make the 128-bit digest, keyed anew per process.
    digest_keys: [RandomState; 2],
    memory: Mutex<Memory>,
}

/// Each remembered digest with the time it may be forgotten, and the same pairs by that time.
#[derive(Default)]
struct Memory {
    forget_at: HashMap<u128, i64>,
    by_expiry: BinaryHeap<Reverse<(i64, u128)>>,
}

impl Memory {
    /// Forgets up to `limit` digests whose time has come, earliest first. A digest recorded
    /// again after it expired has a later time in the map than its first place in the order:
    /// that place is dropped and the digest kept.
    fn forget_expired(&mut self, now_ms: i64, limit: usize) {
        for _ in 0..limit {
            match self.by_expiry.peek() {
                Some(&Reverse((forget_at, digest))) if forget_at <= now_ms => {
                    self.by_expiry.pop();
                    if self.forget_at.get(&digest) == Some(&forget_at) {
                        self.forget_at.remove(&digest);
                    }
                }
                _ => return,
            }
        }
    }
}

impl ReplayCache {
    /// A memory of at most `capacity` nonces.
    pub fn new(capacity: usize) -> ReplayCache {
        ReplayCache {
            capacity: capacity.max(1),
            digest_keys: [RandomState::new(), RandomState::new()],
            memory: Mutex::new(Memory::default()),
        }
    }

    fn digest(&self, session: &str, nonce: &str) -> u128 {
        let [high, low] = &self.digest_keys;
        let pair = (session, nonce);
        (u128::from(high.hash_one(pair)) << 64) | u128::from(low.hash_one(pair))
    }

    /// Records `nonce` of `session` signed at `timestamp_ms`, refusing it if already seen.
    pub fn check_and_record(
        &self,
        session: &str,
        nonce: &str,
        timestamp_ms: i64,
        now_ms: i64,
    ) -> Result<(), ReplayRefusal> {
        let digest = self.digest(session, nonce);
        let mut memory = self
            .memory
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        memory.forget_expired(now_ms, FORGOTTEN_PER_REQUEST);
        if memory
            .forget_at
            .get(&digest)
            .is_some_and(|forget_at| *forget_at > now_ms)
        {
            return Err(ReplayRefusal::Replayed);
        }
        if memory.forget_at.len() >= self.capacity {
            memory.forget_expired(now_ms, usize::MAX);
            if memory.forget_at.len() >= self.capacity {
                return Err(ReplayRefusal::Full);
            }
        }
        // Remember it until the latest moment its timestamp could still pass the window check.
        let forget_at = timestamp_ms
            .saturating_add(REQUEST_WINDOW_MS)
            .max(now_ms)
            .saturating_add(1);
        memory.forget_at.insert(digest, forget_at);
        memory.by_expiry.push(Reverse((forget_at, digest)));
        Ok(())
    }

    /// How many nonces are remembered.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.memory
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .forget_at
            .len()
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

    #[test]
    fn expired_nonces_are_forgotten_as_requests_come_long_before_the_memory_fills() {
        let cache = ReplayCache::new(1_000);
        for nonce in 0..10 {
            let nonce = format!("early-{nonce}");
            assert_eq!(cache.check_and_record("s", &nonce, NOW, NOW), Ok(()));
        }
        let later = NOW + REQUEST_WINDOW_MS + 5;
        for nonce in 0..3 {
            let nonce = format!("late-{nonce}");
            assert_eq!(cache.check_and_record("s", &nonce, later, later), Ok(()));
        }
        assert_eq!(cache.len(), 3, "the ten expired nonces are gone");
    }

    #[test]
    fn a_nonce_seen_again_after_expiry_is_remembered_for_its_new_window() {
        let cache = ReplayCache::new(1_000);
        for nonce in ["a", "b", "c", "d", "e", "f"] {
            assert_eq!(cache.check_and_record("s", nonce, NOW, NOW), Ok(()));
        }
        // "f" is expired but still held (only a few are forgotten per request): its old place
        // in the expiry order must not forget the new entry early.
        let later = NOW + REQUEST_WINDOW_MS + 5;
        assert_eq!(cache.check_and_record("s", "f", later, later), Ok(()));
        for nonce in ["g", "h", "i"] {
            assert_eq!(cache.check_and_record("s", nonce, later, later), Ok(()));
        }
        assert_eq!(
            cache.check_and_record("s", "f", later, later + 1),
            Err(ReplayRefusal::Replayed)
        );
    }
}
