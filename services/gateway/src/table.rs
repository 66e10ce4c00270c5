//! The one authorization table: every operation the gateway serves, who may call it, and which
//! store it acts on.
//!
//! An operation missing from [`TABLE`] is answered `not_found`, so a new service operation is
//! unreachable from consoles until a line here allows it. Every line declares its [`Scope`]:
//! the store its body names, the store owning the ID it names (looked up by `scope`), a list
//! forced to the caller's store, or chain-wide with the reason. Admins may call every operation
//! and act on every store; managers and sales act only on their own store. Whether a call is
//! audited follows the request type's kind: every command is.

use bikestore_contracts::health::SystemHealth;
use bikestore_contracts::identity::{
    ChangeStaffRole, CreateStaff, DeactivateStaff, GetStaff, ListStaff, Login, Logout, PublicKeys,
    Refresh, ResetPassword, Role, RotateSigningKey, StaffNames, UnlockUsername,
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
use bikestore_contracts::{Request, ServiceName};

use crate::facts::{FactReader, Facts, Narrower, StoreFilter, narrow, read_facts};

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without a token (login, refresh, logout, public keys); still rate-limited.
    Public,
    /// Signed requests by a member with one of these roles.
    Roles(&'static [Role]),
}

/// Which store's data an operation acts on, for members other than admins: admins act on
/// every store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The store in this field of the body, which must be the caller's.
    BodyStore(&'static str),
    /// The store owning the ID the body names, asked from the service keeping it, which must
    /// be the caller's. An ID of another store is answered `not_found`, exactly as an unknown
    /// one, so a member cannot learn what other stores hold.
    OwnedBy(Owner),
    /// A list (or a summary of one) whose store filter the gateway sets to the caller's store
    /// before forwarding; a filter naming another store is `forbidden`.
    ListForcedToCallerStore,
    /// The chain's shared data, or an operation only admins call; the reason says which.
    ChainWide(&'static str),
}

/// The kinds of records whose owning store the gateway looks up ([`crate::facts::OwnedId`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// An order, read from orders' `get_order`.
    Order,
    /// A saga, read from the orchestrator's `get_saga` ([`SagaPayload::store_id`]).
    ///
    /// [`SagaPayload::store_id`]: bikestore_contracts::sagas::SagaPayload::store_id
    Saga,
    /// A payment, read from orders' `get_payment`, then its order.
    Payment,
}

/// Why the catalog is chain-wide.
pub const CATALOG: &str =
    "the catalog (stores, brands, categories, products) is the chain's: every store sells from it";
/// Why stock levels are read chain-wide.
pub const STOCK_LEVELS: &str = "stock levels are read across the chain (a product's stock in every store) so staff can send a customer to a store that has it or ask for a transfer; they name no customer, order or payment";
/// Why customers are chain-wide.
pub const CUSTOMERS: &str = "customers are the chain's: a customer buys at any store";
/// Why staff names are read chain-wide.
pub const SELLER_NAMES: &str = "a seller's name is printed on every receipt, and a member may have moved store since; only the name is answered";
/// Why admin-only operations are chain-wide.
pub const ADMINS_ONLY: &str = "only admins call it, and admins act on every store";
/// Why public operations have no store.
pub const SESSIONS: &str = "public: no member is known yet, and no store's data is touched";

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
    /// Which store's data it acts on.
    pub scope: Scope,
    /// How to read its store, owned ID and target IDs from the body, for operations that name
    /// them.
    pub facts: Option<FactReader>,
    /// How to force its store filter, for [`Scope::ListForcedToCallerStore`].
    pub narrow: Option<Narrower>,
}

const ADMIN: &[Role] = &[Role::Admin];
const MANAGERS: &[Role] = &[Role::Admin, Role::Manager];
const STAFF: &[Role] = &[Role::Admin, Role::Manager, Role::Sales];

/// An operation on the chain's shared data, or one only admins call.
const fn chain_wide<R: Request>(access: Access, reason: &'static str) -> Rule {
    Rule {
        service: R::SERVICE,
        operation: R::OPERATION,
        kind: R::KIND,
        access,
        scope: Scope::ChainWide(reason),
        facts: None,
        narrow: None,
    }
}

