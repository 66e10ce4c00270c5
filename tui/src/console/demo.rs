//! Demo-like data for the console's tests: the demo stores, staff, customers, products, orders,
//! sagas and notifications, with fixed IDs and times so snapshots never change by themselves.

use bikestore_contracts::identity::{Role, StaffSummary};
use bikestore_contracts::inventory::{Named, Product, ProductPage, StockLevel, Store};
use bikestore_contracts::notifications::{
    Audience, DeliveryStatus, Notification, NotificationKind,
};
use bikestore_contracts::orders::{
    Customer, CustomerFields, CustomerPage, Order, OrderLine, OrderLineDetail, OrderPage,
    OrderStatus, OrderSummary, OrderTotals, StatusChange,
};
use bikestore_contracts::sagas::{
    HistoryEntry, Outcome, Phase, PlaceOrderSaga, SagaId, SagaPayload, SagaRecord, SagaState,
    SagaStatsReport, StateCount,
};
use bikestore_contracts::{
    BrandId, CategoryId, Cents, CustomerId, ErrorCode, NotificationId, OrderId, ProductId,
    ReservationId, StaffId, StoreId, WireError,
};

use super::app::App;
use super::event::{BackendEvent, DashboardData, Event};
use super::theme::Theme;

/// 2026-11-30 09:34:56 UTC.
pub const NOW_MS: i64 = 1_796_031_296_000;

/// A demo member of staff: `sales1a`, `manager1` or `admin`, by role.
pub fn staff(role: Role) -> StaffSummary {
    let (staff_id, username, name, store_id) = match role {
        Role::Sales => (3, "sales1a", "Fabiola Jackson", Some(StoreId(1))),
        Role::Manager => (2, "manager1", "Mireya Copeland", Some(StoreId(1))),
        Role::Admin => (1, "admin", "Genna Serrano", None),
    };
    StaffSummary {
        staff_id: StaffId(staff_id),
        username: username.to_owned(),
        name: name.to_owned(),
        email: format!("{username}@bikes.shop"),
        role,
        store_id,
        active: true,
    }
}

/// The three demo stores.
pub fn stores() -> Vec<Store> {
    [
        (1, "Santa Cruz Bikes", "America/Los_Angeles"),
        (2, "Baldwin Bikes", "America/New_York"),
        (3, "Rowlett Bikes", "America/Chicago"),
    ]
    .into_iter()
    .map(|(id, name, time_zone)| Store {
        store_id: StoreId(id),
        name: name.to_owned(),
        phone: String::new(),
        email: String::new(),
        street: String::new(),
        city: String::new(),
        state: String::new(),
        zip_code: String::new(),
        time_zone: time_zone.to_owned(),
    })
    .collect()
}

/// A console logged in as `role`, with the stores read, as after login.
pub fn app(role: Role) -> App {
    let mut app = App::new(Theme::MONO, NOW_MS);
    app.update(Event::Backend(BackendEvent::Connected));
    app.update(Event::Backend(BackendEvent::LoggedIn(staff(role))));
    app.update(Event::Backend(BackendEvent::Stores(stores())));
    app
}

/// A page of orders with every status.
pub fn order_page() -> OrderPage {
    let statuses = [
        OrderStatus::Processing,
        OrderStatus::Pending,
        OrderStatus::Rejected,
        OrderStatus::Completed,
        OrderStatus::Cancelled,
        OrderStatus::Processing,
    ];
    let orders = statuses
        .into_iter()
        .enumerate()
        .map(|(index, status)| {
            let index = index as i64;
            OrderSummary {
                order_id: OrderId(1620 - index),
                customer_id: CustomerId(259 + index * 7),
                store_id: StoreId(1),
                status,
                ordered_at_ms: NOW_MS - index * 3_600_000,
                total: Cents(269_999 + index * 12_345),
                customer_name: DEMO_CUSTOMER_NAMES[index as usize % DEMO_CUSTOMER_NAMES.len()]
                    .to_owned(),
            }
        })
        .collect();
    OrderPage { orders, total: 6 }
}

/// The customers the demo orders name, in turn; the first buys order #1620.
const DEMO_CUSTOMER_NAMES: [&str; 6] = [
    "Debra Burks",
    "Kasha Todd",
    "Tameka Fisher",
    "Daryl Spence",
    "Charolette Rice",
    "Lyndsey Bean",
];

