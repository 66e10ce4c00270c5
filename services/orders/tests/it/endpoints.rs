//! Every endpoint's happy path, over postcard and over JSON.

use bikestore_codec::ContentType;
use bikestore_contracts::orders::*;
use bikestore_contracts::{Cents, ProductId, Request, StaffId, StoreId, WireError};
use bikestore_runtime::call::CallOptions;

use bikestore_harness::System;

use crate::support::{APPROVES, card, customer_fields, new_customer, new_order, with_service};

const FORMATS: [ContentType; 2] = [ContentType::Postcard, ContentType::Json];

async fn call<R: Request>(
    system: &System,
    format: ContentType,
    request: &R,
) -> Result<R::Reply, WireError> {
    let options = CallOptions {
        content_type: format,
        ..CallOptions::default()
    };
    system.caller().call_with(request, &options).await
}

#[tokio::test]
async fn customers_and_orders_work_in_both_formats() -> anyhow::Result<()> {
    let system = with_service().await?;
    for (index, format) in FORMATS.into_iter().enumerate() {
        let email = format!("jacquline.duncan{index}@yahoo.com");
        let saved = call(
            &system,
            format,
            &CreateCustomer {
                customer: customer_fields(&email),
            },
        )
        .await?;
        let mut changed = customer_fields(&email);
        changed.city = "Jackson Heights".into();
        call(
            &system,
            format,
            &UpdateCustomer {
                customer_id: saved.customer_id,
                customer: changed.clone(),
            },
        )
        .await?;
        let customer = call(
            &system,
            format,
            &GetCustomer {
                customer_id: saved.customer_id,
            },
        )
        .await?;
        assert_eq!(customer.fields, changed);
        let found = call(
            &system,
            format,
            &SearchCustomers {
                email: Some(email.clone()),
                ..SearchCustomers::default()
            },
        )
        .await?;
        assert_eq!(found.total, 1);
        assert_eq!(found.customers[0], customer);

        let request = CreateOrder {
            customer_id: saved.customer_id,
            store_id: StoreId(2),
            staff_id: StaffId(6),
            lines: vec![
                OrderLine {
                    product_id: ProductId(20),
                    quantity: 3,
                    list_price: Cents(59_999),
                    discount_percent: 7,
                    product_name: Some("Electra Cruiser 1".into()),
                },
                OrderLine {
                    product_id: ProductId(8),
                    quantity: 1,
                    list_price: Cents(1),
                    discount_percent: 50,
                    product_name: Some("Bell Helmet".into()),
                },
            ],
            required_date: Some("2030-02-28".into()),
            reservation_id: None,
        };
        let created = call(&system, format, &request).await?;
        assert_eq!(created.total, Cents(167_398));
        let order = call(
            &system,
            format,
            &GetOrder {
                order_id: created.order_id,
            },
        )
        .await?;
        assert_eq!(order.status, OrderStatus::Pending);
        assert_eq!(order.required_date.as_deref(), Some("2030-02-28"));
        assert_eq!(
            order.lines,
            vec![
                OrderLineDetail {
                    line: request.lines[0].clone(),
                    total: Cents(167_397),
                },
                OrderLineDetail {
                    line: request.lines[1].clone(),
                    total: Cents(1),
                },
            ]
        );
        assert_eq!(
            order.totals,
            OrderTotals {
                gross: Cents(179_998),
                discount: Cents(12_600),
                total: Cents(167_398),
            }
        );
        assert_eq!(order.history.len(), 1);
        assert_eq!(order.history[0].from, None);
        // The order names its customer, so a page needs no second request for it.
        let customer_name = format!(
            "{} {}",
            customer.fields.first_name, customer.fields.last_name
        );
        assert_eq!(order.customer_name, customer_name);

        let moved = call(
            &system,
            format,
            &ChangeOrderStatus {
                order_id: created.order_id,
                to: OrderStatus::Processing,
                reason: None,
            },
        )
        .await?;
        assert_eq!(moved.status, OrderStatus::Processing);

        let listed = call(
            &system,
            format,
            &ListOrders {
                store_id: Some(StoreId(2)),
                status: Some(OrderStatus::Processing),
                customer_id: Some(saved.customer_id),
                from_ms: Some(order.ordered_at_ms),
                to_ms: Some(order.ordered_at_ms + 1),
                ..ListOrders::default()
            },
        )
        .await?;
        assert_eq!(listed.total, 1);
        assert_eq!(
            listed.orders[0],
            OrderSummary {
                order_id: created.order_id,
                customer_id: saved.customer_id,
                store_id: StoreId(2),
                status: OrderStatus::Processing,
                ordered_at_ms: order.ordered_at_ms,
                total: Cents(167_398),
                customer_name: customer_name.clone(),
            }
        );
        let none_later = call(
            &system,
            format,
            &ListOrders {
                from_ms: Some(order.ordered_at_ms + 1),
                customer_id: Some(saved.customer_id),
                ..ListOrders::default()
            },
        )
        .await?;
        assert_eq!(none_later.total, 0);
    }
    system.stop().await
}

#[tokio::test]
async fn orders_list_newest_first_a_page_at_a_time() -> anyhow::Result<()> {
    let system = with_service().await?;
    let customer_id = new_customer(&system).await?;
    let mut created = Vec::new();
    for _ in 0..3 {
        created.push(
            system
                .caller()
                .call(&crate::support::order_request(customer_id))
                .await?
                .order_id,
        );
    }
    let page = system
        .caller()
        .call(&ListOrders {
            customer_id: Some(customer_id),
            page: bikestore_contracts::inventory::Page {
                offset: 0,
                limit: 2,
            },
            ..ListOrders::default()
        })
        .await?;
    assert_eq!(page.total, 3);
    let listed: Vec<_> = page.orders.iter().map(|order| order.order_id).collect();
    assert_eq!(listed, vec![created[2], created[1]]);
    let unknown_customer = system
        .caller()
        .call(&crate::support::order_request(
            bikestore_contracts::CustomerId(999_999),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        unknown_customer.code,
        bikestore_contracts::ErrorCode::NotFound
    );
    system.stop().await
}

#[tokio::test]
async fn payments_work_in_both_formats() -> anyhow::Result<()> {
    let system = with_service().await?;
    for format in FORMATS {
        let order = new_order(&system).await?;
        let authorized = call(
            &system,
            format,
            &AuthorizePayment {
                order_id: order.order_id,
                amount: order.total,
                card: card(APPROVES),
            },
        )
        .await?;
        assert_eq!(authorized.status, PaymentStatus::Authorized);
        let captured = call(
            &system,
            format,
            &CapturePayment {
                payment_id: authorized.payment_id,
                amount: order.total,
            },
        )
        .await?;
        assert_eq!(captured.captured, order.total);
        let refunded = call(
            &system,
            format,
            &RefundPayment {
                payment_id: authorized.payment_id,
                amount: Cents(300),
            },
        )
        .await?;
        assert_eq!(refunded.refunded, Cents(300));
        let read = call(
            &system,
            format,
            &GetPayment {
                payment_id: authorized.payment_id,
            },
        )
        .await?;
        assert_eq!(read, refunded);

        let second = call(
            &system,
            format,
            &AuthorizePayment {
                order_id: order.order_id,
                amount: Cents(100),
                card: card(APPROVES),
            },
        )
        .await?;
        let voided = call(
            &system,
            format,
            &VoidPayment {
                payment_id: second.payment_id,
            },
        )
        .await?;
        assert_eq!(voided.status, PaymentStatus::Voided);
    }
    system.stop().await
}