/// An admins-only operation whose target IDs are audited.
const fn admins_targeting<R: Facts>() -> Rule {
    Rule {
        facts: Some(read_facts::<R>),
        ..chain_wide::<R>(Access::Roles(ADMIN), ADMINS_ONLY)
    }
}

/// An operation acting on the store its body names.
const fn body_store<R: Facts>(roles: &'static [Role]) -> Rule {
    let Some(field) = R::STORE_FIELD else {
        panic!("a body-store operation names its store");
    };
    Rule {
        scope: Scope::BodyStore(field),
        facts: Some(read_facts::<R>),
        ..chain_wide::<R>(Access::Roles(roles), "")
    }
}

/// An operation on a record whose owning store is looked up.
const fn owned_by<R: Facts>(roles: &'static [Role]) -> Rule {
    let Some(owner) = R::OWNER else {
        panic!("an owned-by operation names the owned ID");
    };
    Rule {
        scope: Scope::OwnedBy(owner),
        facts: Some(read_facts::<R>),
        ..chain_wide::<R>(Access::Roles(roles), "")
    }
}

/// A list forced to the caller's store.
const fn forced_list<R: StoreFilter>(roles: &'static [Role]) -> Rule {
    Rule {
        scope: Scope::ListForcedToCallerStore,
        facts: Some(read_facts::<R>),
        narrow: Some(narrow::<R>),
        ..chain_wide::<R>(Access::Roles(roles), "")
    }
}

