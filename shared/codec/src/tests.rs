//! Round trips, refusals and properties of the codec.

use bikestore_contracts::inventory::{ReservationLine, ReserveStock};
use bikestore_contracts::{ProductId, ReservationId, StoreId};
use proptest::prelude::*;

use super::*;

fn sample() -> ReserveStock {
    ReserveStock {
        reservation_id: ReservationId("order-1".into()),
        store_id: StoreId(2),
        lines: vec![ReservationLine {
            product_id: ProductId(7),
            quantity: 3,
        }],
    }
}

#[test]
fn both_formats_round_trip() {
    for content_type in [ContentType::Postcard, ContentType::Json] {
        let bytes = encode(content_type, &sample()).expect("encodes");
        let back: ReserveStock =
            decode(content_type, None, &bytes, DEFAULT_MAX_REQUEST_BYTES).expect("decodes");
        assert_eq!(back, sample());
    }
}

#[test]
fn the_postcard_bytes_of_version_1_are_pinned() {
    let bytes = encode(ContentType::Postcard, &sample()).expect("encodes");
    assert_eq!(
        bytes,
        [7, b'o', b'r', b'd', b'e', b'r', b'-', b'1', 4, 1, 14, 6]
    );
}

#[test]
fn another_schema_version_is_refused_not_misread() {
    let bytes = encode(ContentType::Postcard, &sample()).expect("encodes");
    let error = decode::<ReserveStock>(ContentType::Postcard, Some(2), &bytes, 1024)
        .expect_err("version 2 is unknown");
    assert_eq!(error.code(), ErrorCode::Invalid);
    assert!(error.to_string().contains("schema version 2"), "{error}");
}

#[test]
fn unknown_json_fields_are_refused() {
    let body = br#"{"reservation_id":"r","store_id":1,"lines":[],"surprise":true}"#;
    let error = decode::<ReserveStock>(ContentType::Json, None, body, 1024).expect_err("refused");
    assert!(error.to_string().contains("surprise"), "{error}");
}

#[test]
fn a_number_quoted_by_a_json_error_is_redacted() {
    let body = br#"{"reservation_id":4242424242424242,"store_id":1,"lines":[]}"#;
    let error = decode::<ReserveStock>(ContentType::Json, None, body, 1024).expect_err("refused");
    let text = error.to_string();
    assert!(!text.contains("4242424242424242"), "{text}");
    assert!(text.contains("[redacted number]"), "{text}");
}

#[test]
fn trailing_postcard_bytes_are_refused() {
    let mut bytes = encode(ContentType::Postcard, &sample()).expect("encodes");
    bytes.push(0);
    let error =
        decode::<ReserveStock>(ContentType::Postcard, None, &bytes, 1024).expect_err("refused");
    assert!(matches!(error, CodecError::TrailingBytes { count: 1, .. }));
}

#[test]
fn an_oversized_body_is_refused_before_parsing() {
    let error =
        decode::<ReserveStock>(ContentType::Json, None, &[b' '; 2048], 1024).expect_err("refused");
    assert_eq!(error.code(), ErrorCode::TooLarge);
}

#[test]
fn content_types_parse_with_parameters_and_refuse_others() {
    assert_eq!(
        ContentType::from_header(Some("application/json; charset=utf-8")),
        Ok(ContentType::Json)
    );
    assert_eq!(ContentType::from_header(None), Ok(ContentType::Postcard));
    assert!(ContentType::from_header(Some("text/xml")).is_err());
}

