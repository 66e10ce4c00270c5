//! The simulated provider's card tokens: they describe themselves, so they hold across a
//! restart without the simulator keeping anything, and they never contain the card number or
//! CVC.
//!
//! A token reads `tok_sim_<behaviour>_<brand>_<last4>_<mm><yyyy>_<ulid>`: how the test card
//! behaves (`approve`, `declined`, `insufficient`, `never` or `flaky`), what a payment keeps
//! of the card, and a ULID so that two tokens of one card differ: random, or drawn from the
//! request's idempotency key, so that a repeat is answered the same token without anything
//! being stored. Anyone who knows the
//! format can write a token, which is fine for a simulator: a real provider's tokens are
//! opaque and looked up on its side.

use bikestore_contracts::orders::{Card, CardSummary};

use super::{CARD_DECLINES, CARD_FLAKY, CARD_INSUFFICIENT_FUNDS, CARD_NEVER_ANSWERS};
use crate::payments::card::{self, digits};

/// What every simulated token starts with.
pub const PREFIX: &str = "tok_sim_";

/// How a test card answers an authorization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Approves.
    Approve,
    /// Declines with `card_declined`.
    Decline,
    /// Declines with `insufficient_funds`.
    InsufficientFunds,
    /// Never answers.
    NeverAnswer,
    /// Answers `unavailable` the first N times per order, then approves.
    Flaky,
}

const BEHAVIOURS: [Behaviour; 5] = [
    Behaviour::Approve,
    Behaviour::Decline,
    Behaviour::InsufficientFunds,
    Behaviour::NeverAnswer,
    Behaviour::Flaky,
];

impl Behaviour {
    /// The behaviour of a card number (separators allowed): a test card's, else approve.
    pub fn of_number(number: &str) -> Behaviour {
        match digits(number).as_str() {
            CARD_DECLINES => Behaviour::Decline,
            CARD_INSUFFICIENT_FUNDS => Behaviour::InsufficientFunds,
            CARD_NEVER_ANSWERS => Behaviour::NeverAnswer,
            CARD_FLAKY => Behaviour::Flaky,
            _ => Behaviour::Approve,
        }
    }

    /// Its name in a token.
    fn name(self) -> &'static str {
        match self {
            Behaviour::Approve => "approve",
            Behaviour::Decline => "declined",
            Behaviour::InsufficientFunds => "insufficient",
            Behaviour::NeverAnswer => "never",
            Behaviour::Flaky => "flaky",
        }
    }

    fn from_name(name: &str) -> Option<Behaviour> {
        BEHAVIOURS
            .into_iter()
            .find(|behaviour| behaviour.name() == name)
    }
}

/// What a token stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenCard {
    /// How the card answers.
    pub behaviour: Behaviour,
    /// What a payment keeps of the card.
    pub card: CardSummary,
}

/// A token for `card`, which the service has already checked: the same for the same
/// `idempotency_key`, a new one without.
pub fn mint(card: &Card, idempotency_key: Option<&str>) -> String {
    let number = digits(&card.number);
    let last_four = number
        .get(number.len().saturating_sub(4)..)
        .unwrap_or_default();
    format!(
        "{PREFIX}{}_{}_{last_four}_{:02}{:04}_{}",
        Behaviour::of_number(&number).name(),
        card::brand(&number),
        card.expiry_month,
        card.expiry_year,
        idempotency_key.map_or_else(ulid::Ulid::new, ulid_of_key)
    )
}

/// The ULID a token minted under `idempotency_key` carries: its SHA-256 digest's first 16
/// bytes, so keys never collide in practice and the key cannot be read back from the token.
fn ulid_of_key(idempotency_key: &str) -> ulid::Ulid {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(idempotency_key.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    ulid::Ulid::from_bytes(bytes)
}

/// What `token` stands for, if it is a well-formed simulated token.
pub fn read(token: &str) -> Option<TokenCard> {
    let mut parts = token.strip_prefix(PREFIX)?.split('_');
    let behaviour = Behaviour::from_name(parts.next()?)?;
    let brand = parts.next()?;
    let brand = card::BRANDS.into_iter().find(|known| *known == brand)?;
    let last_four = parts.next()?;
    let expiry = parts.next()?;
    let random = parts.next()?;
    let all_digits = |text: &str, length: usize| {
        text.len() == length && text.bytes().all(|byte| byte.is_ascii_digit())
    };
    if parts.next().is_some() || !all_digits(last_four, 4) || !all_digits(expiry, 6) {
        return None;
    }
    let expiry_month: u8 = expiry.get(..2)?.parse().ok()?;
    let expiry_year: u16 = expiry.get(2..)?.parse().ok()?;
    if !(1..=12).contains(&expiry_month) {
        return None;
    }
    ulid::Ulid::from_string(random).ok()?;
    Some(TokenCard {
        behaviour,
        card: CardSummary {
            brand: brand.to_owned(),
            last_four: last_four.to_owned(),
            expiry_month,
            expiry_year,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payments::simulated::CARD_APPROVES;

    fn card(number: &str) -> Card {
        Card {
            number: number.to_owned(),
            expiry_month: 3,
            expiry_year: 2031,
            cvc: "0427".to_owned(),
            holder: "Genoveva Baldwin".to_owned(),
        }
    }

    #[test]
    fn a_token_reads_back_as_its_card_and_behaviour() {
        for (number, behaviour) in [
            (CARD_APPROVES, Behaviour::Approve),
            ("4000 0000 0000 0002", Behaviour::Decline),
            (CARD_INSUFFICIENT_FUNDS, Behaviour::InsufficientFunds),
            (CARD_NEVER_ANSWERS, Behaviour::NeverAnswer),
            (CARD_FLAKY, Behaviour::Flaky),
            ("5555 5555 5555 4444", Behaviour::Approve),
        ] {
            let token = mint(&card(number), None);
            let digits = digits(number);
            assert!(
                !token.contains(&digits) && !token.contains(number),
                "{token}"
            );
            assert!(!token.contains("0427"), "{token} holds the CVC");
            let read = read(&token);
            assert_eq!(
                read,
                Some(TokenCard {
                    behaviour,
                    card: CardSummary {
                        brand: card::brand(&digits).to_owned(),
                        last_four: digits[digits.len() - 4..].to_owned(),
                        expiry_month: 3,
                        expiry_year: 2031,
                    },
                }),
                "{token}"
            );
        }
        let visa = card(CARD_APPROVES);
        assert_ne!(mint(&visa, None), mint(&visa, None), "every token is new");
        assert!(mint(&visa, None).starts_with("tok_sim_approve_visa_4242_032031_"));
    }

    #[test]
    fn malformed_tokens_read_as_nothing() {
        let good = mint(&card(CARD_APPROVES), None);
        let ulid = good.rsplit('_').next().unwrap_or_default().to_owned();
        for bad in [
            String::new(),
            "tok_sim_".to_owned(),
            good.replacen("tok_sim_", "tok_real_", 1),
            good.replacen("approve", "steal", 1),
            good.replacen("visa", "diners", 1),
            good.replacen("_4242_", "_424_", 1),
            good.replacen("_032031_", "_132031_", 1),
            good.replacen("_032031_", "_03203_", 1),
            good.replacen(&ulid, "not-a-ulid", 1),
            format!("{good}_extra"),
            format!("tok_sim_approve_visa_4242_032031_{}", "\u{e9}".repeat(13)),
        ] {
            assert_eq!(read(&bad), None, "{bad:?}");
        }
    }
}
