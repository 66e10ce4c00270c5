//! What the gateway reads from a request's body before it forwards it: the store it acts on or
//! filters by, the ID whose owning store decides, and the IDs the audit record names; and, for a
//! list forced to the caller's store, the body re-encoded with that store as its filter.
//!
//! Each request type that carries any of these says which of its fields do, once, in the
//! `facts!` list; the table's lines are built from that, so a scope cannot name a field the
//! type does not read.

use std::collections::BTreeMap;

use bikestore_codec::{CodecError, ContentType};
use bikestore_contracts::identity::{
    ChangeStaffRole, CreateStaff, DeactivateStaff, ResetPassword, UnlockUsername,
};
use bikestore_contracts::inventory::{
    AdjustStock, CommitReservation, DeleteProduct, ReceiveStock, ReleaseReservation, ReserveStock,
    ReturnReservation, UpdateProduct,
};
use bikestore_contracts::notifications::ListNotifications;
use bikestore_contracts::orders::{
    ChangeOrderStatus, CreateOrder, GetOrder, GetPayment, ListOrders,
};
use bikestore_contracts::sagas::{
    CancelOrder, GetSaga, ListSagas, PlaceOrder, ResolveSaga, RetrySaga, SagaId, SagaStats,
    TransferStock,
};
use bikestore_contracts::{OrderId, PaymentId, Request, StoreId};

use crate::table::Owner;

/// An ID whose owning store decides whether a member may use it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OwnedId {
    /// An order.
    Order(OrderId),
    /// A saga.
    Saga(SagaId),
    /// A payment.
    Payment(PaymentId),
}

/// What the gateway reads from a decoded request: the store it acts on and the IDs it targets,
/// for authorization and the audit record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestFacts {
    /// The store the request acts on or filters by, for operations that name one.
    pub store: Option<StoreId>,
    /// The ID whose owning store decides, for [`Scope::OwnedBy`](crate::table::Scope::OwnedBy) operations.
    pub owned: Option<OwnedId>,
    /// The IDs the request names (`staff_id`, `product_id`, ...), by field name.
    pub targets: BTreeMap<String, String>,
}

/// Reads a request's facts from its body.
pub type FactReader =
    fn(ContentType, Option<u16>, &[u8], usize) -> Result<RequestFacts, CodecError>;

/// Re-encodes a list request with its store filter set to the given store.
pub type Narrower =
    fn(ContentType, Option<u16>, &[u8], usize, StoreId) -> Result<Vec<u8>, CodecError>;

/// A request whose store, owned ID or target IDs the gateway reads.
pub(crate) trait Facts: Request {
    /// The body field naming the store it acts on or filters by, if any.
    const STORE_FIELD: Option<&'static str>;
    /// The kind of the ID whose owner decides, if any.
    const OWNER: Option<Owner>;
    fn facts(&self) -> RequestFacts;
}

/// A list request whose store filter the gateway may set.
pub(crate) trait StoreFilter: Facts {
    fn set_store(&mut self, store_id: StoreId);
}

/// A store field, required or optional, as the store a request names.
trait NamedStore {
    fn named_store(&self) -> Option<StoreId>;
}

impl NamedStore for StoreId {
    fn named_store(&self) -> Option<StoreId> {
        Some(*self)
    }
}

impl NamedStore for Option<StoreId> {
    fn named_store(&self) -> Option<StoreId> {
        *self
    }
}

macro_rules! facts {
    ($($type:ty {
        store: [$($store:ident)?],
        owned: [$($owner:ident($owned:ident))?],
        targets: [$($target:ident),*]
    }),* $(,)?) => {
        $(impl Facts for $type {
            const STORE_FIELD: Option<&'static str> = facts!(@field $($store)?);
            const OWNER: Option<Owner> = facts!(@owner $($owner)?);
            fn facts(&self) -> RequestFacts {
                #[allow(unused_mut)]
                let mut targets = BTreeMap::new();
                $(targets.insert(stringify!($owned).to_owned(), self.$owned.to_string());)?
                $(targets.insert(stringify!($target).to_owned(), self.$target.to_string());)*
                RequestFacts {
                    store: facts!(@store self $($store)?),
                    owned: facts!(@owned self $($owner $owned)?),
                    targets,
                }
            }
        })*
    };
    (@field $field:ident) => { Some(stringify!($field)) };
    (@field) => { None };
    (@owner $owner:ident) => { Some(Owner::$owner) };
    (@owner) => { None };
    (@store $self:ident $field:ident) => { $self.$field.named_store() };
    (@store $self:ident) => { None };
    (@owned $self:ident $owner:ident $field:ident) => { Some(OwnedId::$owner($self.$field.clone())) };
    (@owned $self:ident) => { None };
}

