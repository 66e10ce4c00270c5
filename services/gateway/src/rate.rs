//! Rate limits as token buckets, in layers that keep the door open: one flood empties only the
//! buckets it draws from.
//!
//! A signed request draws from its member's bucket. A public request (login, refresh, logout,
//! public keys: no member is known yet) draws, in this order, from the bucket of the NATS
//! connection it came from (see [`connection_of`]), of the username or refresh token it names
//! (see `public`), and of its operation. So a console flooding `public_keys` empties its own
//! connection's bucket and at worst the `public_keys` one, never the `login` bucket another
//! console draws from; a flood of logins for one username does not stop other usernames'.
//!
//! Each bucket holds `burst` tokens and refills at `rate_per_second`. Buckets are bounded:
//! when too many are held, those that have refilled completely are forgotten first.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::Instant;

use bikestore_contracts::StaffId;

/// How much one bucket allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Requests per second sustained.
    pub rate_per_second: u32,
    /// Requests at once before the sustained rate applies.
    pub burst: u32,
}

/// Which bucket refused, for the refusal's audit record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// The member's own.
    Staff,
    /// The NATS connection's, for public operations.
    Connection,
    /// The username's or the refresh token's, for public operations.
    Subject,
    /// The public operation's, shared by every caller.
    Operation,
}

impl Limit {
    /// The refusal's reason, as audited.
    pub fn reason(self) -> &'static str {
        match self {
            Limit::Staff => "rate limited: the member's budget is spent",
            Limit::Connection => "rate limited: the connection's budget is spent",
            Limit::Subject => "rate limited: the username's or refresh token's budget is spent",
            Limit::Operation => "rate limited: the operation's budget is spent",
        }
    }
}

/// A refused request: which bucket, and whether it is the first refusal since that bucket last
/// admitted one (only those are audited, so a flood writes one record, not one per message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    /// The empty bucket.
    pub limit: Limit,
    /// Whether the bucket admitted the request before this one.
    pub first_in_run: bool,
}

/// Every bucket of the gateway.
pub struct RateLimits {
    staff: Buckets<StaffId>,
    connections: Buckets<String>,
    subjects: Buckets<String>,
    operations: Buckets<&'static str>,
}

impl RateLimits {
    /// Buckets with these budgets: each member's, each connection's (public operations), each
    /// username's or refresh token's, and each public operation's.
    pub fn new(
        staff: Budget,
        connection: Budget,
        subject: Budget,
        operation: Budget,
    ) -> RateLimits {
        RateLimits {
            staff: Buckets::new(staff),
            connections: Buckets::new(connection),
            subjects: Buckets::new(subject),
            operations: Buckets::new(operation),
        }
    }

    /// Takes a token from the member's bucket.
    pub fn admit_staff(&self, staff_id: StaffId) -> Result<(), Refused> {
        self.staff
            .admit(staff_id, Instant::now())
            .map_err(|first_in_run| Refused {
                limit: Limit::Staff,
                first_in_run,
            })
    }

    /// Takes a token from the bucket of the connection a public request came from; checked
    /// before the body is read, so a flood costs the gateway little.
    pub fn admit_connection(&self, connection: &str) -> Result<(), Refused> {
        self.connections
            .admit(connection.to_owned(), Instant::now())
            .map_err(|first_in_run| Refused {
                limit: Limit::Connection,
                first_in_run,
            })
    }

    /// Takes a token from the bucket of what a public request names (its username or refresh
    /// token, if any) and then from its operation's, so a request refused for its username
    /// costs the operation's bucket nothing.
    pub fn admit_public(
        &self,
        budget_key: Option<String>,
        operation: &'static str,
    ) -> Result<(), Refused> {
        let now = Instant::now();
        let refused = |limit| {
            move |first_in_run| Refused {
                limit,
                first_in_run,
            }
        };
        if let Some(budget_key) = budget_key {
            self.subjects
                .admit(budget_key, now)
                .map_err(refused(Limit::Subject))?;
        }
        self.operations
            .admit(operation, now)
            .map_err(refused(Limit::Operation))
    }
}

