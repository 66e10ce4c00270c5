//! Store scope on every operation of the gateway's table: a member of store 2, as sales and as
//! manager, acting on store 1's data by ID or by filter is refused (`forbidden`, or `not_found`
//! exactly as for an unknown ID) or sees nothing of store 1; what the table declares chain-wide
//! is listed here with its reason, so a new operation fails this test until it is probed or
//! declared. Operations only admins may call are called too and must be `forbidden`. No saga
//! record a console reads carries a card token.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use bikestore_client::{ClientError, Session};
use bikestore_contracts::health::SystemHealth;
use bikestore_contracts::identity::{
    ChangeStaffRole, CreateStaff, DeactivateStaff, GetStaff, ListStaff, Password, ResetPassword,
    Role, RotateSigningKey, UnlockUsername,
};
use bikestore_contracts::inventory::{
    AdjustStock, CommitReservation, CreateStore, GetProduct, Page, ReceiveStock,
    ReleaseReservation, ReservationLine, ReserveStock, ReturnReservation, StoreStock,
};
use bikestore_contracts::notifications::ListNotifications;
use bikestore_contracts::orders::{
    AuthorizePayment, AuthorizeWithToken, CancelOrderPayments, CapturePayment, Card,
    ChangeOrderStatus, CreateOrder, GetOrder, GetPayment, ListOrders, OrderLine, OrderStatus,
    RefundPayment, TokenizeCard, VoidPayment,
};
use bikestore_contracts::sagas::{
    CancelOrder, GetSaga, ListSagas, PlaceOrder, PlaceOrderLine, ResolveSaga, RetrySaga, SagaId,
    SagaPayload, SagaRecord, SagaState, SagaStats, TransferStock,
};
use bikestore_contracts::{
    Cents, CustomerId, ErrorCode, OrderId, PaymentId, ProductId, ReservationId, StaffId, StoreId,
};
use bikestore_gateway::table::{
    ADMINS_ONLY, Access, CATALOG, CUSTOMERS, SELLER_NAMES, SESSIONS, STOCK_LEVELS, Scope, TABLE,
};
use bikestore_harness::System;
use bikestore_testkit::eventually;

const WAIT: Duration = Duration::from_secs(30);
const STORE_1: StoreId = StoreId(1);
const STORE_2: StoreId = StoreId(2);

/// Operations the table declares chain-wide, with the reason it must give.
const CHAIN_WIDE: &[(&str, &str)] = &[
    ("login", SESSIONS),
    ("refresh", SESSIONS),
    ("logout", SESSIONS),
    ("public_keys", SESSIONS),
    ("create_staff", ADMINS_ONLY),
    ("deactivate_staff", ADMINS_ONLY),
    ("reset_password", ADMINS_ONLY),
    ("change_staff_role", ADMINS_ONLY),
    ("reserve_stock", ADMINS_ONLY),
    ("create_order", ADMINS_ONLY),
    ("unlock_username", ADMINS_ONLY),
    ("rotate_signing_key", ADMINS_ONLY),
    ("list_staff", ADMINS_ONLY),
    ("get_staff", ADMINS_ONLY),
    ("staff_names", SELLER_NAMES),
    ("create_store", ADMINS_ONLY),
    ("list_stores", CATALOG),
    ("create_brand", CATALOG),
    ("update_brand", CATALOG),
    ("delete_brand", CATALOG),
    ("list_brands", CATALOG),
    ("create_category", CATALOG),
    ("update_category", CATALOG),
    ("delete_category", CATALOG),
    ("list_categories", CATALOG),
    ("create_product", CATALOG),
    ("update_product", CATALOG),
    ("delete_product", CATALOG),
    ("list_products", CATALOG),
    ("get_product", STOCK_LEVELS),
    ("store_stock", STOCK_LEVELS),
    ("low_stock", STOCK_LEVELS),
    ("commit_reservation", ADMINS_ONLY),
    ("release_reservation", ADMINS_ONLY),
    ("return_reservation", ADMINS_ONLY),
    ("create_customer", CUSTOMERS),
    ("update_customer", CUSTOMERS),
    ("get_customer", CUSTOMERS),
    ("search_customers", CUSTOMERS),
    ("authorize_payment", ADMINS_ONLY),
    ("tokenize_card", ADMINS_ONLY),
    ("authorize_with_token", ADMINS_ONLY),
    ("capture_payment", ADMINS_ONLY),
    ("void_payment", ADMINS_ONLY),
    ("refund_payment", ADMINS_ONLY),
    ("cancel_order_payments", ADMINS_ONLY),
    ("system_health", ADMINS_ONLY),
];

/// Store 1's records the probes aim at.
struct Store1 {
    seller: StaffId,
    reservation_id: ReservationId,
    order_id: OrderId,
    saga_id: SagaId,
    payment_id: PaymentId,
    product_id: ProductId,
    line: OrderLine,
}

