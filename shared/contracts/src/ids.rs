//! Typed IDs and money, so that a store ID is never passed where a product ID belongs.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! integer_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(formatter)
            }
        }
    };
}

integer_id!(
    /// A store of the chain.
    StoreId
);
integer_id!(
    /// A brand of bikes and parts.
    BrandId
);
integer_id!(
    /// A product category.
    CategoryId
);
integer_id!(
    /// A product in the catalog.
    ProductId
);

integer_id!(
    /// A customer.
    CustomerId
);
integer_id!(
    /// An order.
    OrderId
);
integer_id!(
    /// A payment attempt on an order.
    PaymentId
);
integer_id!(
    /// A member of staff.
    StaffId
);
integer_id!(
    /// A notification.
    NotificationId
);

/// Names a stock reservation; chosen by the caller (a saga uses its order or transfer ID), so a
/// retried reserve finds the reservation it already made.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReservationId(pub String);

impl fmt::Display for ReservationId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// An amount of money in cents. Money is never a float.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(transparent)]
pub struct Cents(pub i64);

impl fmt::Display for Cents {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let absolute = self.0.unsigned_abs();
        write!(formatter, "{sign}{}.{:02}", absolute / 100, absolute % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cents_print_as_a_decimal_amount() {
        assert_eq!(Cents(123_456).to_string(), "1234.56");
        assert_eq!(Cents(-5).to_string(), "-0.05");
    }
}