/// The connection a request came from, read from its reply subject
/// (`bikestore_contracts::subjects::inbox_owner`): a console's nkey, which identity's auth callout lets
/// no other console subscribe under, or else the inbox's first token, which nothing enforces.
pub fn connection_of(reply_to: &str) -> &str {
    bikestore_contracts::subjects::inbox_owner(reply_to).unwrap_or(reply_to)
}

struct Bucket {
    tokens: f64,
    updated: Instant,
    /// Whether the last request was refused, so a run of refusals is audited once.
    refusing: bool,
}

/// One kind of bucket, one per key.
struct Buckets<K> {
    rate_per_second: f64,
    burst: f64,
    max_buckets: usize,
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K: Hash + Eq> Buckets<K> {
    fn new(budget: Budget) -> Buckets<K> {
        Buckets {
            rate_per_second: f64::from(budget.rate_per_second.max(1)),
            burst: f64::from(budget.burst.max(1)),
            max_buckets: 100_000,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token from `key`'s bucket; when it is empty, `Err(first_in_run)`.
    fn admit(&self, key: K, now: Instant) -> Result<(), bool> {
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
            refusing: false,
        });
        let elapsed = now.duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate_per_second).min(self.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            bucket.refusing = false;
            Ok(())
        } else {
            let first_in_run = !bucket.refusing;
            bucket.refusing = true;
            Err(first_in_run)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const SMALL: Budget = Budget {
        rate_per_second: 10,
        burst: 3,
    };

    #[test]
    fn a_burst_empties_the_bucket_and_time_refills_it() {
        let buckets = Buckets::new(SMALL);
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(buckets.admit(StaffId(1), start), Ok(()));
        }
        assert_eq!(buckets.admit(StaffId(1), start), Err(true));
        assert_eq!(buckets.admit(StaffId(1), start), Err(false));
        assert_eq!(buckets.admit(StaffId(2), start), Ok(()));
        let later = start + Duration::from_millis(150);
        assert_eq!(buckets.admit(StaffId(1), later), Ok(()));
    }

    #[test]
    fn a_flood_from_one_connection_leaves_another_connections_login_alone() {
        let wide = Budget {
            rate_per_second: 100,
            burst: 100,
        };
        let limits = RateLimits::new(wide, SMALL, SMALL, wide);
        let mut refused = Vec::new();
        for _ in 0..50 {
            let admitted = limits
                .admit_connection("UFLOOD")
                .and_then(|()| limits.admit_public(None, "public_keys"));
            refused.extend(admitted.err());
        }
        assert!(refused.len() >= 45, "{refused:?}");
        assert!(
            refused
                .iter()
                .all(|refusal| refusal.limit == Limit::Connection)
        );
        assert_eq!(
            refused
                .iter()
                .filter(|refusal| refusal.first_in_run)
                .count(),
            1
        );
        assert_eq!(limits.admit_connection("UOTHER"), Ok(()));
        assert_eq!(
            limits.admit_public(Some("user:ana".into()), "login"),
            Ok(())
        );
    }

    #[test]
    fn one_username_is_limited_across_connections() {
        let wide = Budget {
            rate_per_second: 100,
            burst: 100,
        };
        let limits = RateLimits::new(wide, wide, SMALL, wide);
        let login = || limits.admit_public(Some("user:admin".into()), "login");
        for _ in 0..3 {
            assert_eq!(login(), Ok(()));
        }
        assert_eq!(login().expect_err("spent").limit, Limit::Subject);
        assert_eq!(
            limits.admit_public(Some("user:ana".into()), "login"),
            Ok(())
        );
    }

    #[test]
    fn connections_are_read_from_reply_subjects() {
        let console = bikestore_contracts::subjects::console_inbox_prefix("UABC");
        assert_eq!(connection_of(&format!("{console}.mux.1")), "UABC");
        assert_eq!(connection_of("_INBOX.gateway.mux.1"), "gateway");
    }
}