/// What a probe saw: a refusal, or the stores of what the reply showed.
enum Seen {
    Refused(ErrorCode),
    Stores(Vec<Option<StoreId>>),
}

fn seen<T>(reply: Result<T, ClientError>, stores: impl FnOnce(T) -> Vec<Option<StoreId>>) -> Seen {
    match reply {
        Ok(reply) => Seen::Stores(stores(reply)),
        Err(error) => Seen::Refused(error.code()),
    }
}

/// What an admins-only reply shows: store 1's data, since every probe aims at it.
fn store_1<T>(_reply: T) -> Vec<Option<StoreId>> {
    vec![Some(STORE_1)]
}

fn card() -> Card {
    Card {
        number: "4242 4242 4242 4242".into(),
        expiry_month: 12,
        expiry_year: 2031,
        cvc: "123".into(),
        holder: "Scope Probe".into(),
    }
}

fn saga_store(saga: &SagaRecord) -> Option<StoreId> {
    saga.payload.store_id()
}

/// Calls `operation` as `member` against store 1's data; `by_filter` names store 1 in a list's
/// filter, otherwise the list is asked without one.
async fn probe(member: &Session, operation: &str, data: &Store1, by_filter: bool) -> Option<Seen> {
    let filter = by_filter.then_some(STORE_1);
    let lines = vec![PlaceOrderLine {
        product_id: data.line.product_id,
        quantity: data.line.quantity,
        discount_percent: 0,
        list_price: None,
    }];
    let staff_id = member.whoami().staff_id;
    Some(match operation {
        "receive_stock" => seen(
            member
                .call(&ReceiveStock {
                    store_id: STORE_1,
                    product_id: data.product_id,
                    quantity: 1,
                })
                .await,
            |updated| vec![Some(updated.level.store_id)],
        ),
        "adjust_stock" => seen(
            member
                .call(&AdjustStock {
                    store_id: STORE_1,
                    product_id: data.product_id,
                    delta: -1,
                    reason: "scope probe".into(),
                })
                .await,
            |updated| vec![Some(updated.level.store_id)],
        ),
        "place_order" => seen(
            member
                .call(&PlaceOrder {
                    customer_id: CustomerId(1),
                    store_id: STORE_1,
                    staff_id,
                    lines,
                    card: card(),
                    wait_ms: None,
                })
                .await,
            |_| vec![Some(STORE_1)],
        ),
        "transfer_stock" => seen(
            member
                .call(&TransferStock {
                    from_store_id: STORE_1,
                    to_store_id: STORE_2,
                    product_id: data.product_id,
                    quantity: 1,
                    wait_ms: None,
                })
                .await,
            |_| vec![Some(STORE_1)],
        ),
        "change_order_status" => seen(
            member
                .call(&ChangeOrderStatus {
                    order_id: data.order_id,
                    to: OrderStatus::Completed,
                    reason: None,
                })
                .await,
            |order| vec![Some(order.store_id)],
        ),
        "get_order" => seen(
            member
                .call(&GetOrder {
                    order_id: data.order_id,
                })
                .await,
            |order| vec![Some(order.store_id)],
        ),
        "get_payment" => seen(
            member
                .call(&GetPayment {
                    payment_id: data.payment_id,
                })
                .await,
            |_| vec![Some(STORE_1)],
        ),
        "cancel_order" => seen(
            member
                .call(&CancelOrder {
                    order_id: data.order_id,
                    reason: "scope probe".into(),
                    wait_ms: None,
                })
                .await,
            |_| vec![Some(STORE_1)],
        ),
        "get_saga" => seen(
            member
                .call(&GetSaga {
                    saga_id: data.saga_id.clone(),
                })
                .await,
            |saga| vec![saga_store(&saga)],
        ),
        "retry_saga" => seen(
            member
                .call(&RetrySaga {
                    saga_id: data.saga_id.clone(),
                })
                .await,
            |saga| vec![saga_store(&saga)],
        ),
        "resolve_saga" => seen(
            member
                .call(&ResolveSaga {
                    saga_id: data.saga_id.clone(),
                    reason: "scope probe".into(),
                })
                .await,
            |saga| vec![saga_store(&saga)],
        ),
        "list_orders" => seen(
            member
                .call(&ListOrders {
                    store_id: filter,
                    ..ListOrders::default()
                })
                .await,
            |page| {
                page.orders
                    .iter()
                    .map(|order| Some(order.store_id))
                    .collect()
            },
        ),
        "list_notifications" => seen(
            member
                .call(&ListNotifications {
                    store_id: filter,
                    ..ListNotifications::default()
                })
                .await,
            |page| {
                page.notifications
                    .iter()
                    .map(|note| note.store_id)
                    .collect()
            },
        ),
        "list_sagas" => seen(
            member
                .call(&ListSagas {
                    store_id: filter,
                    ..ListSagas::default()
                })
                .await,
            |list| list.sagas.iter().map(saga_store).collect(),
        ),
        "saga_stats" => seen(
            member.call(&SagaStats { store_id: filter }).await,
            // Store 2 has no saga: any count is store 1's.
            |report| {
                report
                    .counts
                    .iter()
                    .filter(|count| count.count > 0)
                    .map(|_| Some(STORE_1))
                    .collect()
            },
        ),
        _ => return None,
    })
}

