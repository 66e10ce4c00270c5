//! Card checks at the edge, and what is kept of a card.
//!
//! A card is checked before anything else happens: 12 to 19 digits (spaces allowed) passing
//! the Luhn check, expiry month 1 to 12 and not in the past, CVC of 3 or 4 digits. Only the
//! [`CardSummary`] (brand, last four digits, expiry) is ever stored. Error messages name the
//! field and the rule, never the number or the CVC.

use bikestore_contracts::orders::{Card, CardSummary};

use crate::domain;
use crate::error::OrdersError;

/// The fewest and most digits a card number may have.
pub const NUMBER_DIGITS: std::ops::RangeInclusive<usize> = 12..=19;
/// How many years ahead an expiry may lie.
pub const MAX_YEARS_AHEAD: i64 = 50;

/// The digits of a card number, separators dropped.
pub fn digits(number: &str) -> String {
    number.chars().filter(char::is_ascii_digit).collect()
}

/// Checks `card` against the rules above at time `now_ms`, returning what may be kept.
pub fn check(card: &Card, now_ms: i64) -> Result<CardSummary, OrdersError> {
    let number = number(&card.number)?;
    let (expiry_month, expiry_year) = expiry(card.expiry_month, card.expiry_year, now_ms)?;
    cvc(&card.cvc)?;
    domain::optional_text("card.holder", &card.holder)?;
    let last_four = number
        .get(number.len().saturating_sub(4)..)
        .unwrap_or_default()
        .to_owned();
    Ok(CardSummary {
        brand: brand(&number).to_owned(),
        last_four,
        expiry_month,
        expiry_year,
    })
}

fn number(text: &str) -> Result<String, OrdersError> {
    if !text.chars().all(|c| c.is_ascii_digit() || c == ' ') {
        return Err(OrdersError::invalid(
            "card.number",
            "may hold only digits and spaces",
        ));
    }
    let number = digits(text);
    if !NUMBER_DIGITS.contains(&number.len()) {
        return Err(OrdersError::invalid(
            "card.number",
            format!(
                "must have {} to {} digits, not {}",
                NUMBER_DIGITS.start(),
                NUMBER_DIGITS.end(),
                number.len()
            ),
        ));
    }
    if !luhn_valid(&number) {
        return Err(OrdersError::invalid(
            "card.number",
            "fails the check digit (Luhn); it was probably mistyped",
        ));
    }
    Ok(number)
}

