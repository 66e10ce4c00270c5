//! What the gateway writes about the calls it lets through or refuses: the audit record.
//!
//! An audit record says who called which operation for which store, and how it ended. It never
//! holds the request body, so no password, token, signature or card number can reach it.

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

/// One state-changing call through the gateway, published as JSON to the audit stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditRecord {
    /// When the gateway answered, in milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// The caller, once the token verified; `None` for a refused or public call.
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
}

impl AuditRecord {
    /// The service name as a [`ServiceName`], when it is one.
    pub fn service_name(&self) -> Option<ServiceName> {
        ServiceName::from_name(&self.service)
    }
}

message!(AuditRecord, "audit_record", v 1);