/// Every operation reachable through the gateway.
pub const TABLE: &[Rule] = &[
    // Identity: sessions are public, staff administration and keys are for admins.
    chain_wide::<Login>(Access::Public, SESSIONS),
    chain_wide::<Refresh>(Access::Public, SESSIONS),
    chain_wide::<Logout>(Access::Public, SESSIONS),
    chain_wide::<PublicKeys>(Access::Public, SESSIONS),
    admins_targeting::<CreateStaff>(),
    admins_targeting::<DeactivateStaff>(),
    admins_targeting::<ResetPassword>(),
    admins_targeting::<ChangeStaffRole>(),
    admins_targeting::<UnlockUsername>(),
    chain_wide::<RotateSigningKey>(Access::Roles(ADMIN), ADMINS_ONLY),
    chain_wide::<ListStaff>(Access::Roles(ADMIN), ADMINS_ONLY),
    chain_wide::<GetStaff>(Access::Roles(ADMIN), ADMINS_ONLY),
    chain_wide::<StaffNames>(Access::Roles(STAFF), SELLER_NAMES),
    // Inventory: the catalog is read by all and kept by managers; stock is per store.
    chain_wide::<CreateStore>(Access::Roles(ADMIN), ADMINS_ONLY),
    chain_wide::<ListStores>(Access::Roles(STAFF), CATALOG),
    chain_wide::<CreateBrand>(Access::Roles(MANAGERS), CATALOG),
    chain_wide::<UpdateBrand>(Access::Roles(MANAGERS), CATALOG),
    chain_wide::<DeleteBrand>(Access::Roles(MANAGERS), CATALOG),
    chain_wide::<ListBrands>(Access::Roles(STAFF), CATALOG),
    chain_wide::<CreateCategory>(Access::Roles(MANAGERS), CATALOG),
    chain_wide::<UpdateCategory>(Access::Roles(MANAGERS), CATALOG),
    chain_wide::<DeleteCategory>(Access::Roles(MANAGERS), CATALOG),
    chain_wide::<ListCategories>(Access::Roles(STAFF), CATALOG),
    chain_wide::<CreateProduct>(Access::Roles(MANAGERS), CATALOG),
    Rule {
        facts: Some(read_facts::<UpdateProduct>),
        ..chain_wide::<UpdateProduct>(Access::Roles(MANAGERS), CATALOG)
    },
    Rule {
        facts: Some(read_facts::<DeleteProduct>),
        ..chain_wide::<DeleteProduct>(Access::Roles(MANAGERS), CATALOG)
    },
    chain_wide::<ListProducts>(Access::Roles(STAFF), CATALOG),
    chain_wide::<GetProduct>(Access::Roles(STAFF), STOCK_LEVELS),
    body_store::<ReceiveStock>(STAFF),
    body_store::<AdjustStock>(MANAGERS),
    // Reservations are made and moved on by sagas; by hand only an admin makes or repairs one,
    // so nobody else can hold a reservation ID before a saga does.
    admins_targeting::<ReserveStock>(),
    admins_targeting::<CommitReservation>(),
    admins_targeting::<ReleaseReservation>(),
    admins_targeting::<ReturnReservation>(),
    chain_wide::<StoreStock>(Access::Roles(STAFF), STOCK_LEVELS),
    chain_wide::<LowStock>(Access::Roles(STAFF), STOCK_LEVELS),
    // Notifications: each store reads its own.
    forced_list::<ListNotifications>(STAFF),
    // Orders: customers are the chain's, orders the store's; money moves only through sagas
    // or admins.
    chain_wide::<CreateCustomer>(Access::Roles(STAFF), CUSTOMERS),
    chain_wide::<UpdateCustomer>(Access::Roles(STAFF), CUSTOMERS),
    chain_wide::<GetCustomer>(Access::Roles(STAFF), CUSTOMERS),
    chain_wide::<SearchCustomers>(Access::Roles(STAFF), CUSTOMERS),
    // Orders are created by the place-order saga, priced from the catalog; by hand only by an
    // admin, whose prices are taken as given.
    admins_targeting::<CreateOrder>(),
    owned_by::<ChangeOrderStatus>(MANAGERS),
    owned_by::<GetOrder>(STAFF),
    forced_list::<ListOrders>(STAFF),
    chain_wide::<AuthorizePayment>(Access::Roles(ADMIN), ADMINS_ONLY),
    chain_wide::<TokenizeCard>(Access::Roles(ADMIN), ADMINS_ONLY),
    chain_wide::<AuthorizeWithToken>(Access::Roles(ADMIN), ADMINS_ONLY),
    chain_wide::<CapturePayment>(Access::Roles(ADMIN), ADMINS_ONLY),
    chain_wide::<VoidPayment>(Access::Roles(ADMIN), ADMINS_ONLY),
    chain_wide::<RefundPayment>(Access::Roles(ADMIN), ADMINS_ONLY),
    chain_wide::<CancelOrderPayments>(Access::Roles(ADMIN), ADMINS_ONLY),
    owned_by::<GetPayment>(MANAGERS),
    // Orchestrator: sagas start from a store and belong to it; operators repair them.
    body_store::<PlaceOrder>(STAFF),
    owned_by::<CancelOrder>(MANAGERS),
    body_store::<TransferStock>(MANAGERS),
    owned_by::<GetSaga>(STAFF),
    forced_list::<ListSagas>(MANAGERS),
    forced_list::<SagaStats>(MANAGERS),
    owned_by::<RetrySaga>(MANAGERS),
    owned_by::<ResolveSaga>(MANAGERS),
    // The system's health: every store's sagas and the whole deployment's internals.
    chain_wide::<SystemHealth>(Access::Roles(ADMIN), ADMINS_ONLY),
];

/// The rule of `service`'s `operation`, if the gateway serves it.
pub fn lookup(service: ServiceName, operation: &str) -> Option<&'static Rule> {
    TABLE
        .iter()
        .find(|rule| rule.service == service && rule.operation == operation)
}