/// The Luhn (mod 10) check over a string of ASCII digits.
pub fn luhn_valid(number: &str) -> bool {
    let sum: u32 = number
        .bytes()
        .rev()
        .enumerate()
        .map(|(position, byte)| {
            let digit = u32::from(byte.wrapping_sub(b'0'));
            if position % 2 == 1 {
                let doubled = digit * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                digit
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A card is good through the last day of its expiry month.
fn expiry(month: u8, year: u16, now_ms: i64) -> Result<(u8, u16), OrdersError> {
    if !(1..=12).contains(&month) {
        return Err(OrdersError::invalid(
            "card.expiry_month",
            format!("{month} is not between 1 and 12"),
        ));
    }
    let (this_year, this_month) = domain::year_month(now_ms);
    let given_year = i64::from(year);
    if given_year < this_year {
        return Err(OrdersError::invalid(
            "card.expiry_year",
            format!("the card expired in {year}"),
        ));
    }
    if given_year == this_year && u32::from(month) < this_month {
        return Err(OrdersError::invalid(
            "card.expiry_month",
            format!("the card expired in {year}-{month:02}"),
        ));
    }
    if given_year > this_year + MAX_YEARS_AHEAD {
        return Err(OrdersError::invalid(
            "card.expiry_year",
            format!("{year} is more than {MAX_YEARS_AHEAD} years ahead"),
        ));
    }
    Ok((month, year))
}

fn cvc(text: &str) -> Result<(), OrdersError> {
    if !(3..=4).contains(&text.len()) || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(OrdersError::invalid("card.cvc", "must be 3 or 4 digits"));
    }
    Ok(())
}

/// Every brand [`brand`] answers.
pub const BRANDS: [&str; 4] = ["visa", "mastercard", "amex", "unknown"];

/// The card network, from the number's leading digits: one of [`BRANDS`].
pub fn brand(number: &str) -> &'static str {
    let prefix = |length: usize| {
        number
            .get(..length)
            .and_then(|text| text.parse::<u32>().ok())
            .unwrap_or(0)
    };
    if number.starts_with('4') {
        "visa"
    } else if (51..=55).contains(&prefix(2)) || (2221..=2720).contains(&prefix(4)) {
        "mastercard"
    } else if matches!(prefix(2), 34 | 37) {
        "amex"
    } else {
        "unknown"
    }
}

#[cfg(test)]
mod tests {
    use bikestore_runtime::CoreError;

    use super::*;
    use crate::payments::simulated::{
        CARD_APPROVES, CARD_DECLINES, CARD_FLAKY, CARD_INSUFFICIENT_FUNDS, CARD_NEVER_ANSWERS,
    };

    /// 2025-06-15T00:00:00Z.
    const NOW_MS: i64 = 1_749_945_600_000;

    fn card(number: &str, month: u8, year: u16, cvc: &str) -> Card {
        Card {
            number: number.to_owned(),
            expiry_month: month,
            expiry_year: year,
            cvc: cvc.to_owned(),
            holder: "Debra Burks".to_owned(),
        }
    }

    fn refused_field(card: &Card) -> &'static str {
        match check(card, NOW_MS) {
            Err(OrdersError::Common(CoreError::Invalid { field, reason })) => {
                let number = digits(&card.number);
                assert!(number.len() < 12 || !reason.contains(&number), "{reason}");
                field
            }
            other => panic!("expected invalid, got {other:?}"),
        }
    }

    #[test]
    fn every_test_card_passes_the_checks() {
        for number in [
            CARD_APPROVES,
            CARD_DECLINES,
            CARD_INSUFFICIENT_FUNDS,
            CARD_NEVER_ANSWERS,
            CARD_FLAKY,
            "5555 5555 5555 4444",
            "3782 822463 10005",
        ] {
            assert!(
                check(&card(number, 12, 2030, "123"), NOW_MS).is_ok(),
                "{number}"
            );
        }
    }

    #[test]
    fn only_brand_last_four_and_expiry_are_kept() {
        let summary = check(&card("4242 4242 4242 4242", 6, 2025, "1234"), NOW_MS).ok();
        assert_eq!(
            summary,
            Some(CardSummary {
                brand: "visa".into(),
                last_four: "4242".into(),
                expiry_month: 6,
                expiry_year: 2025,
            })
        );
        assert_eq!(brand("5555555555554444"), "mastercard");
        assert_eq!(brand("2221000000000009"), "mastercard");
        assert_eq!(brand("378282246310005"), "amex");
        assert_eq!(brand("6011111111111117"), "unknown");
    }

    #[test]
    fn bad_cards_are_refused_naming_the_field() {
        assert_eq!(
            refused_field(&card("4242 4242 4242 4241", 12, 2030, "123")),
            "card.number"
        );
        assert_eq!(
            refused_field(&card("4242-4242-4242-4242", 12, 2030, "123")),
            "card.number"
        );
        assert_eq!(
            refused_field(&card("42424242424", 12, 2030, "123")),
            "card.number"
        );
        assert_eq!(
            refused_field(&card(&"4".repeat(20), 12, 2030, "123")),
            "card.number"
        );
        assert_eq!(
            refused_field(&card(CARD_APPROVES, 13, 2030, "123")),
            "card.expiry_month"
        );
        assert_eq!(
            refused_field(&card(CARD_APPROVES, 0, 2030, "123")),
            "card.expiry_month"
        );
        assert_eq!(
            refused_field(&card(CARD_APPROVES, 12, 2024, "123")),
            "card.expiry_year"
        );
        assert_eq!(
            refused_field(&card(CARD_APPROVES, 5, 2025, "123")),
            "card.expiry_month"
        );
        assert_eq!(
            refused_field(&card(CARD_APPROVES, 1, 2090, "123")),
            "card.expiry_year"
        );
        assert_eq!(
            refused_field(&card(CARD_APPROVES, 12, 2030, "12")),
            "card.cvc"
        );
        assert_eq!(
            refused_field(&card(CARD_APPROVES, 12, 2030, "12a")),
            "card.cvc"
        );
        assert_eq!(
            refused_field(&card(CARD_APPROVES, 12, 2030, "12345")),
            "card.cvc"
        );
    }
}