#[test]
fn error_bodies_round_trip_and_garbage_becomes_internal() {
    let wire = WireError::new(ErrorCode::Conflict, "taken").with_detail("name", "Trek");
    for content_type in [ContentType::Postcard, ContentType::Json] {
        assert_eq!(
            decode_error(content_type, &encode_error(content_type, &wire)),
            wire
        );
    }
    assert_eq!(
        decode_error(ContentType::Json, b"{").code,
        ErrorCode::Internal
    );
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_the_decoder(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode::<ReserveStock>(ContentType::Postcard, None, &body, 1024);
        let _ = decode::<ReserveStock>(ContentType::Json, None, &body, 1024);
    }

    #[test]
    fn postcard_round_trips_any_reservation(
        id in "[a-z0-9-]{1,40}",
        store in any::<i64>(),
        lines in proptest::collection::vec((any::<i64>(), any::<i64>()), 0..20),
    ) {
        let request = ReserveStock {
            reservation_id: ReservationId(id),
            store_id: StoreId(store),
            lines: lines.into_iter().map(|(product, quantity)| ReservationLine {
                product_id: ProductId(product),
                quantity,
            }).collect(),
        };
        let bytes = encode(ContentType::Postcard, &request).expect("encodes");
        let back: ReserveStock = decode(ContentType::Postcard, Some(1), &bytes, usize::MAX).expect("decodes");
        prop_assert_eq!(back, request);
    }
}

/// A cancel-order saga record as JSON, as the orchestrator keeps it in KV, with `store` as its
/// payload's store field (if any).
fn cancel_order_record_json(store: &str) -> String {
    format!(
        r#"{{"saga_id":"s-1","definition":"cancel_order","version":1,"state":"running","step":0,
            "attempt":0,"run":0,"completed_steps":0,
            "payload":{{"cancel_order":{{"order_id":42,"reason":"changed their mind"{store}}}}},
            "error":null,"history":[],"history_dropped":0,"retry_at_ms":null,"resolution":null,
            "created_at_ms":1,"updated_at_ms":1}}"#
    )
}

#[test]
fn a_cancel_order_record_kept_before_sagas_named_their_store_reads_without_one() {
    use bikestore_contracts::sagas::{SagaPayload, SagaRecord};
    let old: SagaRecord = decode(
        ContentType::Json,
        None,
        cancel_order_record_json("").as_bytes(),
        usize::MAX,
    )
    .expect("an old record reads");
    assert_eq!(old.payload.store_id(), None);
    let new: SagaRecord = decode(
        ContentType::Json,
        None,
        cancel_order_record_json(r#","store_id":3"#).as_bytes(),
        usize::MAX,
    )
    .expect("a new record reads");
    assert_eq!(new.payload.store_id(), Some(StoreId(3)));
    assert!(matches!(new.payload, SagaPayload::CancelOrder(_)));
}

#[test]
fn a_place_order_record_kept_before_sales_were_priced_reads_without_names_or_reservation() {
    use bikestore_contracts::sagas::{SagaPayload, SagaRecord};
    let json = r#"{"saga_id":"s-2","definition":"place_order","version":1,"state":"running",
        "step":1,"attempt":0,"run":0,"completed_steps":1,
        "payload":{"place_order":{"customer_id":1,"store_id":2,"staff_id":3,
            "lines":[{"product_id":7,"quantity":1,"list_price":50000,"discount_percent":0}],
            "card_token":"tok","order_id":42,"total":50000}},
        "error":null,"history":[],"history_dropped":0,"retry_at_ms":null,"resolution":null,
        "created_at_ms":1,"updated_at_ms":1}"#;
    let old: SagaRecord =
        decode(ContentType::Json, None, json.as_bytes(), usize::MAX).expect("an old record reads");
    let SagaPayload::PlaceOrder(saga) = old.payload else {
        panic!("a place-order payload");
    };
    assert_eq!(
        (saga.reserve_as, saga.lines[0].product_name.clone()),
        (None, None)
    );
}

