//! Store scope: whether a member may touch the store data a request names, by the [`Scope`]
//! its table line declares, and the body to forward when the gateway forces a list to the
//! caller's store.
//!
//! Admins act on every store. Everyone else acts on their own store only: the store a body
//! names must be theirs (`forbidden` otherwise); a list's store filter is set to theirs (a filter
//! naming another store is `forbidden`); an ID's owning store is asked from the service that
//! keeps it (orders' `get_order` and `get_payment`, the orchestrator's `get_saga`), and an ID of
//! another store is answered `not_found` exactly as an unknown one, so nobody learns what other
//! stores hold. A lookup that fails is `unavailable`, never a pass.
//!
//! Owners are remembered: an order, a saga or a payment never changes store, so a known owner
//! stays true; only IDs found are kept, so a new record is seen at once.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use bikestore_codec::ContentType;
use bikestore_contracts::identity::Role;
use bikestore_contracts::orders::{GetOrder, GetPayment};
use bikestore_contracts::sagas::GetSaga;
use bikestore_contracts::{ErrorCode, OrderId, Request, StoreId, WireError};
use bikestore_runtime::call::{CallOptions, Caller};

use crate::error::GatewayError;
use crate::facts::{OwnedId, RequestFacts};
use crate::staff::StaffStatus;
use crate::table::{Rule, Scope};

/// More owners than this and the memory starts again empty; it only saves the services reads.
const MAX_OWNERS: usize = 100_000;

/// The owning stores of IDs, asked from the services keeping them.
pub struct Owners {
    caller: Caller,
    /// How long a lookup may take: the gateway's forwarding timeout, as the request's own.
    timeout: Duration,
    known: Mutex<HashMap<OwnedId, Option<StoreId>>>,
}

impl Owners {
    /// Owners asked through `caller`, each lookup waiting at most `timeout`.
    pub fn new(caller: Caller, timeout: Duration) -> Owners {
        Owners {
            caller,
            timeout,
            known: Mutex::new(HashMap::new()),
        }
    }

    /// The store owning `id`: `None` for a saga that names no store yet (an old cancel-order
    /// record), `NotInYourStore` for an unknown ID.
    pub async fn store_of(&self, id: &OwnedId) -> Result<Option<StoreId>, GatewayError> {
        if let Some(store) = self
            .known
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(id)
        {
            return Ok(*store);
        }
        let store = match id {
            OwnedId::Order(order_id) => Some(self.order_store(*order_id).await?),
            OwnedId::Saga(saga_id) => {
                let saga_id = saga_id.clone();
                let saga = self.ask(&GetSaga { saga_id }).await;
                lookup_result(saga, "saga")?.payload.store_id()
            }
            OwnedId::Payment(payment_id) => {
                let payment_id = *payment_id;
                let payment = self.ask(&GetPayment { payment_id }).await;
                let order_id = lookup_result(payment, "payment")?.order_id;
                Some(self.order_store(order_id).await?)
            }
        };
        // A saga's store may still be learnt; only a known store is for good.
        if store.is_some() {
            let mut known = self
                .known
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if known.len() >= MAX_OWNERS {
                known.clear();
            }
            known.insert(id.clone(), store);
        }
        Ok(store)
    }

    async fn order_store(&self, order_id: OrderId) -> Result<StoreId, GatewayError> {
        let order = self.ask(&GetOrder { order_id }).await;
        Ok(lookup_result(order, "order")?.store_id)
    }

    async fn ask<R: Request>(&self, request: &R) -> Result<R::Reply, WireError> {
        let options = CallOptions {
            timeout: Some(self.timeout),
            ..CallOptions::default()
        };
        self.caller.call_with(request, &options).await
    }
}

/// A lookup's reply: an unknown ID as one of another store, a failure as a failure.
fn lookup_result<T>(reply: Result<T, WireError>, what: &'static str) -> Result<T, GatewayError> {
    match reply {
        Ok(found) => Ok(found),
        Err(error) if error.code == ErrorCode::NotFound => {
            Err(GatewayError::NotInYourStore { what })
        }
        Err(error) => Err(GatewayError::OwnerUnknown(error)),
    }
}

/// What a lookup refusal calls the record, by the kind of ID.
fn record_name(id: &OwnedId) -> &'static str {
    match id {
        OwnedId::Order(_) => "order",
        OwnedId::Saga(_) => "saga",
        OwnedId::Payment(_) => "payment",
    }
}

/// A request's body as read for scope checks.
pub struct Body<'a> {
    /// Its format.
    pub content_type: ContentType,
    /// Its schema version, from the header.
    pub version: Option<u16>,
    /// The bytes.
    pub bytes: &'a [u8],
    /// The size limit.
    pub max_bytes: usize,
}