/// Order #1620 with two lines and its status history.
pub fn order() -> Order {
    Order {
        order_id: OrderId(1620),
        customer_id: CustomerId(259),
        store_id: StoreId(1),
        staff_id: StaffId(3),
        status: OrderStatus::Processing,
        ordered_at_ms: NOW_MS,
        required_date: None,
        shipped_at_ms: None,
        lines: vec![
            OrderLineDetail {
                line: OrderLine {
                    product_id: ProductId(8),
                    quantity: 1,
                    list_price: Cents(269_999),
                    discount_percent: 10,
                    product_name: Some("Trek Remedy 29 Carbon Frameset - 2016".to_owned()),
                },
                total: Cents(242_999),
            },
            OrderLineDetail {
                line: OrderLine {
                    product_id: ProductId(13),
                    quantity: 2,
                    list_price: Cents(26_999),
                    discount_percent: 0,
                    product_name: None,
                },
                total: Cents(53_998),
            },
        ],
        totals: OrderTotals {
            gross: Cents(323_997),
            discount: Cents(27_000),
            total: Cents(296_997),
        },
        history: vec![
            StatusChange {
                from: None,
                to: OrderStatus::Pending,
                reason: None,
                at_ms: NOW_MS,
            },
            StatusChange {
                from: Some(OrderStatus::Pending),
                to: OrderStatus::Processing,
                reason: None,
                at_ms: NOW_MS + 412,
            },
        ],
        reservation_id: Some(ReservationId("sale-01JEXAMPLE0000000000000000".to_owned())),
        customer_name: DEMO_CUSTOMER_NAMES[0].to_owned(),
    }
}

/// Customers matching "burks".
pub fn customers() -> CustomerPage {
    let customer = |id: i64, first: &str, last: &str| Customer {
        customer_id: CustomerId(id),
        fields: CustomerFields {
            first_name: first.to_owned(),
            last_name: last.to_owned(),
            email: format!("{}.{}@yahoo.com", first.to_lowercase(), last.to_lowercase()),
            phone: String::new(),
            street: String::new(),
            city: String::new(),
            state: String::new(),
            zip_code: String::new(),
        },
    };
    CustomerPage {
        customers: vec![
            customer(1, "Debra", "Burks"),
            customer(940, "Ivette", "Burks"),
        ],
        total: 2,
    }
}

/// Products matching "trek".
pub fn products() -> ProductPage {
    let product = |id: i64, name: &str, cents: i64| Product {
        product_id: ProductId(id),
        name: name.to_owned(),
        brand: Named {
            id: BrandId(9),
            name: "Trek".to_owned(),
        },
        category: Named {
            id: CategoryId(6),
            name: "Mountain Bikes".to_owned(),
        },
        model_year: 2016,
        list_price: Cents(cents),
    };
    ProductPage {
        products: vec![
            product(8, "Trek Remedy 29 Carbon Frameset - 2016", 179_999),
            product(9, "Trek Conduit+ - 2016", 299_999),
            product(13, "Trek Fuel EX 8 29 - 2016", 289_999),
            product(14, "Trek Slash 8 27.5 - 2016", 399_999),
        ],
        total: 4,
    }
}

/// Store 1's stock of the demo products.
pub fn stock() -> Vec<StockLevel> {
    [(8, 14), (9, 3), (13, 0), (14, 27)]
        .into_iter()
        .map(|(id, available)| stock_level(id, available))
        .collect()
}

/// One stock level of store 1.
pub fn stock_level(product_id: i64, available: i64) -> StockLevel {
    StockLevel {
        store_id: StoreId(1),
        product_id: ProductId(product_id),
        product_name: products()
            .products
            .into_iter()
            .find(|product| product.product_id == ProductId(product_id))
            .map_or_else(|| format!("product {product_id}"), |product| product.name),
        on_hand: available + 1,
        reserved: 1,
        available,
    }
}

/// A history entry of a place-order saga.
pub fn entry(step: &str, phase: Phase, outcome: Outcome, offset_ms: i64) -> HistoryEntry {
    HistoryEntry {
        step: step.to_owned(),
        phase,
        attempt: 1,
        outcome,
        error: (outcome == Outcome::Failed).then(|| {
            WireError::new(
                ErrorCode::PaymentDeclined,
                "the card was declined (card_declined)",
            )
        }),
        started_at_ms: NOW_MS + offset_ms,
        finished_at_ms: NOW_MS + offset_ms + 40,
    }
}

