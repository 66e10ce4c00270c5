//! Bad input to every endpoint gets a typed error, and the service goes on serving; domain
//! rules refuse bad values with `invalid` naming the field.

use bikestore_codec::ContentType;
use bikestore_contracts::inventory::Page;
use bikestore_contracts::orders::*;
use bikestore_contracts::{Cents, ErrorCode, PaymentId, ProductId};
use bikestore_runtime::call::CallOptions;
use bikestore_testkit::assert_survives_bad_input;

use crate::support::{
    APPROVES, authorized_payment, card, customer_fields, new_customer, new_order, order_request,
    token_for, with_service,
};

#[tokio::test]
async fn every_endpoint_survives_the_bad_input_suite() -> anyhow::Result<()> {
    let system = with_service().await?;
    let limit = system.configs().orders.common.max_request_bytes;
    let (client, subjects) = (system.client(), system.subjects());
    let customer_id = new_customer(&system).await?;
    let order = new_order(&system).await?;
    let payment = authorized_payment(&system, 1_000).await?;
    let captured = authorized_payment(&system, 1_000).await?;
    system
        .caller()
        .call(&CapturePayment {
            payment_id: captured.payment_id,
            amount: Cents(1_000),
        })
        .await?;

    let create_customer = CreateCustomer {
        customer: customer_fields("bad.input@example.com"),
    };
    assert_survives_bad_input(client, subjects, &create_customer, limit).await?;
    let update_customer = UpdateCustomer {
        customer_id,
        customer: customer_fields("bad.update@example.com"),
    };
    assert_survives_bad_input(client, subjects, &update_customer, limit).await?;
    assert_survives_bad_input(client, subjects, &GetCustomer { customer_id }, limit).await?;
    let search = SearchCustomers {
        name: Some("Burks".into()),
        ..SearchCustomers::default()
    };
    assert_survives_bad_input(client, subjects, &search, limit).await?;
    assert_survives_bad_input(client, subjects, &order_request(customer_id), limit).await?;
    let get_order = GetOrder {
        order_id: order.order_id,
    };
    assert_survives_bad_input(client, subjects, &get_order, limit).await?;
    assert_survives_bad_input(client, subjects, &ListOrders::default(), limit).await?;
    let change = ChangeOrderStatus {
        order_id: order.order_id,
        to: OrderStatus::Processing,
        reason: Some("paid".into()),
    };
    assert_survives_bad_input(client, subjects, &change, limit).await?;
    let authorize = AuthorizePayment {
        order_id: order.order_id,
        amount: Cents(100),
        card: card(APPROVES),
    };
    assert_survives_bad_input(client, subjects, &authorize, limit).await?;
    let capture = CapturePayment {
        payment_id: payment.payment_id,
        amount: Cents(1_000),
    };
    assert_survives_bad_input(client, subjects, &capture, limit).await?;
    let void = VoidPayment {
        payment_id: authorized_payment(&system, 1_000).await?.payment_id,
    };
    assert_survives_bad_input(client, subjects, &void, limit).await?;
    let refund = RefundPayment {
        payment_id: captured.payment_id,
        amount: Cents(1),
    };
    assert_survives_bad_input(client, subjects, &refund, limit).await?;
    let get_payment = GetPayment {
        payment_id: payment.payment_id,
    };
    assert_survives_bad_input(client, subjects, &get_payment, limit).await?;
    let tokenize = TokenizeCard {
        card: card(APPROVES),
    };
    assert_survives_bad_input(client, subjects, &tokenize, limit).await?;
    let authorize_with_token = AuthorizeWithToken {
        order_id: order.order_id,
        amount: Cents(100),
        card_token: token_for(&system, APPROVES).await?.token,
    };
    assert_survives_bad_input(client, subjects, &authorize_with_token, limit).await?;
    let cancel = CancelOrderPayments {
        order_id: order.order_id,
    };
    assert_survives_bad_input(client, subjects, &cancel, limit).await?;
    system.stop().await
}