facts!(
    ReceiveStock {
        store: [store_id],
        owned: [],
        targets: [product_id]
    },
    AdjustStock {
        store: [store_id],
        owned: [],
        targets: [product_id]
    },
    ReserveStock {
        store: [store_id],
        owned: [],
        targets: [reservation_id]
    },
    CreateOrder {
        store: [store_id],
        owned: [],
        targets: [customer_id]
    },
    PlaceOrder {
        store: [store_id],
        owned: [],
        targets: [customer_id]
    },
    TransferStock {
        store: [from_store_id],
        owned: [],
        targets: [product_id, to_store_id]
    },
    CreateStaff {
        store: [],
        owned: [],
        targets: [username]
    },
    UnlockUsername {
        store: [],
        owned: [],
        targets: [username]
    },
    DeactivateStaff {
        store: [],
        owned: [],
        targets: [staff_id]
    },
    ResetPassword {
        store: [],
        owned: [],
        targets: [staff_id]
    },
    ChangeStaffRole {
        store: [],
        owned: [],
        targets: [staff_id]
    },
    UpdateProduct {
        store: [],
        owned: [],
        targets: [product_id]
    },
    DeleteProduct {
        store: [],
        owned: [],
        targets: [product_id]
    },
    CommitReservation {
        store: [],
        owned: [],
        targets: [reservation_id]
    },
    ReleaseReservation {
        store: [],
        owned: [],
        targets: [reservation_id]
    },
    ReturnReservation {
        store: [],
        owned: [],
        targets: [reservation_id]
    },
    ChangeOrderStatus {
        store: [],
        owned: [Order(order_id)],
        targets: []
    },
    GetOrder {
        store: [],
        owned: [Order(order_id)],
        targets: []
    },
    GetPayment {
        store: [],
        owned: [Payment(payment_id)],
        targets: []
    },
    CancelOrder {
        store: [],
        owned: [Order(order_id)],
        targets: []
    },
    GetSaga {
        store: [],
        owned: [Saga(saga_id)],
        targets: []
    },
    RetrySaga {
        store: [],
        owned: [Saga(saga_id)],
        targets: []
    },
    ResolveSaga {
        store: [],
        owned: [Saga(saga_id)],
        targets: []
    },
    ListOrders {
        store: [store_id],
        owned: [],
        targets: []
    },
    ListNotifications {
        store: [store_id],
        owned: [],
        targets: []
    },
    ListSagas {
        store: [store_id],
        owned: [],
        targets: []
    },
    SagaStats {
        store: [store_id],
        owned: [],
        targets: []
    },
);

macro_rules! store_filters {
    ($($type:ty),* $(,)?) => {
        $(impl StoreFilter for $type {
            fn set_store(&mut self, store_id: StoreId) {
                self.store_id = Some(store_id);
            }
        })*
    };
}

store_filters!(ListOrders, ListNotifications, ListSagas, SagaStats);

pub(crate) fn read_facts<R: Facts>(
    content_type: ContentType,
    version: Option<u16>,
    body: &[u8],
    max_bytes: usize,
) -> Result<RequestFacts, CodecError> {
    bikestore_codec::decode::<R>(content_type, version, body, max_bytes)
        .map(|request| request.facts())
}

pub(crate) fn narrow<R: StoreFilter>(
    content_type: ContentType,
    version: Option<u16>,
    body: &[u8],
    max_bytes: usize,
    store_id: StoreId,
) -> Result<Vec<u8>, CodecError> {
    let mut request = bikestore_codec::decode::<R>(content_type, version, body, max_bytes)?;
    request.set_store(store_id);
    bikestore_codec::encode(content_type, &request)
}
