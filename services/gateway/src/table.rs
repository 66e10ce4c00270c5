//! The one authorization table: every operation the gateway serves, who may call it, and which
//! store it acts on.
//!
//! An operation missing from [`TABLE`] is answered `not_found`, so a new service operation is
//! unreachable from consoles until a line here allows it. Admins may call every operation and
//! act on every store; managers and sales act only on their own store, read from the decoded
//! request for the operations that carry one. Whether a call is audited follows the request
//! type's kind: every command is.

use std::collections::BTreeMap;

use bikestore_codec::{CodecError, ContentType};
use bikestore_contracts::identity::{
    ChangeStaffRole, CreateStaff, DeactivateStaff, GetStaff, ListStaff, Login, Logout, PublicKeys,
    Refresh, ResetPassword, Role, RotateSigningKey,
};
use bikestore_contracts::inventory::{
    AdjustStock, CommitReservation, CreateBrand, CreateCategory, CreateProduct, CreateStore,
    DeleteBrand, DeleteCategory, DeleteProduct, GetProduct, ListBrands, ListCategories,
    ListProducts, ListStores, LowStock, ReceiveStock, ReleaseReservation, ReserveStock,
    ReturnReservation, StoreStock, UpdateBrand, UpdateCategory, UpdateProduct,
};
use bikestore_contracts::message::OperationKind;
use bikestore_contracts::notifications::ListNotifications;
use bikestore_contracts::orders::{
    AuthorizePayment, AuthorizeWithToken, CancelOrderPayments, CapturePayment, ChangeOrderStatus,
    CreateCustomer, CreateOrder, GetCustomer, GetOrder, GetPayment, ListOrders, RefundPayment,
    SearchCustomers, TokenizeCard, UpdateCustomer, VoidPayment,
};
use bikestore_contracts::sagas::{
    CancelOrder, GetSaga, ListSagas, PlaceOrder, ResolveSaga, RetrySaga, SagaStats, TransferStock,
};
use bikestore_contracts::{Request, ServiceName, StoreId};

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without a token (login, refresh, logout, public keys); still rate-limited.
    Public,
    /// Signed requests by a member with one of these roles.
    Roles(&'static [Role]),
}

/// What the gateway reads from a decoded request: the store it acts on and the IDs it targets,
/// for authorization and the audit record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestFacts {
    /// The store the request acts on, for store-scoped operations.
    pub store: Option<StoreId>,
    /// The IDs the request names (`staff_id`, `product_id`, ...), by field name.
    pub targets: BTreeMap<String, String>,
}

/// Reads a request's facts from its body.
pub type FactReader =
    fn(ContentType, Option<u16>, &[u8], usize) -> Result<RequestFacts, CodecError>;

/// One line of the table.
#[derive(Clone, Copy)]
pub struct Rule {
    /// The service serving the operation.
    pub service: ServiceName,
    /// The operation.
    pub operation: &'static str,
    /// Command or query: commands are audited.
    pub kind: OperationKind,
    /// Who may call it.
    pub access: Access,
    /// How to read its store and target IDs from the body, for operations that name them.
    pub facts: Option<FactReader>,
    /// Whether members other than admins may act only on their own store, read by `facts`.
    pub store_scoped: bool,
}

const ADMIN: &[Role] = &[Role::Admin];
const MANAGERS: &[Role] = &[Role::Admin, Role::Manager];
const STAFF: &[Role] = &[Role::Admin, Role::Manager, Role::Sales];

/// A request whose store or target IDs the gateway reads.
trait Facts: Request {
    fn facts(&self) -> RequestFacts;
}

macro_rules! facts {
    ($($type:ty { store: [$($store:ident)?], targets: [$($target:ident),*] }),* $(,)?) => {
        $(impl Facts for $type {
            fn facts(&self) -> RequestFacts {
                #[allow(unused_mut)]
                let mut targets = BTreeMap::new();
                $(targets.insert(stringify!($target).to_owned(), self.$target.to_string());)*
                RequestFacts {
                    store: facts!(@store self $($store)?),
                    targets,
                }
            }
        })*
    };
    (@store $self:ident $field:ident) => { Some($self.$field) };
    (@store $self:ident) => { None };
}

