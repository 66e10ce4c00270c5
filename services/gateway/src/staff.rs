//! What the gateway knows about a member of staff right now: asked from identity's `get_staff`,
//! kept briefly, and forgotten as soon as identity announces a change to them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bikestore_contracts::identity::{GetStaff, Role};
use bikestore_contracts::{ErrorCode, StaffId, StoreId};
use bikestore_runtime::call::Caller;

use crate::error::GatewayError;

/// The facts authorization needs about a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaffStatus {
    /// Their role now.
    pub role: Role,
    /// Their store now.
    pub store_id: Option<StoreId>,
    /// Whether they may act at all.
    pub active: bool,
}

/// Recently read members, each trusted for the cache's time to live.
pub struct StaffCache {
    caller: Caller,
    ttl: Duration,
    entries: Mutex<HashMap<StaffId, (StaffStatus, Instant)>>,
    /// Counts forgets, so an answer read before a change is not cached after it.
    forgets: AtomicU64,
}

/// More members than this and the cache starts again empty; it only saves identity some reads.
const MAX_ENTRIES: usize = 100_000;

impl StaffCache {
    /// A cache asking identity through `caller`, trusting an answer for `ttl`.
    pub fn new(caller: Caller, ttl: Duration) -> StaffCache {
        StaffCache {
            caller,
            ttl,
            entries: Mutex::new(HashMap::new()),
            forgets: AtomicU64::new(0),
        }
    }

    /// The member's status: cached, or read from identity. An unknown member is inactive.
    pub async fn status(&self, staff_id: StaffId) -> Result<StaffStatus, GatewayError> {
        {
            let entries = self
                .entries
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some((status, at)) = entries.get(&staff_id)
                && at.elapsed() < self.ttl
            {
                return Ok(*status);
            }
        }
        let forgets_before = self.forgets.load(Ordering::SeqCst);
        let status = match self.caller.call(&GetStaff { staff_id }).await {
            Ok(summary) => StaffStatus {
                role: summary.role,
                store_id: summary.store_id,
                active: summary.active,
            },
            Err(error) if error.code == ErrorCode::NotFound => return Err(GatewayError::Inactive),
            Err(error) => return Err(GatewayError::Identity(error)),
        };
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // A change announced while identity was being asked may postdate this answer: use it
        // for this request only.
        if self.forgets.load(Ordering::SeqCst) != forgets_before {
            return Ok(status);
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(staff_id, (status, Instant::now()));
        Ok(status)
    }

    /// Forgets what is cached about `staff_id`.
    pub fn forget(&self, staff_id: StaffId) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        self.forgets.fetch_add(1, Ordering::SeqCst);
        entries.remove(&staff_id);
    }
}