/// A place-order saga in `state`, with a history that fits it.
pub fn saga(id: &str, state: SagaState) -> SagaRecord {
    let history = match state {
        SagaState::Completed => vec![
            entry("create_order", Phase::Action, Outcome::Succeeded, 0),
            entry("reserve_stock", Phase::Action, Outcome::Succeeded, 50),
            entry("authorize_payment", Phase::Action, Outcome::Succeeded, 100),
            entry("capture_payment", Phase::Action, Outcome::Succeeded, 150),
            entry("commit_reservation", Phase::Action, Outcome::Succeeded, 200),
            entry("confirm_order", Phase::Action, Outcome::Succeeded, 250),
        ],
        SagaState::Running => vec![
            entry("create_order", Phase::Action, Outcome::Succeeded, 0),
            entry("reserve_stock", Phase::Action, Outcome::Succeeded, 50),
        ],
        _ => vec![
            entry("create_order", Phase::Action, Outcome::Succeeded, 0),
            entry("reserve_stock", Phase::Action, Outcome::Succeeded, 50),
            entry("authorize_payment", Phase::Action, Outcome::Failed, 100),
            entry(
                "reserve_stock",
                Phase::Compensation,
                Outcome::Succeeded,
                150,
            ),
            entry("create_order", Phase::Compensation, Outcome::Succeeded, 200),
        ],
    };
    let failed = matches!(state, SagaState::Failed | SagaState::Stuck);
    SagaRecord {
        saga_id: SagaId(id.to_owned()),
        definition: "place_order".to_owned(),
        version: 1,
        state,
        step: history.len() as u32,
        attempt: 1,
        run: 0,
        completed_steps: 2,
        payload: SagaPayload::PlaceOrder(PlaceOrderSaga {
            customer_id: CustomerId(1),
            store_id: StoreId(1),
            staff_id: StaffId(3),
            lines: Vec::new(),
            card_token: "tok_sim_declined_visa_0002_122030_x".to_owned(),
            order_id: Some(OrderId(1621)),
            total: Some(Cents(179_999)),
            reservation_id: None,
            payment_id: None,
            captured: false,
            failure_reason: failed.then(|| "the card was declined (card_declined)".to_owned()),
            reserve_as: None,
        }),
        error: failed.then(|| {
            WireError::new(
                ErrorCode::PaymentDeclined,
                "the card was declined (card_declined)",
            )
        }),
        history,
        history_dropped: 0,
        retry_at_ms: None,
        resolution: None,
        lease: None,
        uncertain_step: None,
        may_be_behind: false,
        created_at_ms: NOW_MS,
        keys_by_time: true,
        updated_at_ms: NOW_MS + 250,
        traceparent: None,
    }
}

/// Sagas in several states.
pub fn sagas() -> Vec<SagaRecord> {
    vec![
        saga("01JDZ5R3Q8W0ASTUCK0000001", SagaState::Stuck),
        saga("01JDZ5R3Q8W0RUNNING000002", SagaState::Running),
        saga("01JDZ5R3Q8W0FAILED0000003", SagaState::Failed),
    ]
}

/// A notification about store 1.
pub fn notification(id: i64, kind: NotificationKind, text: &str) -> Notification {
    Notification {
        notification_id: NotificationId(id),
        kind,
        audience: Audience::Store,
        customer_id: None,
        store_id: Some(StoreId(1)),
        text: text.to_owned(),
        status: DeliveryStatus::Delivered,
        attempts: 1,
        last_error: None,
        created_at_ms: NOW_MS - id * 60_000,
    }
}

/// The newest notifications of store 1.
pub fn notifications() -> Vec<Notification> {
    vec![
        notification(
            1,
            NotificationKind::OrderConfirmed,
            "Order #1620 for Debra Burks is confirmed: $2,969.97.",
        ),
        notification(
            2,
            NotificationKind::OrderRejected,
            "Order #1619 was rejected: the card was declined.",
        ),
        notification(
            3,
            NotificationKind::LowStock,
            "Trek Conduit+ - 2016 is low at Santa Cruz Bikes: 3 left.",
        ),
    ]
}

/// The dashboard's figures, with saga figures when `with_sagas`.
pub fn dashboard(with_sagas: bool) -> DashboardData {
    DashboardData {
        orders_today: 42,
        revenue_today: Cents(8_765_432),
        pending_today: 2,
        rejected_today: 3,
        saga_stats: with_sagas.then(|| SagaStatsReport {
            counts: vec![
                StateCount {
                    state: SagaState::Running,
                    count: 2,
                },
                StateCount {
                    state: SagaState::Completed,
                    count: 37,
                },
                StateCount {
                    state: SagaState::Failed,
                    count: 3,
                },
                StateCount {
                    state: SagaState::Stuck,
                    count: 1,
                },
            ],
            duration_ms: [31, 55, 120, 480],
        }),
        low_stock: vec![stock_level(9, 3), stock_level(13, 0)],
    }
}

/// Every demo member of staff, one deactivated.
pub fn staff_list() -> Vec<StaffSummary> {
    let mut sales = staff(Role::Sales);
    sales.active = false;
    vec![staff(Role::Admin), staff(Role::Manager), sales]
}

/// The first demo product with its stock in the three stores.
pub fn product_detail() -> bikestore_contracts::inventory::ProductDetail {
    let product = products().products.remove(0);
    let stock = [(1, 14), (2, 0), (3, 6)]
        .into_iter()
        .map(|(store, available)| StockLevel {
            store_id: StoreId(store),
            available,
            ..stock_level(product.product_id.0, available)
        })
        .collect();
    bikestore_contracts::inventory::ProductDetail { product, stock }
}