/// What a rule's scope asks for one request, before any lookup.
#[derive(Debug, PartialEq, Eq)]
enum Decision<'a> {
    /// Forward the request as it is.
    Pass,
    /// Refuse it as `forbidden`, for this reason.
    Forbid(&'static str),
    /// Forward it with the list's store filter set to this store.
    Narrow(StoreId),
    /// Forward it only if this ID belongs to this store (`None`: the member has no store).
    IfOwnedBy(&'a OwnedId, Option<StoreId>),
}

/// Decides what `scope` asks of a request by a member with `status` and the request's `facts`.
fn decide<'a>(scope: Scope, status: &StaffStatus, facts: &'a RequestFacts) -> Decision<'a> {
    if status.role == Role::Admin {
        return Decision::Pass;
    }
    let own_store = status.store_id;
    match scope {
        Scope::ChainWide(_) => Decision::Pass,
        Scope::BodyStore(_) => match facts.store {
            Some(store) if Some(store) == own_store => Decision::Pass,
            _ => Decision::Forbid("you may act only on your own store"),
        },
        Scope::ListForcedToCallerStore => match (own_store, facts.store) {
            (None, _) => Decision::Forbid("you belong to no store"),
            (Some(own_store), Some(store)) if store == own_store => Decision::Pass,
            (Some(_), Some(_)) => Decision::Forbid("you may list only your own store"),
            (Some(own_store), None) => Decision::Narrow(own_store),
        },
        Scope::OwnedBy(_) => match &facts.owned {
            Some(id) => Decision::IfOwnedBy(id, own_store),
            None => Decision::Forbid("the request names no record"),
        },
    }
}

/// Checks `rule`'s scope for a member with `status` and the request's `facts`; returns the body
/// to forward instead of the caller's, when the gateway forced a list to the caller's store.
pub async fn admit(
    owners: &Owners,
    rule: &Rule,
    status: &StaffStatus,
    facts: &RequestFacts,
    body: &Body<'_>,
) -> Result<Option<Vec<u8>>, GatewayError> {
    match decide(rule.scope, status, facts) {
        Decision::Pass => Ok(None),
        Decision::Forbid(reason) => Err(GatewayError::Forbidden { reason }),
        Decision::Narrow(own_store) => {
            // Every forced list has a narrower; the table's unit test holds it.
            let Some(narrow) = rule.narrow else {
                return Err(GatewayError::Forbidden {
                    reason: "this list cannot be kept to your store",
                });
            };
            narrow(
                body.content_type,
                body.version,
                body.bytes,
                body.max_bytes,
                own_store,
            )
            .map(Some)
            .map_err(GatewayError::Unreadable)
        }
        Decision::IfOwnedBy(id, own_store) => match owners.store_of(id).await? {
            Some(store) if Some(store) == own_store => Ok(None),
            _ => Err(GatewayError::NotInYourStore {
                what: record_name(id),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use bikestore_contracts::sagas::SagaId;

    use super::*;
    use crate::table::Owner;

    fn member(role: Role, store: Option<i64>) -> StaffStatus {
        StaffStatus {
            role,
            store_id: store.map(StoreId),
            active: true,
        }
    }

    fn naming(store: Option<i64>) -> RequestFacts {
        RequestFacts {
            store: store.map(StoreId),
            ..RequestFacts::default()
        }
    }

    fn refused(decision: &Decision<'_>) -> bool {
        matches!(decision, Decision::Forbid(_))
    }

    #[test]
    fn a_body_store_must_be_the_members() {
        let scope = Scope::BodyStore("store_id");
        let sales = member(Role::Sales, Some(2));
        assert_eq!(decide(scope, &sales, &naming(Some(2))), Decision::Pass);
        assert!(refused(&decide(scope, &sales, &naming(Some(1)))));
        assert!(refused(&decide(scope, &sales, &naming(None))));
        assert!(refused(&decide(
            scope,
            &member(Role::Manager, None),
            &naming(Some(2))
        )));
        let admin = member(Role::Admin, None);
        assert_eq!(decide(scope, &admin, &naming(Some(1))), Decision::Pass);
    }

    #[test]
    fn a_list_is_forced_to_the_members_store() {
        let scope = Scope::ListForcedToCallerStore;
        let manager = member(Role::Manager, Some(2));
        assert_eq!(
            decide(scope, &manager, &naming(None)),
            Decision::Narrow(StoreId(2))
        );
        assert_eq!(decide(scope, &manager, &naming(Some(2))), Decision::Pass);
        assert!(refused(&decide(scope, &manager, &naming(Some(1)))));
        assert!(refused(&decide(
            scope,
            &member(Role::Sales, None),
            &naming(None)
        )));
        let admin = member(Role::Admin, Some(3));
        assert_eq!(decide(scope, &admin, &naming(None)), Decision::Pass);
    }

    #[test]
    fn an_owned_id_is_looked_up_for_members_only() {
        let scope = Scope::OwnedBy(Owner::Saga);
        let facts = RequestFacts {
            owned: Some(OwnedId::Saga(SagaId("01J".into()))),
            ..RequestFacts::default()
        };
        let sales = member(Role::Sales, Some(2));
        assert!(matches!(
            decide(scope, &sales, &facts),
            Decision::IfOwnedBy(OwnedId::Saga(_), Some(StoreId(2)))
        ));
        assert!(refused(&decide(scope, &sales, &RequestFacts::default())));
        assert_eq!(
            decide(scope, &member(Role::Admin, None), &facts),
            Decision::Pass
        );
        let chain_wide = Scope::ChainWide(crate::table::CUSTOMERS);
        assert_eq!(decide(chain_wide, &sales, &facts), Decision::Pass);
    }
}