/// Calls the admins-only `operation` as `member` on store 1's staff, reservation, order and
/// payment; anything but a refusal shows as store 1's.
async fn probe_admins_only(member: &Session, operation: &str, data: &Store1) -> Option<Seen> {
    let payment_id = data.payment_id;
    let reservation_id = data.reservation_id.clone();
    let probe_password = || Password::from("a-probe-password-long");
    Some(match operation {
        "reserve_stock" => seen(
            member
                .call(&ReserveStock {
                    reservation_id: ReservationId("scope-probe".into()),
                    store_id: STORE_1,
                    lines: vec![ReservationLine {
                        product_id: data.product_id,
                        quantity: 1,
                    }],
                })
                .await,
            store_1,
        ),
        "create_order" => seen(
            member
                .call(&CreateOrder {
                    customer_id: CustomerId(1),
                    store_id: STORE_1,
                    staff_id: member.whoami().staff_id,
                    lines: vec![data.line.clone()],
                    required_date: None,
                    reservation_id: None,
                })
                .await,
            store_1,
        ),
        "create_staff" => seen(
            member
                .call(&CreateStaff {
                    username: "probe".into(),
                    name: "Scope Probe".into(),
                    email: "probe@bikes.shop".into(),
                    role: Role::Sales,
                    store_id: Some(STORE_1),
                    password: probe_password(),
                })
                .await,
            store_1,
        ),
        "deactivate_staff" => seen(
            member
                .call(&DeactivateStaff {
                    staff_id: data.seller,
                })
                .await,
            store_1,
        ),
        "reset_password" => seen(
            member
                .call(&ResetPassword {
                    staff_id: data.seller,
                    new_password: probe_password(),
                })
                .await,
            store_1,
        ),
        "change_staff_role" => seen(
            member
                .call(&ChangeStaffRole {
                    staff_id: data.seller,
                    role: Some(Role::Manager),
                    store_id: None,
                })
                .await,
            store_1,
        ),
        "unlock_username" => seen(
            member
                .call(&UnlockUsername {
                    username: "sales1a".into(),
                })
                .await,
            store_1,
        ),
        "rotate_signing_key" => seen(member.call(&RotateSigningKey {}).await, store_1),
        "system_health" => seen(member.call(&SystemHealth {}).await, store_1),
        "list_staff" => seen(
            member
                .call(&ListStaff {
                    store_id: Some(STORE_1),
                    ..ListStaff::default()
                })
                .await,
            store_1,
        ),
        "get_staff" => seen(
            member
                .call(&GetStaff {
                    staff_id: data.seller,
                })
                .await,
            store_1,
        ),
        "create_store" => seen(
            member
                .call(&CreateStore {
                    name: "Probe Bikes".into(),
                    ..CreateStore::default()
                })
                .await,
            store_1,
        ),
        "commit_reservation" => seen(
            member.call(&CommitReservation { reservation_id }).await,
            store_1,
        ),
        "release_reservation" => seen(
            member.call(&ReleaseReservation { reservation_id }).await,
            store_1,
        ),
        "return_reservation" => seen(
            member.call(&ReturnReservation { reservation_id }).await,
            store_1,
        ),
        "authorize_payment" => seen(
            member
                .call(&AuthorizePayment {
                    order_id: data.order_id,
                    amount: Cents(100),
                    card: card(),
                })
                .await,
            store_1,
        ),
        "tokenize_card" => seen(member.call(&TokenizeCard { card: card() }).await, store_1),
        "authorize_with_token" => seen(
            member
                .call(&AuthorizeWithToken {
                    order_id: data.order_id,
                    amount: Cents(100),
                    card_token: "tok_probe".into(),
                })
                .await,
            store_1,
        ),
        "capture_payment" => seen(
            member
                .call(&CapturePayment {
                    payment_id,
                    amount: Cents(100),
                })
                .await,
            store_1,
        ),
        "void_payment" => seen(member.call(&VoidPayment { payment_id }).await, store_1),
        "refund_payment" => seen(
            member
                .call(&RefundPayment {
                    payment_id,
                    amount: Cents(100),
                })
                .await,
            store_1,
        ),
        "cancel_order_payments" => seen(
            member
                .call(&CancelOrderPayments {
                    order_id: data.order_id,
                })
                .await,
            store_1,
        ),
        _ => return None,
    })
}