/// Whether a member with `role` may call `rule` at all; which store's data it may touch is
/// `scope`'s to decide.
pub fn allows(rule: &Rule, role: Role) -> Result<(), &'static str> {
    match rule.access {
        Access::Roles(roles) if !roles.contains(&role) => {
            Err("your role may not call this operation")
        }
        Access::Public | Access::Roles(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use bikestore_codec::ContentType;
    use bikestore_contracts::StoreId;
    use bikestore_contracts::sagas::SagaId;

    use super::*;
    use crate::facts::OwnedId;

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
    fn every_scope_is_backed_by_what_enforces_it() {
        for rule in TABLE {
            let name = format!("{}.{}", rule.service, rule.operation);
            match rule.scope {
                Scope::BodyStore(_) | Scope::OwnedBy(_) => {
                    assert!(rule.facts.is_some(), "{name} reads no facts");
                }
                Scope::ListForcedToCallerStore => {
                    assert!(rule.facts.is_some() && rule.narrow.is_some(), "{name}");
                }
                Scope::ChainWide(ADMINS_ONLY) => {
                    assert_eq!(
                        rule.access,
                        Access::Roles(ADMIN),
                        "{name} is not admins only"
                    );
                }
                Scope::ChainWide(SESSIONS) => {
                    assert_eq!(rule.access, Access::Public, "{name} is not public");
                }
                Scope::ChainWide(reason) => {
                    assert!(
                        [CATALOG, STOCK_LEVELS, CUSTOMERS, SELLER_NAMES].contains(&reason),
                        "{name}: {reason:?}"
                    );
                    assert_ne!(rule.access, Access::Public, "{name}");
                }
            }
            if rule.access == Access::Public {
                assert_eq!(rule.scope, Scope::ChainWide(SESSIONS), "{name}");
            }
        }
    }

    #[test]
    fn roles_decide_who_calls() {
        let receive = lookup(ServiceName::Inventory, "receive_stock").expect("listed");
        assert_eq!(receive.scope, Scope::BodyStore("store_id"));
        assert_eq!(allows(receive, Role::Sales), Ok(()));
        let create_staff = lookup(ServiceName::Identity, "create_staff").expect("listed");
        assert!(allows(create_staff, Role::Sales).is_err());
        assert!(allows(create_staff, Role::Manager).is_err());
        assert_eq!(allows(create_staff, Role::Admin), Ok(()));
        assert!(lookup(ServiceName::Inventory, "drop_tables").is_none());
        let get_order = lookup(ServiceName::Orders, "get_order").expect("listed");
        assert_eq!(get_order.scope, Scope::OwnedBy(Owner::Order));
    }

    #[test]
    fn a_transfer_is_scoped_to_the_store_giving_the_stock() {
        let transfer = lookup(ServiceName::Orchestrator, "transfer_stock").expect("listed");
        assert_eq!(transfer.scope, Scope::BodyStore("from_store_id"));
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
        assert!(allows(transfer, Role::Sales).is_err());
    }

    #[test]
    fn a_forced_list_is_re_encoded_with_the_callers_store() {
        let list = lookup(ServiceName::Orders, "list_orders").expect("listed");
        let request = ListOrders {
            status: Some(bikestore_contracts::orders::OrderStatus::Pending),
            ..ListOrders::default()
        };
        for content_type in [ContentType::Postcard, ContentType::Json] {
            let body = bikestore_codec::encode(content_type, &request).expect("encodes");
            let narrow = list.narrow.expect("narrows");
            let narrowed = narrow(content_type, None, &body, usize::MAX, StoreId(2)).expect("ok");
            let read: ListOrders =
                bikestore_codec::decode(content_type, None, &narrowed, usize::MAX).expect("ok");
            assert_eq!(read.store_id, Some(StoreId(2)));
            assert_eq!(read.status, request.status);
        }
    }

    #[test]
    fn an_owned_id_is_read_from_the_body() {
        let retry = lookup(ServiceName::Orchestrator, "retry_saga").expect("listed");
        let request = RetrySaga {
            saga_id: SagaId("01J".into()),
        };
        let body = bikestore_codec::encode(ContentType::Json, &request).expect("encodes");
        let read = retry.facts.expect("reads facts");
        let facts = read(ContentType::Json, None, &body, usize::MAX).expect("decodes");
        assert_eq!(facts.owned, Some(OwnedId::Saga(SagaId("01J".into()))));
        assert_eq!(facts.store, None);
    }
}
