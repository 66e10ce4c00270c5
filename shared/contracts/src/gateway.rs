//! What the gateway writes about the calls it lets through or refuses: the audit record.
//!
//! An audit record says who called which operation for which store, and how it ended: every
//! state-changing call, every refusal (unauthorized, forbidden, rate-limited) with its reason,
//! and every read of customer data with how many rows it answered. It never holds the request
//! body or a reply's rows, so no password, token, signature, card number or customer's details
//! can reach it; of a login it keeps the username only.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::identity::Role;
use crate::ids::{StaffId, StoreId};
use crate::{ErrorCode, ServiceName, message};

/// The detail of a refusal that says, in a stable word, why the gateway refused it.
pub const REFUSAL_DETAIL: &str = "refusal";
/// [`REFUSAL_DETAIL`] of an `unauthorized` refusal of an expired access token: the client
/// refreshes the token and retries, and never has to read the message to know.
pub const REFUSAL_TOKEN_EXPIRED: &str = "token_expired";
/// [`REFUSAL_DETAIL`] of an `unauthorized` refusal of an access token whose session ended
/// (logout, deactivation, a new password): refreshing cannot help, only a new login.
pub const REFUSAL_SESSION_ENDED: &str = "session_ended";

/// The detail naming the request field a refusal is about (`staff_id`,
/// `lines.discount_percent`), as `invalid` errors name theirs.
pub const FIELD_DETAIL: &str = "field";
/// The detail of a `forbidden` discount: the caller's role's limit, in whole percent.
pub const LIMIT_PERCENT_DETAIL: &str = "limit_percent";

/// One audited call through the gateway (a command, a refusal, or a read of customer data),
/// published as JSON to the audit stream. Fields are only ever added at the end, each with a
/// default, so older records still read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditRecord {
    /// When the gateway answered, in milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// The caller, once the token verified, or who logged in for a successful login; `None`
    /// for another public call or one refused before its token verified.
    pub staff_id: Option<StaffId>,
    /// The caller's role, once known.
    pub role: Option<Role>,
    /// The service called (`inventory`, `orders`, ...).
    pub service: String,
    /// The operation called.
    pub operation: String,
    /// The store the request acts on, for operations that carry one and were read.
    pub store_id: Option<StoreId>,
    /// `None` when the call succeeded, else the code it was answered with.
    pub error: Option<ErrorCode>,
    /// The caller's idempotency key, if any, to find the command in the service's records.
    pub idempotency_key: Option<String>,
    /// The IDs the request names (`staff_id`, `product_id`, `order_id`, ...), by field name,
    /// once the caller was authenticated.
    #[serde(default)]
    pub target_ids: BTreeMap<String, String>,
    /// Why the gateway refused the call, in general terms (which rule or which rate budget);
    /// `None` when it was not refused, or a service refused it (`error` then says with what).
    #[serde(default)]
    pub reason: Option<String>,
    /// The username a login named, in lower case (never the password), whether it succeeded or
    /// not; `None` for text no username can be.
    #[serde(default)]
    pub username: Option<String>,
    /// How many rows a read of customer data answered (never the rows themselves).
    #[serde(default)]
    pub rows: Option<u64>,
}

impl AuditRecord {
    /// The service name as a [`ServiceName`], when it is one.
    pub fn service_name(&self) -> Option<ServiceName> {
        ServiceName::from_name(&self.service)
    }
}

message!(AuditRecord, "audit_record", v 1);
