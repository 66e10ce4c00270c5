//! Unit tests of the orders' domain rules.

use bikestore_contracts::ProductId;
use bikestore_runtime::CoreError;

use super::*;

fn line(product: i64, quantity: i64, price: i64, discount: u8) -> OrderLine {
    OrderLine {
        product_id: ProductId(product),
        quantity,
        list_price: Cents(price),
        discount_percent: discount,
        product_name: None,
    }
}

#[test]
fn line_totals_round_half_up_to_the_cent() {
    // 1 x 0.01 at 50% is half a cent: rounds up.
    assert_eq!(line_total(&line(1, 1, 1, 50)), Cents(1));
    // 1 x 0.01 at 51% is 0.49 of a cent: rounds down.
    assert_eq!(line_total(&line(1, 1, 1, 51)), Cents(0));
    // 3 x 599.99 at 7% = 1673.9721 -> 1673.97.
    assert_eq!(line_total(&line(1, 3, 59_999, 7)), Cents(167_397));
    assert_eq!(line_total(&line(1, 2, 1_000, 0)), Cents(2_000));
    assert_eq!(line_total(&line(1, 2, 1_000, 100)), Cents(0));
}

#[test]
fn order_totals_sum_the_lines() {
    let lines = [line(1, 3, 59_999, 7), line(2, 1, 1, 50)];
    let totals = totals(&lines);
    assert_eq!(totals.gross, Cents(179_998));
    assert_eq!(totals.total, Cents(167_398));
    assert_eq!(totals.discount, Cents(179_998 - 167_398));
}

#[test]
fn the_largest_valid_order_does_not_overflow() {
    let lines: Vec<OrderLine> = (0..MAX_ORDER_LINES as i64)
        .map(|product| line(product, MAX_QUANTITY, MAX_PRICE_CENTS, 0))
        .collect();
    assert!(order_lines(&lines).is_ok());
    let totals = totals(&lines);
    assert_eq!(totals.total.0, 100 * MAX_QUANTITY * MAX_PRICE_CENTS);
}

#[test]
fn order_lines_are_bounded_and_unique() {
    assert!(order_lines(&[]).is_err());
    let field = |lines: &[OrderLine]| match order_lines(lines) {
        Err(OrdersError::Common(CoreError::Invalid { field, .. })) => field,
        other => panic!("expected invalid, got {other:?}"),
    };
    assert_eq!(field(&[line(1, 0, 1, 0)]), "lines.quantity");
    assert_eq!(field(&[line(1, -2, 1, 0)]), "lines.quantity");
    assert_eq!(field(&[line(1, 1, -1, 0)]), "lines.list_price");
    assert_eq!(field(&[line(1, 1, 1, 101)]), "lines.discount_percent");
    assert_eq!(
        field(&[line(1, 1, 1, 0), line(1, 2, 1, 0)]),
        "lines.product_id"
    );
    let too_many: Vec<OrderLine> = (0..=MAX_ORDER_LINES as i64)
        .map(|product| line(product, 1, 1, 0))
        .collect();
    assert_eq!(field(&too_many), "lines");
}

#[test]
fn required_dates_must_exist_on_the_calendar() {
    assert!(required_date("2024-02-29").is_ok());
    assert!(required_date("2000-02-29").is_ok());
    for bad in [
        "2023-02-29",
        "1900-02-29",
        "2024-13-01",
        "2024-00-10",
        "2024-04-31",
        "2024-4-1",
        "24-04-01",
        "2024/04/01",
        "２０２４-04-01",
        "",
    ] {
        assert!(required_date(bad).is_err(), "{bad:?} should be refused");
    }
}

#[test]
fn year_month_follows_the_calendar() {
    assert_eq!(year_month(0), (1970, 1));
    // 2024-02-29T12:00:00Z
    assert_eq!(year_month(1_709_208_000_000), (2024, 2));
    // 2023-12-31T23:59:59.999Z
    assert_eq!(year_month(1_704_067_199_999), (2023, 12));
    assert_eq!(year_month(1_704_067_200_000), (2024, 1));
}

#[test]
fn emails_have_a_plain_shape() {
    assert_eq!(
        email("  Debra.Burks@yahoo.com ").ok(),
        Some("Debra.Burks@yahoo.com".to_owned())
    );
    assert!(email("kasha+bikes@mail.example.org").is_ok());
    for bad in [
        "",
        "plain",
        "@example.com",
        "a@",
        "a@b",
        "a@@b.com",
        "a b@c.com",
        "a@-b.com",
        "a@b.c",
        ".a@b.com",
        "a..b@c.com",
    ] {
        assert!(email(bad).is_err(), "{bad:?} should be refused");
    }
    assert_eq!(email_key("Debra.Burks@Yahoo.com"), "debra.burks@yahoo.com");
}

#[test]
fn phones_allow_digits_and_separators_only() {
    assert_eq!(phone("").ok(), Some(String::new()));
    assert!(phone("(516) 379-8888").is_ok());
    assert!(phone("+1 516.379.8888").is_ok());
    assert!(phone("call me").is_err());
    assert!(phone("516-37").is_err());
    assert!(phone("1+516 379 8888").is_err());
    assert!(phone(&"1".repeat(16)).is_err());
}

#[test]
fn names_are_trimmed_and_bounded() {
    assert_eq!(name("first_name", " Debra ").ok(), Some("Debra".to_owned()));
    assert!(name("first_name", "  ").is_err());
    assert!(name("first_name", &"x".repeat(10_000)).is_err());
    assert!(name("first_name", "a\u{7}b").is_err());
}

#[test]
fn every_status_pair_is_legal_idempotent_or_a_conflict_naming_both() {
    use OrderStatus::*;
    let legal = [
        (Pending, Processing),
        (Processing, Completed),
        (Pending, Rejected),
        (Pending, Cancelled),
        (Processing, Cancelled),
    ];
    for from in STATUSES {
        for to in STATUSES {
            let outcome = status_move(OrderId(12), from, to);
            if from == to {
                assert_eq!(outcome.ok(), Some(StatusMove::AlreadyThere));
            } else if legal.contains(&(from, to)) {
                assert_eq!(outcome.ok(), Some(StatusMove::Move));
            } else {
                let message = outcome.err().map(|error| error.to_string());
                let expected = format!(
                    "order 12 cannot move from {} to {}",
                    status_name(from),
                    status_name(to)
                );
                assert_eq!(message.as_deref(), Some(expected.as_str()));
            }
        }
    }
    for status in STATUSES {
        assert_eq!(parse_status(status_name(status)), Some(status));
    }
    assert_eq!(parse_status("shipped"), None);
}

#[test]
fn amounts_must_be_positive() {
    assert!(amount(Cents(0)).is_err());
    assert!(amount(Cents(-1)).is_err());
    assert!(amount(Cents(MAX_AMOUNT_CENTS + 1)).is_err());
    assert_eq!(amount(Cents(1)).ok(), Some(Cents(1)));
}
