//! The server decides a sale (issue 16): every line is priced from the catalog and a price sent
//! by a console is refused; a discount over the caller's role's limit is refused; the seller is
//! the caller; and nobody can squat the reservation a place-order saga holds its stock under.
//! Every request here is signed by hand and goes through the gateway to the real services.

use bikestore_codec::ContentType;
use bikestore_contracts::gateway::{FIELD_DETAIL, LIMIT_PERCENT_DETAIL};
use bikestore_contracts::identity::Role;
use bikestore_contracts::inventory::{
    CreateBrand, CreateCategory, CreateProduct, ProductFields, ReceiveStock, ReservationLine,
    ReserveStock,
};
use bikestore_contracts::orders::{
    Card, CreateCustomer, CustomerFields, GetOrder, Order, OrderStatus,
};
use bikestore_contracts::sagas::{PlaceOrder, PlaceOrderLine, SagaStarted, SagaState};
use bikestore_contracts::{
    Cents, CustomerId, ErrorCode, ProductId, Request, ReservationId, StaffId, StoreId,
};
use bikestore_gateway::policy::DiscountLimits;
use bikestore_harness::System;

use crate::support::{Session, Stack, now_ms};

/// The catalog price of the product every test sells.
const CATALOG_PRICE: Cents = Cents(123_456);

/// Every service, a store with stock of one product, a customer, and members of each role.
struct Shop {
    stack: Stack,
    store_id: StoreId,
    product_id: ProductId,
    product_name: String,
    customer_id: CustomerId,
    sales: Session,
    manager: Session,
    admin: Session,
}

async fn shop() -> anyhow::Result<Shop> {
    shop_with(DiscountLimits::default()).await
}

/// The shop with a gateway whose discount limits are `limits`.
async fn shop_with(limits: DiscountLimits) -> anyhow::Result<Shop> {
    let system = System::builder()
        .all_services()
        .configure(move |configs| configs.gateway.discount_limits = limits)
        .start()
        .await?;
    let stack = Stack {
        client: system.client().clone(),
        caller: system.as_gateway().clone(),
        subjects: system.subjects().clone(),
        system,
    };
    let store_id = stack.store().await?;
    let brand_id = stack
        .caller
        .call(&CreateBrand {
            name: "Priced".into(),
        })
        .await?
        .brand_id;
    let category_id = stack
        .caller
        .call(&CreateCategory {
            name: "Priced".into(),
        })
        .await?
        .category_id;
    let product_name = "Priced Trail 29".to_owned();
    let product_id = stack
        .caller
        .call(&CreateProduct {
            product: ProductFields {
                name: product_name.clone(),
                brand_id,
                category_id,
                model_year: 2026,
                list_price: CATALOG_PRICE,
            },
        })
        .await?
        .product_id;
    stack
        .caller
        .call(&ReceiveStock {
            store_id,
            product_id,
            quantity: 50,
        })
        .await?;
    let customer_id = stack
        .caller
        .call(&CreateCustomer {
            customer: CustomerFields {
                first_name: "Paula".into(),
                last_name: "Price".into(),
                email: "paula@price.example".into(),
                phone: String::new(),
                street: String::new(),
                city: String::new(),
                state: String::new(),
                zip_code: String::new(),
            },
        })
        .await?
        .customer_id;
    stack.staff("sara", Role::Sales, Some(store_id)).await?;
    stack.staff("mona", Role::Manager, Some(store_id)).await?;
    stack.staff("ada", Role::Admin, None).await?;
    Ok(Shop {
        sales: stack.login("sara").await?,
        manager: stack.login("mona").await?,
        admin: stack.login("ada").await?,
        stack,
        store_id,
        product_id,
        product_name,
        customer_id,
    })
}

impl Shop {
    /// An order of two units at `discount_percent`, sold by `seller`, waiting for its outcome.
    fn order(&self, seller: StaffId, discount_percent: u8) -> PlaceOrder {
        PlaceOrder {
            customer_id: self.customer_id,
            store_id: self.store_id,
            staff_id: seller,
            lines: vec![PlaceOrderLine {
                product_id: self.product_id,
                quantity: 2,
                discount_percent,
                list_price: None,
            }],
            card: Card {
                number: "4242 4242 4242 4242".into(),
                expiry_month: 12,
                expiry_year: 2031,
                cvc: "123".into(),
                holder: "Paula Price".into(),
            },
            wait_ms: Some(20_000),
        }
    }

    async fn place(
        &self,
        member: &Session,
        order: &PlaceOrder,
    ) -> Result<SagaStarted, bikestore_contracts::WireError> {
        self.stack.call(member, order, ContentType::Json).await
    }

