//! Every endpoint's happy path, over postcard and over JSON.

use bikestore_codec::ContentType;
use bikestore_contracts::inventory::*;
use bikestore_contracts::{Cents, ErrorCode, Request, ReservationId};
use bikestore_runtime::call::CallOptions;

use bikestore_harness::System;

use crate::support::{fixture, with_service};

const FORMATS: [ContentType; 2] = [ContentType::Postcard, ContentType::Json];

async fn call<R: Request>(
    system: &System,
    format: ContentType,
    request: &R,
) -> Result<R::Reply, bikestore_contracts::WireError> {
    let options = CallOptions {
        content_type: format,
        ..CallOptions::default()
    };
    system.caller().call_with(request, &options).await
}

#[tokio::test]
async fn a_store_keeps_an_iana_time_zone_utc_unless_named() -> anyhow::Result<()> {
    let system = with_service().await?;
    let refused = system
        .caller()
        .call(&CreateStore {
            name: format!("Store {}", ulid::Ulid::new()),
            time_zone: "Pacific/Nowhere".into(),
            ..CreateStore::default()
        })
        .await
        .expect_err("an unknown zone is refused");
    assert_eq!(refused.code, ErrorCode::Invalid);
    assert!(refused.message.contains("time_zone"), "{refused:?}");

    let unnamed = system
        .caller()
        .call(&CreateStore {
            name: format!("Store {}", ulid::Ulid::new()),
            ..CreateStore::default()
        })
        .await?;
    let stores = system.caller().call(&ListStores {}).await?;
    let zone_of = |store_id| {
        stores
            .stores
            .iter()
            .find(|store| store.store_id == store_id)
            .map(|store| store.time_zone.clone())
    };
    assert_eq!(zone_of(unnamed.store_id).as_deref(), Some("UTC"));
    Ok(())
}

#[tokio::test]
async fn catalog_commands_and_queries_work_in_both_formats() -> anyhow::Result<()> {
    let system = with_service().await?;
    for format in FORMATS {
        let tag = format!("{format:?}");
        let store = call(
            &system,
            format,
            &CreateStore {
                name: format!("Baldwin Bikes {tag}"),
                phone: "(516) 379-8888".into(),
                email: "baldwin@bikes.shop".into(),
                street: "4200 Chestnut Lane".into(),
                city: "Baldwin".into(),
                state: "NY".into(),
                zip_code: "11432".into(),
                time_zone: "America/New_York".into(),
            },
        )
        .await?;
        let stores = call(&system, format, &ListStores {}).await?;
        assert!(stores.stores.iter().any(|listed| {
            listed.store_id == store.store_id
                && listed.city == "Baldwin"
                && listed.time_zone == "America/New_York"
        }));

        let brand = call(
            &system,
            format,
            &CreateBrand {
                name: format!("Surly {tag}"),
            },
        )
        .await?;
        call(
            &system,
            format,
            &UpdateBrand {
                brand_id: brand.brand_id,
                name: format!("Surly Bikes {tag}"),
            },
        )
        .await?;
        let brands = call(&system, format, &ListBrands {}).await?;
        assert!(
            brands
                .brands
                .iter()
                .any(|named| named.id == brand.brand_id
                    && named.name == format!("Surly Bikes {tag}"))
        );

        let category = call(
            &system,
            format,
            &CreateCategory {
                name: format!("Road Bikes {tag}"),
            },
        )
        .await?;
        call(
            &system,
            format,
            &UpdateCategory {
                category_id: category.category_id,
                name: format!("Road {tag}"),
            },
        )
        .await?;
        let categories = call(&system, format, &ListCategories {}).await?;
        assert!(
            categories
                .categories
                .iter()
                .any(|named| named.id == category.category_id)
        );

        let fields = ProductFields {
            name: format!("Surly Straggler 650b {tag}"),
            brand_id: brand.brand_id,
            category_id: category.category_id,
            model_year: 2016,
            list_price: Cents(154_999),
        };
        let product = call(
            &system,
            format,
            &CreateProduct {
                product: fields.clone(),
            },
        )
        .await?;
        let renamed = ProductFields {
            list_price: Cents(149_999),
            ..fields.clone()
        };
        call(
            &system,
            format,
            &UpdateProduct {
                product_id: product.product_id,
                product: renamed,
            },
        )
        .await?;

        let page = call(
            &system,
            format,
            &ListProducts {
                brand_id: Some(brand.brand_id),
                category_id: Some(category.category_id),
                text: Some("straggler".into()),
                min_price: Some(Cents(100_000)),
                max_price: Some(Cents(150_000)),
                page: Page {
                    offset: 0,
                    limit: 10,
                },
            },
        )
        .await?;
        assert_eq!(page.total, 1);
        assert_eq!(page.products[0].list_price, Cents(149_999));
        let too_cheap = call(
            &system,
            format,
            &ListProducts {
                max_price: Some(Cents(1_000)),
                text: Some("Straggler".into()),
                ..ListProducts::default()
            },
        )
        .await?;
        assert_eq!(too_cheap.total, 0);

        // A brand in use cannot go; once its product is gone, it can.
        let refused = call(
            &system,
            format,
            &DeleteBrand {
                brand_id: brand.brand_id,
            },
        )
        .await
        .unwrap_err();
        assert_eq!(refused.code, ErrorCode::Conflict);
        call(
            &system,
            format,
            &DeleteProduct {
                product_id: product.product_id,
            },
        )
        .await?;
        call(
            &system,
            format,
            &DeleteBrand {
                brand_id: brand.brand_id,
            },
        )
        .await?;
        call(
            &system,
            format,
            &DeleteCategory {
                category_id: category.category_id,
            },
        )
        .await?;
        let gone = call(
            &system,
            format,
            &GetProduct {
                product_id: product.product_id,
            },
        )
        .await
        .unwrap_err();
        assert_eq!(gone.code, ErrorCode::NotFound);
    }
    system.stop().await
}