#[tokio::test]
async fn domain_rules_refuse_bad_values_naming_the_field() -> anyhow::Result<()> {
    let system = with_service().await?;
    let customer_id = new_customer(&system).await?;
    let order = new_order(&system).await?;
    let json = CallOptions {
        content_type: ContentType::Json,
        ..CallOptions::default()
    };
    let with_line = |quantity: i64, discount_percent: u8| {
        let mut request = order_request(customer_id);
        request.lines = vec![OrderLine {
            product_id: ProductId(1),
            quantity,
            list_price: Cents(1_000),
            discount_percent,
            product_name: None,
        }];
        request
    };
    let customer = |fields: CustomerFields| CreateCustomer { customer: fields };
    let authorize = |card: Card| AuthorizePayment {
        order_id: order.order_id,
        amount: Cents(100),
        card,
    };
    let mut long_name = customer_fields("long.name@example.com");
    long_name.first_name = "x".repeat(10_000);
    let mut expired = card(APPROVES);
    expired.expiry_year = 2020;
    let cases: Vec<(&str, bikestore_contracts::WireError)> = vec![
        (
            "lines.quantity",
            system.caller().call(&with_line(-3, 0)).await.unwrap_err(),
        ),
        (
            "lines.discount_percent",
            system.caller().call(&with_line(1, 101)).await.unwrap_err(),
        ),
        (
            "email",
            system
                .caller()
                .call(&customer(customer_fields("not an email")))
                .await
                .unwrap_err(),
        ),
        (
            "first_name",
            system
                .caller()
                .call_with(&customer(long_name), &json)
                .await
                .unwrap_err(),
        ),
        (
            "card.number",
            system
                .caller()
                .call(&authorize(card("4242 4242 4242 4241")))
                .await
                .unwrap_err(),
        ),
        (
            "card.expiry_year",
            system.caller().call(&authorize(expired)).await.unwrap_err(),
        ),
        (
            "required_date",
            system
                .caller()
                .call(&CreateOrder {
                    required_date: Some("2030-02-30".into()),
                    ..order_request(customer_id)
                })
                .await
                .unwrap_err(),
        ),
        (
            "page.limit",
            system
                .caller()
                .call(&SearchCustomers {
                    page: Page {
                        offset: 0,
                        limit: 0,
                    },
                    ..SearchCustomers::default()
                })
                .await
                .unwrap_err(),
        ),
        (
            "amount",
            system
                .caller()
                .call(&AuthorizePayment {
                    amount: Cents(-5),
                    ..authorize(card(APPROVES))
                })
                .await
                .unwrap_err(),
        ),
        (
            "card.number",
            system
                .caller()
                .call(&TokenizeCard {
                    card: card("4242 4242 4242 4241"),
                })
                .await
                .unwrap_err(),
        ),
        (
            "card.cvc",
            system
                .caller()
                .call(&TokenizeCard {
                    card: Card {
                        cvc: "12a".into(),
                        ..card(APPROVES)
                    },
                })
                .await
                .unwrap_err(),
        ),
        (
            "card_token",
            system
                .caller()
                .call(&AuthorizeWithToken {
                    order_id: order.order_id,
                    amount: Cents(100),
                    card_token: "tok_sim_forged".into(),
                })
                .await
                .unwrap_err(),
        ),
        (
            "amount",
            system
                .caller()
                .call(&AuthorizeWithToken {
                    order_id: order.order_id,
                    amount: Cents(0),
                    card_token: token_for(&system, APPROVES).await?.token,
                })
                .await
                .unwrap_err(),
        ),
    ];
    for (field, error) in &cases {
        assert_eq!(error.code, ErrorCode::Invalid, "{error}");
        assert_eq!(
            error.details.get("field").map(String::as_str),
            Some(*field),
            "{error:?} names the field"
        );
        assert!(
            !error.message.contains("4242424242424241"),
            "a refusal never repeats the card number"
        );
    }
    let missing = system
        .caller()
        .call(&GetPayment {
            payment_id: PaymentId(424_242),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code, ErrorCode::NotFound);
    system.stop().await
}
