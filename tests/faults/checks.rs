//! The end state a case promises: the order's status, its payments, the stock and
//! reservations, and the notifications, each once.

use std::time::Duration;

use bikestore_contracts::inventory::GetProduct;
use bikestore_contracts::notifications::{ListNotifications, NotificationKind};
use bikestore_contracts::orders::{ListOrders, OrderStatus, OrderSummary};
use bikestore_contracts::{ServiceName, StoreId};
use bikestore_harness::System;
use bikestore_testkit::eventually;

use crate::cases::{Case, End, Saga};
use crate::world::{QUANTITY, STOCK, World};

impl World {
    /// Checks the order, payments, stock and notifications `case.end` promises.
    pub async fn check(&self, system: &System, case: Case) -> anyhow::Result<()> {
        match case.saga {
            Saga::PlaceOrder | Saga::CancelOrder => self.check_order(system, case.end).await,
            Saga::TransferStock => self.check_transfer(system, case.end).await,
        }
    }

    async fn check_order(&self, system: &System, end: End) -> anyhow::Result<()> {
        use NotificationKind::{OrderCancelled, OrderConfirmed, OrderRejected};
        let orders = system
            .caller()
            .call(&ListOrders {
                customer_id: Some(self.customer_id),
                ..ListOrders::default()
            })
            .await?
            .orders;
        let order: Option<&OrderSummary> = orders.first();
        anyhow::ensure!(orders.len() <= 1, "{} orders for one saga", orders.len());
        let status = order.map(|order| order.status);
        // (status, payments still holding or having taken money, units gone, notifications)
        let (want_status, want_held, sold, want_notes): (_, _, _, &[NotificationKind]) = match end {
            End::Completed if self.order_id.is_none() => {
                (Some(OrderStatus::Processing), 1, true, &[OrderConfirmed])
            }
            End::Completed => (
                Some(OrderStatus::Cancelled),
                0,
                false,
                &[OrderConfirmed, OrderCancelled],
            ),
            End::Undone { order: false } => (None, 0, false, &[]),
            End::Undone { order: true } => {
                (Some(OrderStatus::Rejected), 0, false, &[OrderRejected])
            }
            End::Refused => (Some(OrderStatus::Completed), 1, true, &[OrderConfirmed]),
        };
        anyhow::ensure!(
            status == want_status,
            "the order is {status:?}, not {want_status:?}"
        );
        let payments = match order {
            Some(order) => payments(system, order.order_id.0).await?,
            None => Vec::new(),
        };
        let held = payments
            .iter()
            .filter(|(status, _, captured, refunded)| status == "authorized" || captured > refunded)
            .count();
        anyhow::ensure!(
            held == want_held,
            "{held} payment(s) hold or took money, not {want_held}: {payments:?}"
        );
        if want_held == 1 {
            let taken = payments
                .iter()
                .filter(|(status, ..)| status == "captured")
                .count();
            anyhow::ensure!(taken == 1, "the money was not taken once: {payments:?}");
        }
        self.check_stock(
            system,
            self.store_id,
            STOCK - if sold { QUANTITY } else { 0 },
        )
        .await?;
        self.check_notifications(
            system,
            ListNotifications {
                customer_id: Some(self.customer_id),
                ..ListNotifications::default()
            },
            want_notes,
        )
        .await
    }

    async fn check_transfer(&self, system: &System, end: End) -> anyhow::Result<()> {
        let moved = end == End::Completed;
        let moved_units = if moved { QUANTITY } else { 0 };
        self.check_stock(system, self.store_id, STOCK - moved_units)
            .await?;
        self.check_stock(system, self.other_store_id, moved_units)
            .await?;
        // A transfer notifies nobody (notifications has a template for a finished transfer,
        // but no event asks for it), whatever its end: no store hears of it.
        for store_id in [self.store_id, self.other_store_id] {
            let query = ListNotifications {
                store_id: Some(store_id),
                ..ListNotifications::default()
            };
            self.check_notifications(system, query, &[]).await?;
        }
        Ok(())
    }

    /// The store has `on_hand` units of the product and none reserved.
    async fn check_stock(
        &self,
        system: &System,
        store_id: StoreId,
        on_hand: i64,
    ) -> anyhow::Result<()> {
        let detail = system
            .caller()
            .call(&GetProduct {
                product_id: self.product_id,
            })
            .await?;
        let level = detail
            .stock
            .iter()
            .find(|level| level.store_id == store_id)
            .map(|level| (level.on_hand, level.reserved))
            .unwrap_or((0, 0));
        anyhow::ensure!(
            level == (on_hand, 0),
            "store {store_id} has (on hand, reserved) {level:?}, not ({on_hand}, 0)"
        );
        Ok(())
    }

    /// The notifications `query` lists are `want` (low-stock warnings aside), each once.
    async fn check_notifications(
        &self,
        system: &System,
        query: ListNotifications,
        want: &[NotificationKind],
    ) -> anyhow::Result<()> {
        let mut want = want.to_vec();
        want.sort_by_key(|kind| format!("{kind:?}"));
        let kinds = || async {
            let page = system.caller().call(&query).await.ok()?;
            let mut kinds: Vec<NotificationKind> = page
                .notifications
                .iter()
                .map(|notification| notification.kind)
                .filter(|kind| *kind != NotificationKind::LowStock)
                .collect();
            kinds.sort_by_key(|kind| format!("{kind:?}"));
            Some(kinds)
        };
        // Notifications follow events; wait for as many as expected, then compare.
        let seen = eventually("the notifications", Duration::from_secs(20), async || {
            kinds().await.filter(|kinds| kinds.len() >= want.len())
        })
        .await?;
        anyhow::ensure!(seen == want, "notifications {seen:?}, not {want:?}");
        Ok(())
    }
}

/// The payments of an order as orders keeps them: (status, authorized, captured, refunded).
///
/// Read from orders' database file (read-only, beside the running service): no query lists an
/// order's payments, and a saga that lost track of one (an authorization whose answer never
/// came) must not hide it from this check.
async fn payments(system: &System, order_id: i64) -> anyhow::Result<Vec<(String, i64, i64, i64)>> {
    let path = system.common(ServiceName::Orders).database_path("orders");
    tokio::task::spawn_blocking(move || {
        let connection = rusqlite::Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )?;
        let mut statement = connection.prepare(
            "SELECT status, authorized, captured, refunded FROM payments WHERE order_id = ?1",
        )?;
        let rows = statement
            .query_map([order_id], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    })
    .await?
}
