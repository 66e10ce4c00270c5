//! The sales policy the gateway enforces with the verified caller, which only it knows: how
//! large a discount each role may give, and that the seller a sale names is the caller.
//!
//! It lives here, beside the authorization table, because the gateway is the one place that
//! knows the caller's role; the services behind it trust what the gateway let through, and an
//! operator calling them directly (the ops path) is not limited. Prices are not checked here:
//! the place-order saga refuses any price a caller sends and prices every line from the
//! catalog.

use std::fmt;

use bikestore_codec::CodecError;
use bikestore_contracts::identity::Role;
use bikestore_contracts::orders::CreateOrder;
use bikestore_contracts::sagas::PlaceOrder;
use bikestore_contracts::{Request, StaffId};

use crate::error::GatewayError;
use crate::scope::Body;
use crate::table::Rule;

/// The largest discount, in whole percent, each role may give on an order line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiscountLimits {
    /// Sales staff.
    pub sales: u8,
    /// Store managers.
    pub manager: u8,
    /// Admins.
    pub admin: u8,
}

impl Default for DiscountLimits {
    /// Sales 10%, managers 30%, admins anything.
    fn default() -> DiscountLimits {
        DiscountLimits {
            sales: 10,
            manager: 30,
            admin: 100,
        }
    }
}

impl DiscountLimits {
    /// The limit of `role`.
    pub fn limit(&self, role: Role) -> u8 {
        match role {
            Role::Sales => self.sales,
            Role::Manager => self.manager,
            Role::Admin => self.admin,
        }
    }

    /// Parses `sales=10,manager=30,admin=100`; a role left out keeps its default.
    pub fn parse(text: &str) -> Result<DiscountLimits, String> {
        let mut limits = DiscountLimits::default();
        for entry in text
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
        {
            let (name, percent) = entry
                .split_once('=')
                .ok_or_else(|| format!("{entry:?} is not role=percent"))?;
            let role = Role::from_name(name.trim())
                .ok_or_else(|| format!("{name:?} is not a role (admin, manager, sales)"))?;
            let percent = percent
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|percent| *percent <= 100)
                .ok_or_else(|| format!("{percent:?} is not a percentage from 0 to 100"))?;
            match role {
                Role::Sales => limits.sales = percent,
                Role::Manager => limits.manager = percent,
                Role::Admin => limits.admin = percent,
            }
        }
        Ok(limits)
    }
}

impl fmt::Display for DiscountLimits {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "sales={},manager={},admin={}",
            self.sales, self.manager, self.admin
        )
    }
}

/// What the policy needs of an allowed request.
pub struct Sale<'a> {
    /// The verified caller.
    pub staff_id: StaffId,
    /// The caller's current role.
    pub role: Role,
    /// The request's body, as the scope check read it.
    pub body: &'a Body<'a>,
}

/// Checks a sale against the policy: `place_order` must name the caller as seller and keep
/// every discount within the role's limit; `create_order` (admins repairing by hand) keeps
/// within the limit too. Every other operation passes untouched and undecoded.
pub fn check(limits: &DiscountLimits, rule: &Rule, sale: &Sale<'_>) -> Result<(), GatewayError> {
    let decode_error = GatewayError::Unreadable;
    if is::<PlaceOrder>(rule) {
        let request: PlaceOrder = decode(sale).map_err(decode_error)?;
        if request.staff_id != sale.staff_id {
            return Err(GatewayError::SellerNotCaller);
        }
        let discounts = request.lines.iter().map(|line| line.discount_percent);
        return within_limit(limits.limit(sale.role), discounts);
    }
    if is::<CreateOrder>(rule) {
        let request: CreateOrder = decode(sale).map_err(decode_error)?;
        let discounts = request.lines.iter().map(|line| line.discount_percent);
        return within_limit(limits.limit(sale.role), discounts);
    }
    Ok(())
}

fn is<R: Request>(rule: &Rule) -> bool {
    rule.service == R::SERVICE && rule.operation == R::OPERATION
}

fn decode<R: Request>(sale: &Sale<'_>) -> Result<R, CodecError> {
    let body = sale.body;
    bikestore_codec::decode::<R>(body.content_type, body.version, body.bytes, body.max_bytes)
}

/// Refuses the first discount above `limit`, naming the line and the limit.
fn within_limit(limit: u8, discounts: impl Iterator<Item = u8>) -> Result<(), GatewayError> {
    for (index, requested) in discounts.enumerate() {
        if requested > limit {
            return Err(GatewayError::DiscountOverLimit {
                line: index + 1,
                requested,
                limit,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_with_defaults_for_roles_left_out() {
        assert_eq!(
            DiscountLimits::parse("").expect("parses"),
            DiscountLimits::default()
        );
        let limits = DiscountLimits::parse("sales=5, admin=50").expect("parses");
        assert_eq!((limits.sales, limits.manager, limits.admin), (5, 30, 50));
        assert_eq!(
            DiscountLimits::parse(&DiscountLimits::default().to_string()),
            Ok(DiscountLimits::default())
        );
        for bad in ["sales", "clerk=5", "sales=101", "sales=-1"] {
            assert!(DiscountLimits::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_first_discount_over_the_limit_is_refused_with_the_limit() {
        assert!(within_limit(10, [0, 10].into_iter()).is_ok());
        let refusal = within_limit(10, [5, 11, 50].into_iter()).expect_err("refused");
        assert!(matches!(
            refusal,
            GatewayError::DiscountOverLimit {
                line: 2,
                requested: 11,
                limit: 10
            }
        ));
    }
}
