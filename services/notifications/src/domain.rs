//! The notification before it is stored, and the rules for what goes into one; no IO.

use std::time::Duration;

use bikestore_contracts::backoff::Backoff;
use bikestore_contracts::inventory::{MAX_PAGE_LIMIT, Page};
use bikestore_contracts::notifications::{Audience, DeliveryStatus, NotificationKind};
use bikestore_contracts::{CustomerId, StoreId};

use crate::error::NotificationsError;

/// The longest free text (a rejection reason) a notification quotes, in characters.
pub const MAX_QUOTED_CHARS: usize = 300;

/// A rendered notification that is not stored yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// What happened.
    pub kind: NotificationKind,
    /// Who it is for.
    pub audience: Audience,
    /// The customer, for customer notifications.
    pub customer_id: Option<CustomerId>,
    /// The store concerned.
    pub store_id: Option<StoreId>,
    /// The text.
    pub text: String,
}

/// Text from another service made safe to quote: control characters (a line break would split
/// a log line) become spaces, runs of white space shrink to one, and the length is bounded.
pub fn quoted(text: &str) -> String {
    let spaced: String = text
        .chars()
        .map(|character| {
            if character.is_control() {
                ' '
            } else {
                character
            }
        })
        .collect();
    let words = spaced.split_whitespace().collect::<Vec<_>>().join(" ");
    if words.chars().count() <= MAX_QUOTED_CHARS {
        return words;
    }
    let mut bounded: String = words.chars().take(MAX_QUOTED_CHARS).collect();
    bounded.push('…');
    bounded
}

/// The longest wait between two delivery attempts, however many failed before.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(10 * 60);

/// How a failed delivery is retried: exponential backoff from `base`, at most `max_attempts`
/// attempts per channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait after the first failure; it doubles after each further one.
    pub base: Duration,
    /// Attempts before the delivery is given up as failed.
    pub max_attempts: u32,
}

impl RetryPolicy {
    /// After `attempts` attempts that all failed: the wait before the next one, with random
    /// jitter (between half of [`RetryPolicy::backoff`]'s ceiling and all of it), or `None` when
    /// that was the last allowed.
    pub fn after_failure(&self, attempts: u32) -> Option<Duration> {
        (attempts < self.max_attempts).then(|| self.backoff().delay(attempts))
    }

    /// The exponential backoff: `base` after the first failure, doubling up to
    /// [`MAX_RETRY_DELAY`].
    pub fn backoff(&self) -> Backoff {
        Backoff::new(self.base, MAX_RETRY_DELAY)
    }
}

/// A page: the limit from 1 to [`MAX_PAGE_LIMIT`].
pub fn page(page: Page) -> Result<Page, NotificationsError> {
    if !(1..=MAX_PAGE_LIMIT).contains(&page.limit) {
        return Err(NotificationsError::invalid(
            "page.limit",
            format!("{} is not between 1 and {MAX_PAGE_LIMIT}", page.limit),
        ));
    }
    Ok(page)
}

/// The stored name of a kind.
pub fn kind_name(kind: NotificationKind) -> &'static str {
    match kind {
        NotificationKind::OrderConfirmed => "order_confirmed",
        NotificationKind::OrderRejected => "order_rejected",
        NotificationKind::OrderCancelled => "order_cancelled",
        NotificationKind::LowStock => "low_stock",
        NotificationKind::StockTransferDone => "stock_transfer_done",
    }
}

/// The kind of a stored name.
pub fn kind_from_name(name: &str) -> Option<NotificationKind> {
    [
        NotificationKind::OrderConfirmed,
        NotificationKind::OrderRejected,
        NotificationKind::OrderCancelled,
        NotificationKind::LowStock,
        NotificationKind::StockTransferDone,
    ]
    .into_iter()
    .find(|kind| kind_name(*kind) == name)
}

/// The stored name of an audience.
pub fn audience_name(audience: Audience) -> &'static str {
    match audience {
        Audience::Customer => "customer",
        Audience::Store => "store",
    }
}

/// The audience of a stored name.
pub fn audience_from_name(name: &str) -> Option<Audience> {
    [Audience::Customer, Audience::Store]
        .into_iter()
        .find(|audience| audience_name(*audience) == name)
}

/// The stored name of a delivery state.
pub fn status_name(status: DeliveryStatus) -> &'static str {
    match status {
        DeliveryStatus::Pending => "pending",
        DeliveryStatus::Delivered => "delivered",
        DeliveryStatus::Failed => "failed",
    }
}

/// The delivery state of a stored name.
pub fn status_from_name(name: &str) -> Option<DeliveryStatus> {
    [
        DeliveryStatus::Pending,
        DeliveryStatus::Delivered,
        DeliveryStatus::Failed,
    ]
    .into_iter()
    .find(|status| status_name(*status) == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_text_is_one_bounded_line() {
        assert_eq!(quoted("  out of\nstock\t now "), "out of stock now");
        assert_eq!(quoted("a\u{0}b"), "a b");
        assert_eq!(quoted(""), "");
        let long = quoted(&"x".repeat(10_000));
        assert_eq!(long.chars().count(), MAX_QUOTED_CHARS + 1);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn stored_names_round_trip() {
        for kind in [
            NotificationKind::OrderConfirmed,
            NotificationKind::OrderRejected,
            NotificationKind::OrderCancelled,
            NotificationKind::LowStock,
            NotificationKind::StockTransferDone,
        ] {
            assert_eq!(kind_from_name(kind_name(kind)), Some(kind));
        }
        for status in [
            DeliveryStatus::Pending,
            DeliveryStatus::Delivered,
            DeliveryStatus::Failed,
        ] {
            assert_eq!(status_from_name(status_name(status)), Some(status));
        }
        assert_eq!(audience_from_name("store"), Some(Audience::Store));
        assert_eq!(kind_from_name("birthday"), None);
    }

    #[test]
    fn retries_back_off_exponentially_up_to_the_limit() {
        let policy = RetryPolicy {
            base: Duration::from_millis(200),
            max_attempts: 4,
        };
        let ceilings = [200, 400, 800].map(Duration::from_millis);
        for (attempts, ceiling) in (1..).zip(ceilings) {
            assert_eq!(policy.backoff().ceiling(attempts), ceiling);
            let wait = policy.after_failure(attempts);
            assert!(
                wait.is_some_and(|wait| wait <= ceiling && wait >= ceiling / 2),
                "after {attempts}: {wait:?}"
            );
        }
        assert_eq!(policy.after_failure(4), None);
        let patient = RetryPolicy {
            base: Duration::from_secs(1),
            max_attempts: 100,
        };
        assert_eq!(patient.backoff().ceiling(60), MAX_RETRY_DELAY);
        assert!(patient.after_failure(60) <= Some(MAX_RETRY_DELAY));
    }

    #[test]
    fn page_limits_are_bounded() {
        assert!(
            page(Page {
                offset: 0,
                limit: 0
            })
            .is_err()
        );
        assert!(
            page(Page {
                offset: 0,
                limit: MAX_PAGE_LIMIT + 1
            })
            .is_err()
        );
        assert!(page(Page::default()).is_ok());
    }
}
