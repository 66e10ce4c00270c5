//! Bad input to the list query gets a typed error, and the service goes on serving.

use bikestore_contracts::inventory::{MAX_PAGE_LIMIT, Page};
use bikestore_contracts::notifications::{DeliveryStatus, ListNotifications};
use bikestore_contracts::{CustomerId, ErrorCode, StoreId};
use bikestore_testkit::assert_survives_bad_input;

use crate::support::with_service;

#[tokio::test]
async fn list_notifications_survives_the_bad_input_suite() -> anyhow::Result<()> {
    let system = with_service().await?;
    let limit = system.configs().notifications.common.max_request_bytes;
    let (client, subjects) = (system.client(), system.subjects());
    assert_survives_bad_input(client, subjects, &ListNotifications::default(), limit).await?;
    let filtered = ListNotifications {
        customer_id: Some(CustomerId(1)),
        store_id: Some(StoreId(1)),
        status: Some(DeliveryStatus::Failed),
        page: Page {
            offset: 10,
            limit: 5,
        },
    };
    assert_survives_bad_input(client, subjects, &filtered, limit).await?;
    for bad_limit in [0, MAX_PAGE_LIMIT + 1] {
        let refused = system
            .caller()
            .call(&ListNotifications {
                page: Page {
                    offset: 0,
                    limit: bad_limit,
                },
                ..ListNotifications::default()
            })
            .await
            .unwrap_err();
        assert_eq!(refused.code, ErrorCode::Invalid, "{refused}");
        assert_eq!(
            refused.details.get("field").map(String::as_str),
            Some("page.limit")
        );
    }
    system.stop().await
}