facts!(
    ReceiveStock {
        store: [store_id],
        targets: [product_id]
    },
    AdjustStock {
        store: [store_id],
        targets: [product_id]
    },
    ReserveStock {
        store: [store_id],
        targets: [reservation_id]
    },
    CreateOrder {
        store: [store_id],
        targets: [customer_id]
    },
    PlaceOrder {
        store: [store_id],
        targets: [customer_id]
    },
    TransferStock {
        store: [from_store_id],
        targets: [product_id, to_store_id]
    },
    DeactivateStaff {
        store: [],
        targets: [staff_id]
    },
    ResetPassword {
        store: [],
        targets: [staff_id]
    },
    ChangeStaffRole {
        store: [],
        targets: [staff_id]
    },
    UpdateProduct {
        store: [],
        targets: [product_id]
    },
    DeleteProduct {
        store: [],
        targets: [product_id]
    },
    CommitReservation {
        store: [],
        targets: [reservation_id]
    },
    ReleaseReservation {
        store: [],
        targets: [reservation_id]
    },
    ReturnReservation {
        store: [],
        targets: [reservation_id]
    },
    ChangeOrderStatus {
        store: [],
        targets: [order_id]
    },
    CancelOrder {
        store: [],
        targets: [order_id]
    },
    RetrySaga {
        store: [],
        targets: [saga_id]
    },
    ResolveSaga {
        store: [],
        targets: [saga_id]
    },
);

fn read_facts<R: Facts>(
    content_type: ContentType,
    version: Option<u16>,
    body: &[u8],
    max_bytes: usize,
) -> Result<RequestFacts, CodecError> {
    bikestore_codec::decode::<R>(content_type, version, body, max_bytes)
        .map(|request| request.facts())
}

const fn rule<R: Request>(access: Access) -> Rule {
    Rule {
        service: R::SERVICE,
        operation: R::OPERATION,
        kind: R::KIND,
        access,
        facts: None,
        store_scoped: false,
    }
}

/// An operation whose target IDs are audited.
const fn targeted<R: Facts>(access: Access) -> Rule {
    Rule {
        facts: Some(read_facts::<R>),
        ..rule::<R>(access)
    }
}

/// An operation acting on one store, which members other than admins must be in.
const fn scoped<R: Facts>(roles: &'static [Role]) -> Rule {
    Rule {
        store_scoped: true,
        ..targeted::<R>(Access::Roles(roles))
    }
}

/// Every operation reachable through the gateway.
pub const TABLE: &[Rule] = &[
    // Identity: sessions are public, staff administration and keys are for admins.
    rule::<Login>(Access::Public),
    rule::<Refresh>(Access::Public),
    rule::<Logout>(Access::Public),
    rule::<PublicKeys>(Access::Public),
    rule::<CreateStaff>(Access::Roles(ADMIN)),
    targeted::<DeactivateStaff>(Access::Roles(ADMIN)),
    targeted::<ResetPassword>(Access::Roles(ADMIN)),
    targeted::<ChangeStaffRole>(Access::Roles(ADMIN)),
    rule::<RotateSigningKey>(Access::Roles(ADMIN)),
    rule::<ListStaff>(Access::Roles(ADMIN)),
    rule::<GetStaff>(Access::Roles(ADMIN)),
    // Inventory: the catalog is read by all and kept by managers; stock is per store.
    rule::<CreateStore>(Access::Roles(ADMIN)),
    rule::<ListStores>(Access::Roles(STAFF)),
    rule::<CreateBrand>(Access::Roles(MANAGERS)),
    rule::<UpdateBrand>(Access::Roles(MANAGERS)),
    rule::<DeleteBrand>(Access::Roles(MANAGERS)),
    rule::<ListBrands>(Access::Roles(STAFF)),
    rule::<CreateCategory>(Access::Roles(MANAGERS)),
    rule::<UpdateCategory>(Access::Roles(MANAGERS)),
    rule::<DeleteCategory>(Access::Roles(MANAGERS)),
    rule::<ListCategories>(Access::Roles(STAFF)),
    rule::<CreateProduct>(Access::Roles(MANAGERS)),
    targeted::<UpdateProduct>(Access::Roles(MANAGERS)),
    targeted::<DeleteProduct>(Access::Roles(MANAGERS)),
    rule::<ListProducts>(Access::Roles(STAFF)),
    rule::<GetProduct>(Access::Roles(STAFF)),
    scoped::<ReceiveStock>(STAFF),
    scoped::<AdjustStock>(MANAGERS),
    // Reservations are made and moved on by sagas; by hand only an admin makes or repairs one,
    // so nobody else can hold a reservation ID before a saga does.
    scoped::<ReserveStock>(ADMIN),
    targeted::<CommitReservation>(Access::Roles(ADMIN)),
    targeted::<ReleaseReservation>(Access::Roles(ADMIN)),
    targeted::<ReturnReservation>(Access::Roles(ADMIN)),
    rule::<StoreStock>(Access::Roles(STAFF)),
    rule::<LowStock>(Access::Roles(STAFF)),
    // Notifications.
    rule::<ListNotifications>(Access::Roles(STAFF)),
    // Orders: customers and orders for all staff; money moves only through sagas or admins.
    rule::<CreateCustomer>(Access::Roles(STAFF)),
    rule::<UpdateCustomer>(Access::Roles(STAFF)),
    rule::<GetCustomer>(Access::Roles(STAFF)),
    rule::<SearchCustomers>(Access::Roles(STAFF)),
    // Orders are created by the place-order saga, priced from the catalog; by hand only by an
    // admin, whose prices are taken as given.
    scoped::<CreateOrder>(ADMIN),
    targeted::<ChangeOrderStatus>(Access::Roles(MANAGERS)),
    rule::<GetOrder>(Access::Roles(STAFF)),
    rule::<ListOrders>(Access::Roles(STAFF)),
    rule::<AuthorizePayment>(Access::Roles(ADMIN)),
    rule::<TokenizeCard>(Access::Roles(ADMIN)),
    rule::<AuthorizeWithToken>(Access::Roles(ADMIN)),
    rule::<CapturePayment>(Access::Roles(ADMIN)),
    rule::<VoidPayment>(Access::Roles(ADMIN)),
    rule::<RefundPayment>(Access::Roles(ADMIN)),
    rule::<CancelOrderPayments>(Access::Roles(ADMIN)),
    rule::<GetPayment>(Access::Roles(MANAGERS)),
    // Orchestrator: sagas start from a store; operators repair them.
    scoped::<PlaceOrder>(STAFF),
    targeted::<CancelOrder>(Access::Roles(MANAGERS)),
    scoped::<TransferStock>(MANAGERS),
    rule::<GetSaga>(Access::Roles(STAFF)),
    rule::<ListSagas>(Access::Roles(MANAGERS)),
    rule::<SagaStats>(Access::Roles(MANAGERS)),
    targeted::<RetrySaga>(Access::Roles(MANAGERS)),
    targeted::<ResolveSaga>(Access::Roles(MANAGERS)),
];

