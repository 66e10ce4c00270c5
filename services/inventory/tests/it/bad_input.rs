//! Bad input to every endpoint gets a typed error, and the service goes on serving.

use bikestore_codec::ContentType;
use bikestore_contracts::inventory::*;
use bikestore_contracts::{
    BrandId, CategoryId, Cents, ErrorCode, ProductId, ReservationId, StoreId,
};
use bikestore_runtime::call::CallOptions;
use bikestore_testkit::assert_survives_bad_input;

use crate::support::{fixture, with_service};

#[tokio::test]
async fn every_endpoint_survives_the_bad_input_suite() -> anyhow::Result<()> {
    let system = with_service().await?;
    let fixture = fixture(&system, 5).await?;
    let limit = system.configs().inventory.common.max_request_bytes;
    let (client, subjects) = (system.client(), system.subjects());
    let fields = ProductFields {
        name: "Bad Input Bike".into(),
        brand_id: fixture.brand_id,
        category_id: fixture.category_id,
        model_year: 2018,
        list_price: Cents(1),
    };
    let reservation_id = ReservationId("bad-input".into());
    let lines = vec![ReservationLine {
        product_id: fixture.product_id,
        quantity: 1,
    }];
    let store = CreateStore {
        name: "Bad Input Store".into(),
        ..CreateStore::default()
    };
    assert_survives_bad_input(client, subjects, &store, limit).await?;
    assert_survives_bad_input(client, subjects, &ListStores {}, limit).await?;
    assert_survives_bad_input(
        client,
        subjects,
        &CreateBrand {
            name: "Bad Brand".into(),
        },
        limit,
    )
    .await?;
    assert_survives_bad_input(
        client,
        subjects,
        &UpdateBrand {
            brand_id: fixture.brand_id,
            name: "Renamed".into(),
        },
        limit,
    )
    .await?;
    assert_survives_bad_input(
        client,
        subjects,
        &DeleteBrand {
            brand_id: BrandId(999_999),
        },
        limit,
    )
    .await?;
    assert_survives_bad_input(client, subjects, &ListBrands {}, limit).await?;
    assert_survives_bad_input(
        client,
        subjects,
        &CreateCategory {
            name: "Bad Category".into(),
        },
        limit,
    )
    .await?;
    assert_survives_bad_input(
        client,
        subjects,
        &UpdateCategory {
            category_id: fixture.category_id,
            name: "Renamed".into(),
        },
        limit,
    )
    .await?;
    assert_survives_bad_input(
        client,
        subjects,
        &DeleteCategory {
            category_id: CategoryId(999_999),
        },
        limit,
    )
    .await?;
    assert_survives_bad_input(client, subjects, &ListCategories {}, limit).await?;
    assert_survives_bad_input(
        client,
        subjects,
        &CreateProduct {
            product: fields.clone(),
        },
        limit,
    )
    .await?;
    assert_survives_bad_input(
        client,
        subjects,
        &UpdateProduct {
            product_id: fixture.product_id,
            product: fields,
        },
        limit,
    )
    .await?;
    assert_survives_bad_input(
        client,
        subjects,
        &DeleteProduct {
            product_id: ProductId(999_999),
        },
        limit,
    )
    .await?;
    assert_survives_bad_input(client, subjects, &ListProducts::default(), limit).await?;
    assert_survives_bad_input(
        client,
        subjects,
        &GetProduct {
            product_id: fixture.product_id,
        },
        limit,
    )
    .await?;
    assert_survives_bad_input(
        client,
        subjects,
        &PriceProducts {
            product_ids: vec![fixture.product_id],
        },
        limit,
    )
    .await?;
    let receive = ReceiveStock {
        store_id: fixture.store_id,
        product_id: fixture.product_id,
        quantity: 1,
    };
    assert_survives_bad_input(client, subjects, &receive, limit).await?;
    let adjust = AdjustStock {
        store_id: fixture.store_id,
        product_id: fixture.product_id,
        delta: 1,
        reason: "count".into(),
    };
    assert_survives_bad_input(client, subjects, &adjust, limit).await?;
    let reserve = ReserveStock {
        reservation_id: reservation_id.clone(),
        store_id: fixture.store_id,
        lines,
    };
    assert_survives_bad_input(client, subjects, &reserve, limit).await?;
    assert_survives_bad_input(
        client,
        subjects,
        &CommitReservation {
            reservation_id: reservation_id.clone(),
        },
        limit,
    )
    .await?;
    assert_survives_bad_input(
        client,
        subjects,
        &ReleaseReservation { reservation_id },
        limit,
    )
    .await?;
    assert_survives_bad_input(
        client,
        subjects,
        &StoreStock {
            store_id: fixture.store_id,
            page: Page::default(),
        },
        limit,
    )
    .await?;
    assert_survives_bad_input(client, subjects, &LowStock::default(), limit).await?;
    system.stop().await
}

#[tokio::test]
async fn domain_rules_refuse_negative_quantities_huge_names_and_bad_pages() -> anyhow::Result<()> {
    let system = with_service().await?;
    let fixture = fixture(&system, 5).await?;
    let json = CallOptions {
        content_type: ContentType::Json,
        ..CallOptions::default()
    };
    let cases: Vec<bikestore_contracts::WireError> = vec![
        system
            .caller()
            .call(&ReceiveStock {
                store_id: fixture.store_id,
                product_id: fixture.product_id,
                quantity: -3,
            })
            .await
            .unwrap_err(),
        system
            .caller()
            .call(&AdjustStock {
                store_id: fixture.store_id,
                product_id: fixture.product_id,
                delta: 0,
                reason: "x".into(),
            })
            .await
            .unwrap_err(),
        system
            .caller()
            .call_with(
                &CreateBrand {
                    name: "x".repeat(10_000),
                },
                &json,
            )
            .await
            .unwrap_err(),
        system
            .caller()
            .call(&CreateBrand { name: "   ".into() })
            .await
            .unwrap_err(),
        system
            .caller()
            .call(&ListProducts {
                page: Page {
                    offset: 0,
                    limit: 0,
                },
                ..ListProducts::default()
            })
            .await
            .unwrap_err(),
        system
            .caller()
            .call(&ReserveStock {
                reservation_id: ReservationId("neg".into()),
                store_id: fixture.store_id,
                lines: vec![ReservationLine {
                    product_id: fixture.product_id,
                    quantity: -1,
                }],
            })
            .await
            .unwrap_err(),
        system
            .caller()
            .call(&CreateProduct {
                product: ProductFields {
                    name: "Time Machine".into(),
                    brand_id: fixture.brand_id,
                    category_id: fixture.category_id,
                    model_year: 3000,
                    list_price: Cents(-5),
                },
            })
            .await
            .unwrap_err(),
    ];
    for error in &cases {
        assert_eq!(error.code, ErrorCode::Invalid, "{error}");
        assert!(
            error.details.contains_key("field"),
            "{error:?} names the field"
        );
    }
    let missing = system
        .caller()
        .call(&ReceiveStock {
            store_id: StoreId(424_242),
            product_id: fixture.product_id,
            quantity: 1,
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code, ErrorCode::NotFound);
    let too_much = system
        .caller()
        .call(&AdjustStock {
            store_id: fixture.store_id,
            product_id: fixture.product_id,
            delta: -6,
            reason: "theft".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(too_much.code, ErrorCode::InsufficientStock);
    system.stop().await
}