/// Places an order in store 1 as its sales member and reads what the saga made.
async fn store_1_data(system: &System, admin: &Session) -> Store1 {
    let seller = system.console("sales1a").await.unwrap();
    let stock = admin
        .call(&StoreStock {
            store_id: STORE_1,
            page: Page::default(),
        })
        .await
        .unwrap();
    let level = stock
        .levels
        .iter()
        .find(|level| level.available >= 5)
        .expect("store 1 has stock");
    let product = admin
        .call(&GetProduct {
            product_id: level.product_id,
        })
        .await
        .unwrap();
    let line = OrderLine {
        product_id: level.product_id,
        quantity: 1,
        list_price: product.product.list_price,
        discount_percent: 0,
        product_name: None,
    };
    let started = seller
        .call(&PlaceOrder {
            customer_id: CustomerId(1),
            store_id: STORE_1,
            staff_id: seller.whoami().staff_id,
            lines: vec![PlaceOrderLine {
                product_id: line.product_id,
                quantity: 1,
                discount_percent: 0,
                list_price: None,
            }],
            card: card(),
            wait_ms: Some(20_000),
        })
        .await
        .unwrap();
    assert_eq!(started.state, SagaState::Completed, "{:?}", started.error);
    let saga = admin
        .call(&GetSaga {
            saga_id: started.saga_id.clone(),
        })
        .await
        .unwrap();
    let SagaPayload::PlaceOrder(placed) = &saga.payload else {
        panic!("a place-order saga");
    };
    assert!(
        placed.card_token.is_empty(),
        "a console read the card token"
    );
    eventually("store 1's notifications", WAIT, async || {
        let page = admin
            .call(&ListNotifications {
                store_id: Some(STORE_1),
                ..ListNotifications::default()
            })
            .await
            .ok()?;
        (!page.notifications.is_empty()).then_some(())
    })
    .await
    .unwrap();
    Store1 {
        seller: seller.whoami().staff_id,
        reservation_id: placed.reservation_id.clone().expect("the saga reserved"),
        order_id: started.order_id.expect("the saga made an order"),
        saga_id: started.saga_id,
        payment_id: placed.payment_id.expect("the saga paid"),
        product_id: level.product_id,
        line,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_of_store_2_are_refused_or_see_nothing_of_store_1_on_every_operation() {
    let system = System::builder()
        .seeded()
        .all_services()
        .start()
        .await
        .unwrap();
    let admin = system.console("admin").await.unwrap();
    let data = store_1_data(&system, &admin).await;
    let members = [
        system.console("sales2a").await.unwrap(),
        system.console("manager2").await.unwrap(),
    ];

    for rule in TABLE {
        let operation = rule.operation;
        if let Scope::ChainWide(reason) = rule.scope {
            let listed = CHAIN_WIDE.iter().find(|(name, _)| *name == operation);
            assert_eq!(
                listed.map(|(_, reason)| *reason),
                Some(reason),
                "{operation} is chain-wide for a reason this test does not list"
            );
            if reason == ADMINS_ONLY {
                assert_eq!(rule.access, Access::Roles(&[Role::Admin]));
                for member in &members {
                    let outcome = probe_admins_only(member, operation, &data)
                        .await
                        .unwrap_or_else(|| panic!("{operation} has no probe: add one"));
                    let who = &member.whoami().username;
                    assert!(
                        matches!(outcome, Seen::Refused(ErrorCode::Forbidden)),
                        "{who} was not refused {operation}"
                    );
                }
            }
            continue;
        }
        let by_filter: &[bool] = match rule.scope {
            Scope::ListForcedToCallerStore => &[true, false],
            _ => &[false],
        };
        for member in &members {
            let who = &member.whoami().username;
            for &by_filter in by_filter {
                let outcome = probe(member, operation, &data, by_filter)
                    .await
                    .unwrap_or_else(|| panic!("{operation} has no probe: add one"));
                match outcome {
                    Seen::Refused(code) => assert!(
                        matches!(code, ErrorCode::Forbidden | ErrorCode::NotFound),
                        "{who} on {operation}: {code}"
                    ),
                    Seen::Stores(stores) => {
                        assert!(
                            !by_filter,
                            "{who} listed store 1 by filter with {operation}"
                        );
                        assert!(
                            stores.iter().all(|store| *store == Some(STORE_2)),
                            "{who} saw {stores:?} with {operation}"
                        );
                    }
                }
            }
        }
    }
    // What the lookups guard is still there for store 1 (the refusals were not failures).
    let order = admin
        .call(&GetOrder {
            order_id: data.order_id,
        })
        .await
        .unwrap();
    assert_eq!(order.status, OrderStatus::Processing);
    system.stop().await.unwrap();
}