/// The rule of `service`'s `operation`, if the gateway serves it.
pub fn lookup(service: ServiceName, operation: &str) -> Option<&'static Rule> {
    TABLE
        .iter()
        .find(|rule| rule.service == service && rule.operation == operation)
}

/// Whether a member with `role` (and `store`) may call `rule` for `target_store`.
pub fn allows(
    rule: &Rule,
    role: Role,
    store: Option<StoreId>,
    target_store: Option<StoreId>,
) -> Result<(), &'static str> {
    match rule.access {
        Access::Public => Ok(()),
        Access::Roles(roles) if !roles.contains(&role) => {
            Err("your role may not call this operation")
        }
        Access::Roles(_) if role == Role::Admin => Ok(()),
        Access::Roles(_) => match target_store {
            Some(target) if Some(target) != store => Err("you may act only on your own store"),
            _ => Ok(()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_appears_once() {
        for (index, rule) in TABLE.iter().enumerate() {
            let twice = TABLE[index + 1..]
                .iter()
                .any(|other| other.service == rule.service && other.operation == rule.operation);
            assert!(
                !twice,
                "{}.{} is listed twice",
                rule.service, rule.operation
            );
        }
    }

    #[test]
    fn roles_and_stores_decide() {
        let receive = lookup(ServiceName::Inventory, "receive_stock").expect("listed");
        let own = Some(StoreId(1));
        assert_eq!(allows(receive, Role::Sales, own, own), Ok(()));
        assert!(allows(receive, Role::Sales, own, Some(StoreId(2))).is_err());
        assert!(allows(receive, Role::Manager, own, Some(StoreId(2))).is_err());
        assert_eq!(allows(receive, Role::Admin, None, Some(StoreId(2))), Ok(()));
        let create_staff = lookup(ServiceName::Identity, "create_staff").expect("listed");
        assert!(allows(create_staff, Role::Sales, own, None).is_err());
        assert!(allows(create_staff, Role::Manager, own, None).is_err());
        assert_eq!(allows(create_staff, Role::Admin, None, None), Ok(()));
        assert!(lookup(ServiceName::Inventory, "drop_tables").is_none());
    }

    #[test]
    fn a_transfer_is_scoped_to_the_store_giving_the_stock() {
        let transfer = lookup(ServiceName::Orchestrator, "transfer_stock").expect("listed");
        let request = TransferStock {
            from_store_id: StoreId(2),
            to_store_id: StoreId(1),
            product_id: bikestore_contracts::ProductId(9),
            quantity: 1,
            wait_ms: None,
        };
        for content_type in [ContentType::Postcard, ContentType::Json] {
            let body = bikestore_codec::encode(content_type, &request).expect("encodes");
            let read = transfer.facts.expect("reads facts");
            let facts = read(content_type, None, &body, usize::MAX).expect("decodes");
            assert_eq!(facts.store, Some(StoreId(2)));
            assert_eq!(
                facts.targets.get("to_store_id").map(String::as_str),
                Some("1")
            );
            assert!(read(content_type, None, b"\xff garbage", usize::MAX).is_err());
        }
        assert!(transfer.store_scoped);
        let own = Some(StoreId(1));
        assert!(allows(transfer, Role::Manager, own, Some(StoreId(2))).is_err());
        assert!(allows(transfer, Role::Sales, Some(StoreId(2)), Some(StoreId(2))).is_err());
    }
}
