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

/// Checks `rule`'s scope for a member with `status` and the request's `facts`; returns the body
/// to forward instead of the caller's, when the gateway forced a list to the caller's store.
pub async fn admit(
    owners: &Owners,
    rule: &Rule,
    status: &StaffStatus,
    facts: &RequestFacts,
    body: &Body<'_>,
) -> Result<Option<Vec<u8>>, GatewayError> {
    if status.role == Role::Admin {
        return Ok(None);
    }
    let own_store = status.store_id;
    let forbidden = |reason| Err(GatewayError::Forbidden { reason });
    match rule.scope {
        Scope::ChainWide(_) => Ok(None),
        Scope::BodyStore(_) => match facts.store {
            Some(store) if Some(store) == own_store => Ok(None),
            _ => forbidden("you may act only on your own store"),
        },
        Scope::ListForcedToCallerStore => {
            let (Some(own_store), Some(narrow)) = (own_store, rule.narrow) else {
                return forbidden("you belong to no store");
            };
            match facts.store {
                Some(store) if store == own_store => Ok(None),
                Some(_) => forbidden("you may list only your own store"),
                None => narrow(
                    body.content_type,
                    body.version,
                    body.bytes,
                    body.max_bytes,
                    own_store,
                )
                .map(Some)
                .map_err(GatewayError::Unreadable),
            }
        }
        Scope::OwnedBy(_) => {
            let Some(id) = &facts.owned else {
                return forbidden("the request names no record");
            };
            let owner = owners.store_of(id).await?;
            match owner {
                Some(store) if Some(store) == own_store => Ok(None),
                _ => Err(GatewayError::NotInYourStore {
                    what: record_name(id),
                }),
            }
        }
    }
}