#[tokio::test]
async fn stock_and_reservation_endpoints_work_in_both_formats() -> anyhow::Result<()> {
    let system = with_service().await?;
    for format in FORMATS {
        let fixture = fixture(&system, 0).await?;
        let received = call(
            &system,
            format,
            &ReceiveStock {
                store_id: fixture.store_id,
                product_id: fixture.product_id,
                quantity: 12,
            },
        )
        .await?;
        assert_eq!(received.level.on_hand, 12);
        let adjusted = call(
            &system,
            format,
            &AdjustStock {
                store_id: fixture.store_id,
                product_id: fixture.product_id,
                delta: -2,
                reason: "damaged in transit".into(),
            },
        )
        .await?;
        assert_eq!(adjusted.level.available, 10);

        let lines = vec![ReservationLine {
            product_id: fixture.product_id,
            quantity: 3,
        }];
        let order_a = ReservationId(format!("order-a-{format:?}"));
        let held = call(
            &system,
            format,
            &ReserveStock {
                reservation_id: order_a.clone(),
                store_id: fixture.store_id,
                lines: lines.clone(),
            },
        )
        .await?;
        assert_eq!(held.status, ReservationStatus::Held);
        let committed = call(
            &system,
            format,
            &CommitReservation {
                reservation_id: order_a.clone(),
            },
        )
        .await?;
        assert_eq!(committed.status, ReservationStatus::Committed);

        let order_b = ReservationId(format!("order-b-{format:?}"));
        call(
            &system,
            format,
            &ReserveStock {
                reservation_id: order_b.clone(),
                store_id: fixture.store_id,
                lines,
            },
        )
        .await?;
        let released = call(
            &system,
            format,
            &ReleaseReservation {
                reservation_id: order_b.clone(),
            },
        )
        .await?;
        assert_eq!(released.status, ReservationStatus::Released);
        let late_commit = call(
            &system,
            format,
            &CommitReservation {
                reservation_id: order_b,
            },
        )
        .await
        .unwrap_err();
        assert_eq!(late_commit.code, ErrorCode::Conflict);

        let detail = call(
            &system,
            format,
            &GetProduct {
                product_id: fixture.product_id,
            },
        )
        .await?;
        let here = detail
            .stock
            .iter()
            .find(|level| level.store_id == fixture.store_id)
            .unwrap();
        assert_eq!((here.on_hand, here.reserved, here.available), (7, 0, 7));

        let priced = call(
            &system,
            format,
            &PriceProducts {
                product_ids: vec![fixture.product_id],
            },
        )
        .await?;
        assert_eq!(
            priced.prices,
            [ProductPrice {
                product_id: fixture.product_id,
                name: detail.product.name.clone(),
                list_price: detail.product.list_price,
            }]
        );
        let unknown = call(
            &system,
            format,
            &PriceProducts {
                product_ids: vec![fixture.product_id, bikestore_contracts::ProductId(999_999)],
            },
        )
        .await
        .unwrap_err();
        assert_eq!(unknown.code, ErrorCode::NotFound);

        let store_stock = call(
            &system,
            format,
            &StoreStock {
                store_id: fixture.store_id,
                page: Page::default(),
            },
        )
        .await?;
        assert_eq!(store_stock.total, 1);
        assert_eq!(store_stock.levels[0].on_hand, 7);

        let low = call(
            &system,
            format,
            &LowStock {
                store_id: Some(fixture.store_id),
                threshold: Some(7),
                page: Page::default(),
            },
        )
        .await?;
        assert_eq!(low.levels.len(), 1);
        let not_low = call(
            &system,
            format,
            &LowStock {
                store_id: Some(fixture.store_id),
                threshold: Some(6),
                page: Page::default(),
            },
        )
        .await?;
        assert!(not_low.levels.is_empty());
    }
    system.stop().await
}

#[tokio::test]
async fn stock_changes_publish_events_and_crossing_the_threshold_publishes_stock_low()
-> anyhow::Result<()> {
    let system = with_service().await?;
    let fixture = fixture(&system, 8).await?;
    system
        .caller()
        .call(&AdjustStock {
            store_id: fixture.store_id,
            product_id: fixture.product_id,
            delta: -4,
            reason: "count".into(),
        })
        .await?;
    let changed = bikestore_testkit::read_events::<StockChanged>(
        system.client(),
        system.subjects(),
        2,
        crate::support::READY,
    )
    .await?;
    assert_eq!(changed[0].reason, StockChangeReason::Received);
    assert_eq!(changed[1].level.on_hand, 4);
    let low = bikestore_testkit::read_events::<StockLow>(
        system.client(),
        system.subjects(),
        1,
        crate::support::READY,
    )
    .await?;
    assert_eq!((low[0].level.available, low[0].threshold), (4, 5));
    system.stop().await
}