#[test]
fn a_saga_record_of_an_older_version_is_refused_since_its_payloads_grew() {
    use bikestore_contracts::Message;
    use bikestore_contracts::sagas::SagaRecord;
    let record: SagaRecord = decode(
        ContentType::Json,
        None,
        cancel_order_record_json(r#","store_id":3"#).as_bytes(),
        usize::MAX,
    )
    .expect("reads");
    let bytes = encode(ContentType::Postcard, &record).expect("encodes");
    let current = Some(SagaRecord::SCHEMA_VERSION);
    let back: SagaRecord =
        decode(ContentType::Postcard, current, &bytes, usize::MAX).expect("the current reads");
    assert_eq!(back, record);
    for older in [1, 2] {
        let error = decode::<SagaRecord>(ContentType::Postcard, Some(older), &bytes, usize::MAX)
            .expect_err("an older version is refused, not misread");
        assert_eq!(error.code(), ErrorCode::Invalid);
    }
}

#[test]
fn saga_lists_and_statistics_of_version_1_are_refused_since_they_gained_a_store_filter() {
    use bikestore_contracts::sagas::{ListSagas, SagaStats};
    // Version 1 of `list_sagas` with `limit: Some(5)`: four options, no store filter.
    let old_list = [0_u8, 0, 0, 1, 5];
    let error = decode::<ListSagas>(ContentType::Postcard, Some(1), &old_list, usize::MAX)
        .expect_err("version 1 is refused, not misread");
    assert_eq!(error.code(), ErrorCode::Invalid);
    let list = ListSagas {
        limit: Some(5),
        store_id: Some(StoreId(2)),
        ..ListSagas::default()
    };
    let bytes = encode(ContentType::Postcard, &list).expect("encodes");
    // The store is a zigzag varint: 2 is written 4.
    assert_eq!(bytes, [0, 0, 0, 1, 5, 1, 4]);
    let back: ListSagas =
        decode(ContentType::Postcard, Some(2), &bytes, usize::MAX).expect("version 2 reads");
    assert_eq!(back, list);
    let error = decode::<SagaStats>(ContentType::Postcard, Some(1), &[], usize::MAX)
        .expect_err("version 1 is refused");
    assert_eq!(error.code(), ErrorCode::Invalid);
    // JSON without the filter still reads: it is optional.
    let stats: SagaStats = decode(ContentType::Json, None, b"{}", usize::MAX).expect("reads");
    assert_eq!(stats.store_id, None);
}

#[test]
fn an_order_page_of_version_1_is_refused_since_its_summaries_name_the_customer() {
    use bikestore_contracts::orders::{OrderPage, OrderStatus, OrderSummary};
    use bikestore_contracts::{Cents, CustomerId, OrderId};
    let page = OrderPage {
        orders: vec![OrderSummary {
            order_id: OrderId(1),
            customer_id: CustomerId(2),
            store_id: StoreId(3),
            status: OrderStatus::Pending,
            ordered_at_ms: 4,
            total: Cents(5),
            customer_name: "Ana".into(),
        }],
        total: 1,
    };
    let bytes = encode(ContentType::Postcard, &page).expect("encodes");
    // One summary: IDs and amounts as zigzag varints, the status variant 0, then the name.
    assert_eq!(bytes, [1, 2, 4, 6, 0, 8, 10, 3, b'A', b'n', b'a', 1]);
    let back: OrderPage =
        decode(ContentType::Postcard, Some(2), &bytes, usize::MAX).expect("version 2 reads");
    assert_eq!(back, page);
    let error = decode::<OrderPage>(ContentType::Postcard, Some(1), &bytes, usize::MAX)
        .expect_err("version 1 is refused, not misread");
    assert_eq!(error.code(), ErrorCode::Invalid);
}

#[test]
fn store_lists_and_new_stores_of_version_1_are_refused_since_stores_keep_a_time_zone() {
    use bikestore_contracts::inventory::{CreateStore, StoreList};
    let create = CreateStore {
        name: "Harbor Bikes".into(),
        time_zone: "America/Chicago".into(),
        ..CreateStore::default()
    };
    let bytes = encode(ContentType::Postcard, &create).expect("encodes");
    let back: CreateStore =
        decode(ContentType::Postcard, Some(2), &bytes, usize::MAX).expect("version 2 reads");
    assert_eq!(back, create);
    let error = decode::<CreateStore>(ContentType::Postcard, Some(1), &bytes, usize::MAX)
        .expect_err("version 1 is refused, not misread");
    assert_eq!(error.code(), ErrorCode::Invalid);
    let error = decode::<StoreList>(ContentType::Postcard, Some(1), &[0], usize::MAX)
        .expect_err("version 1 is refused");
    assert_eq!(error.code(), ErrorCode::Invalid);
    // JSON without a zone still reads: it is optional, and inventory takes it as UTC.
    let json: CreateStore = decode(
        ContentType::Json,
        None,
        br#"{"name":"Harbor Bikes"}"#,
        usize::MAX,
    )
    .expect("reads");
    assert_eq!(json.time_zone, "");
}

/// Decodes `body` as `M` in both formats; only a panic could fail this.
fn decode_both<M: bikestore_contracts::Message>(body: &[u8]) {
    let _ = decode::<M>(ContentType::Postcard, None, body, DEFAULT_MAX_REQUEST_BYTES);
    let _ = decode::<M>(ContentType::Json, None, body, DEFAULT_MAX_REQUEST_BYTES);
}

/// One decoder per request type of every endpoint.
const EVERY_REQUEST_DECODER: &[fn(&[u8])] = {
    use bikestore_contracts::inventory::*;
    use bikestore_contracts::{identity, notifications, orders, sagas};
    &[
        decode_both::<CreateStore>,
        decode_both::<ListStores>,
        decode_both::<CreateBrand>,
        decode_both::<UpdateBrand>,
        decode_both::<DeleteBrand>,
        decode_both::<ListBrands>,
        decode_both::<CreateCategory>,
        decode_both::<UpdateCategory>,
        decode_both::<DeleteCategory>,
        decode_both::<ListCategories>,
        decode_both::<CreateProduct>,
        decode_both::<UpdateProduct>,
        decode_both::<DeleteProduct>,
        decode_both::<ListProducts>,
        decode_both::<GetProduct>,
        decode_both::<PriceProducts>,
        decode_both::<ReceiveStock>,
        decode_both::<AdjustStock>,
        decode_both::<ReserveStock>,
        decode_both::<CommitReservation>,
        decode_both::<ReleaseReservation>,
        decode_both::<ReturnReservation>,
        decode_both::<StoreStock>,
        decode_both::<LowStock>,
        decode_both::<orders::CreateCustomer>,
        decode_both::<orders::UpdateCustomer>,
        decode_both::<orders::GetCustomer>,
        decode_both::<orders::SearchCustomers>,
        decode_both::<orders::CreateOrder>,
        decode_both::<orders::ChangeOrderStatus>,
        decode_both::<orders::GetOrder>,
        decode_both::<orders::ListOrders>,
        decode_both::<orders::AuthorizePayment>,
        decode_both::<orders::CapturePayment>,
        decode_both::<orders::VoidPayment>,
        decode_both::<orders::RefundPayment>,
        decode_both::<orders::GetPayment>,
        decode_both::<orders::TokenizeCard>,
        decode_both::<orders::AuthorizeWithToken>,
        decode_both::<orders::CancelOrderPayments>,
        decode_both::<notifications::ListNotifications>,
        decode_both::<sagas::PlaceOrder>,
        decode_both::<sagas::CancelOrder>,
        decode_both::<sagas::TransferStock>,
        decode_both::<sagas::GetSaga>,
        decode_both::<sagas::ListSagas>,
        decode_both::<sagas::RetrySaga>,
        decode_both::<sagas::ResolveSaga>,
        decode_both::<sagas::SagaStats>,
        decode_both::<bikestore_contracts::health::SystemHealth>,
        decode_both::<identity::Login>,
        decode_both::<identity::Refresh>,
        decode_both::<identity::Logout>,
        decode_both::<identity::CreateStaff>,
        decode_both::<identity::DeactivateStaff>,
        decode_both::<identity::ResetPassword>,
        decode_both::<identity::ChangeStaffRole>,
        decode_both::<identity::UnlockUsername>,
        decode_both::<identity::ListStaff>,
        decode_both::<identity::GetStaff>,
        decode_both::<identity::StaffNames>,
        decode_both::<identity::PublicKeys>,
        decode_both::<identity::RotateSigningKey>,
        decode_both::<identity::AccessClaims>,
        decode_both::<identity::TokenFooter>,
    ]
};

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_any_endpoint_decoder(body in proptest::collection::vec(any::<u8>(), 0..256)) {
        for decoder in EVERY_REQUEST_DECODER {
            decoder(&body);
        }
    }
}

#[test]
fn a_saga_states_word_is_its_json_name() {
    use bikestore_contracts::sagas::SagaState;
    for state in SagaState::ALL {
        let json = serde_json::to_string(&state).unwrap_or_default();
        assert_eq!(json, format!("\"{}\"", state.as_str()));
    }
}