    /// Places `order` as `member`, expects its saga to complete, and reads the order back.
    async fn sold(&self, member: &Session, order: &PlaceOrder) -> Order {
        let started = self.place(member, order).await.unwrap();
        assert_eq!(started.state, SagaState::Completed, "{:?}", started.error);
        self.stack
            .caller
            .call(&GetOrder {
                order_id: started.order_id.unwrap(),
            })
            .await
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_price_from_the_console_is_refused_and_the_catalog_prices_the_order() {
    let shop = shop().await.unwrap();
    // Built by hand, as a modified console would send it: a one-cent bike.
    let body = format!(
        r#"{{"customer_id":{},"store_id":{},"staff_id":{},
            "lines":[{{"product_id":{},"quantity":2,"discount_percent":5,"list_price":1}}],
            "card":{{"number":"4242 4242 4242 4242","expiry_month":12,"expiry_year":2031,
                "cvc":"123","holder":"Paula Price"}},
            "wait_ms":20000}}"#,
        shop.customer_id, shop.store_id, shop.sales.staff_id, shop.product_id
    );
    let signed = shop.sales.sign_raw(
        shop.stack
            .subjects
            .api(PlaceOrder::SERVICE, PlaceOrder::OPERATION),
        body.into_bytes(),
        ContentType::Json,
        now_ms(),
    );
    let refused = shop.stack.send::<SagaStarted>(&signed).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::Invalid, "{refused:?}");
    assert_eq!(refused.details[FIELD_DETAIL], "lines.list_price");

    // The same order without the price is priced from the catalog.
    let order = shop
        .sold(&shop.sales, &shop.order(shop.sales.staff_id, 5))
        .await;
    assert_eq!(order.status, OrderStatus::Processing);
    assert_eq!(order.staff_id, shop.sales.staff_id, "the caller sold it");
    let line = &order.lines[0].line;
    assert_eq!(line.list_price, CATALOG_PRICE, "the catalog's price");
    assert_eq!(
        line.product_name.as_deref(),
        Some(shop.product_name.as_str())
    );
    // 2 x 1,234.56 less 5%, rounded half up to the cent.
    assert_eq!(order.totals.total, Cents(234_566));
    shop.stack.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discounts_stay_within_the_roles_limit_and_the_seller_is_the_caller() {
    let shop = shop().await.unwrap();
    for (member, limit) in [(&shop.sales, 10), (&shop.manager, 30)] {
        let refused = shop
            .place(member, &shop.order(member.staff_id, limit + 1))
            .await
            .unwrap_err();
        assert_eq!(refused.code, ErrorCode::Forbidden, "{refused:?}");
        assert_eq!(refused.details[LIMIT_PERCENT_DETAIL], limit.to_string());
        assert_eq!(refused.details[FIELD_DETAIL], "lines.discount_percent");
    }
    let at_the_limit = shop
        .place(&shop.manager, &shop.order(shop.manager.staff_id, 30))
        .await
        .unwrap();
    assert_eq!(at_the_limit.state, SagaState::Completed);

    // A sales member books a sale under the manager: refused, and nothing starts.
    let forged = shop
        .place(&shop.sales, &shop.order(shop.manager.staff_id, 0))
        .await
        .unwrap_err();
    assert_eq!(forged.code, ErrorCode::Forbidden, "{forged:?}");
    assert_eq!(forged.details[FIELD_DETAIL], "staff_id");
    shop.stack.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_limits_are_configured_in_one_place() {
    let limits = DiscountLimits::parse("sales=20").unwrap();
    let shop = shop_with(limits).await.unwrap();
    let refused = shop
        .place(&shop.sales, &shop.order(shop.sales.staff_id, 21))
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::Forbidden, "{refused:?}");
    assert_eq!(refused.details[LIMIT_PERCENT_DETAIL], "20");
    let order = shop
        .sold(&shop.sales, &shop.order(shop.sales.staff_id, 15))
        .await;
    assert_eq!(order.lines[0].line.discount_percent, 15);
    shop.stack.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_squatted_reservation_id_cannot_block_a_saga() {
    let shop = shop().await.unwrap();
    let squat = |number: u32| ReserveStock {
        reservation_id: ReservationId(format!("order-{number}")),
        store_id: shop.store_id,
        lines: vec![ReservationLine {
            product_id: shop.product_id,
            quantity: 1,
        }],
    };
    // Sales may not reserve stock by hand at all.
    let refused = shop
        .stack
        .call(&shop.sales, &squat(1), ContentType::Json)
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::Forbidden);
    // An admin may, and takes the IDs sagas once used for the next orders (`order-<n>`).
    for number in 1..=3 {
        shop.stack
            .call(&shop.admin, &squat(number), ContentType::Postcard)
            .await
            .unwrap();
    }
    for _ in 0..2 {
        let order = shop
            .sold(&shop.sales, &shop.order(shop.sales.staff_id, 0))
            .await;
        let reservation_id = order.reservation_id.unwrap();
        assert!(
            reservation_id.0.starts_with("sale-"),
            "an unguessable ID: {reservation_id}"
        );
    }
    shop.stack.stop().await.unwrap();
}
