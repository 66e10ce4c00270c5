//! The simulated payment provider that ships as the default, with test cards.
//!
//! It answers from memory, so demos and tests need no network. Test cards (spaces optional,
//! any future expiry, any 3 or 4 digit CVC):
//!
//! | card number           | authorize                                                        |
//! |-----------------------|------------------------------------------------------------------|
//! | `4242 4242 4242 4242` | approves                                                         |
//! | `4000 0000 0000 0002` | declines with `card_declined`                                    |
//! | `4000 0000 0000 9995` | declines with `insufficient_funds`                               |
//! | `4000 0000 0000 0119` | never answers; the service's provider timeout answers `timeout`  |
//! | `4000 0000 0000 0259` | `unavailable` the first N times per order, then approves          |
//!
//! Any other number that passes the service's card checks approves.
//! A card can be exchanged for a token (see `token`) that carries the card's behaviour and
//! summary but never its number or CVC; authorizing with the token answers as the card would,
//! also after a restart, since the simulator keeps nothing about tokens.
//! N is `--flaky-card-failures` (`BIKESTORE_ORDERS_FLAKY_CARD_FAILURES`, default 2). The attempt
//! counter lives in this simulator's memory, keyed by order ID: it starts again at zero when
//! the service restarts, and two service instances count separately.
//!
//! Every call is idempotent by its provider key: a repeated key gets the first answer, so a
//! repeated authorize never holds twice. Holds, captures and refunds are checked against the
//! simulator's own books (capture at most the hold, once; refund at most what was captured).
//! Those books are in memory too: for a hold it does not know (one made before a restart) it
//! trusts the service's records, which enforce the same rules. It never keeps or logs a card
//! number or CVC: it looks at the number only to pick the test card's behaviour.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use bikestore_contracts::orders::{Card, CardSummary};
use bikestore_contracts::{Cents, OrderId};

use super::provider::{
    Authorization, AuthorizeRequest, CARD_DECLINED, CaptureRequest, INSUFFICIENT_FUNDS,
    PaymentMethod, PaymentProvider, ProviderError, ProviderFuture, Receipt, RefundRequest,
    VoidRequest,
};

mod token;

use token::Behaviour;

/// Approves.
pub const CARD_APPROVES: &str = "4242424242424242";
/// Declines with `card_declined`.
pub const CARD_DECLINES: &str = "4000000000000002";
/// Declines with `insufficient_funds`.
pub const CARD_INSUFFICIENT_FUNDS: &str = "4000000000009995";
/// Never answers.
pub const CARD_NEVER_ANSWERS: &str = "4000000000000119";
/// Answers `unavailable` the first N times per order, then approves.
pub const CARD_FLAKY: &str = "4000000000000259";

/// The simulated provider; see the module documentation for its test cards.
#[derive(Debug)]
pub struct SimulatedProvider {
    flaky_failures: u32,
    books: Mutex<Books>,
}

#[derive(Debug, Default)]
struct Books {
    /// Answers given, by provider idempotency key.
    authorizations: HashMap<String, Authorization>,
    receipts: HashMap<String, Result<Receipt, ProviderError>>,
    /// Holds placed, by reference.
    holds: HashMap<String, Hold>,
    /// Failed attempts of the flaky card, by order.
    flaky_attempts: HashMap<OrderId, u32>,
}

#[derive(Debug, Clone, Copy)]
struct Hold {
    amount: Cents,
    captured: Option<Cents>,
    voided: bool,
    refunded: Cents,
}

impl SimulatedProvider {
    /// A simulator whose flaky card fails `flaky_failures` times per order before approving.
    pub fn new(flaky_failures: u32) -> SimulatedProvider {
        SimulatedProvider {
            flaky_failures,
            books: Mutex::new(Books::default()),
        }
    }

    /// How many holds have been placed: a repeated authorize does not add one.
    pub fn holds(&self) -> usize {
        self.books().holds.len()
    }

    fn books(&self) -> MutexGuard<'_, Books> {
        // A panic while holding the lock leaves the books as consistent as any single insert.
        self.books
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn decide(
        &self,
        request: &AuthorizeRequest<'_>,
    ) -> Option<Result<Authorization, ProviderError>> {
        let mut books = self.books();
        if let Some(answer) = books.authorizations.get(request.idempotency_key) {
            return Some(Ok(answer.clone()));
        }
        let behaviour = match request.method {
            PaymentMethod::Card(card) => Behaviour::of_number(&card.number),
            PaymentMethod::Token(token) => match token::read(token) {
                Some(token_card) => token_card.behaviour,
                None => return Some(Err(ProviderError::UnknownToken)),
            },
        };
        let answer = match behaviour {
            Behaviour::NeverAnswer => return None,
            Behaviour::Decline => Authorization::Declined {
                reason: CARD_DECLINED.to_owned(),
            },
            Behaviour::InsufficientFunds => Authorization::Declined {
                reason: INSUFFICIENT_FUNDS.to_owned(),
            },
            Behaviour::Flaky => {
                let attempts = books.flaky_attempts.entry(request.order_id).or_default();
                if *attempts < self.flaky_failures {
                    *attempts += 1;
                    return Some(Err(ProviderError::Unavailable(format!(
                        "simulated outage for order {} (attempt {} of {} that fail)",
                        request.order_id, attempts, self.flaky_failures
                    ))));
                }
                self.approve(&mut books, request.amount)
            }
            Behaviour::Approve => self.approve(&mut books, request.amount),
        };
        books
            .authorizations
            .insert(request.idempotency_key.to_owned(), answer.clone());
        Some(Ok(answer))
    }

    fn approve(&self, books: &mut Books, amount: Cents) -> Authorization {
        let reference = format!("sim_auth_{}", ulid::Ulid::new());
        books.holds.insert(
            reference.clone(),
            Hold {
                amount,
                captured: None,
                voided: false,
                refunded: Cents(0),
            },
        );
        Authorization::Approved { reference }
    }

    /// Answers `key` once: a repeat gets the recorded answer; otherwise `apply` changes the
    /// hold (if known) and its answer is recorded.
    fn settle(
        &self,
        key: &str,
        reference: &str,
        kind: &str,
        apply: impl FnOnce(&mut Hold) -> Result<(), String>,
    ) -> Result<Receipt, ProviderError> {
        let mut books = self.books();
        if let Some(answer) = books.receipts.get(key) {
            return answer.clone();
        }
        let outcome = match books.holds.get_mut(reference) {
            Some(hold) => apply(hold).map_err(ProviderError::Refused),
            None => Ok(()),
        };
        let answer = outcome.map(|()| Receipt {
            reference: format!("sim_{kind}_{}", ulid::Ulid::new()),
        });
        books.receipts.insert(key.to_owned(), answer.clone());
        answer
    }
}

impl PaymentProvider for SimulatedProvider {
    fn name(&self) -> &'static str {
        "simulated"
    }

    fn tokenize<'a>(
        &'a self,
        card: &'a Card,
        idempotency_key: Option<&'a str>,
    ) -> ProviderFuture<'a, String> {
        Box::pin(std::future::ready(Ok(token::mint(card, idempotency_key))))
    }

    fn token_card<'a>(&'a self, token: &'a str) -> ProviderFuture<'a, CardSummary> {
        let answer = token::read(token)
            .map(|token_card| token_card.card)
            .ok_or(ProviderError::UnknownToken);
        Box::pin(std::future::ready(answer))
    }

    fn authorize<'a>(&'a self, request: AuthorizeRequest<'a>) -> ProviderFuture<'a, Authorization> {
        match self.decide(&request) {
            Some(answer) => Box::pin(std::future::ready(answer)),
            // The never-answering test card: the future stays pending for ever, as a provider
            // that lost the request would; the caller's timeout must end the wait.
            None => Box::pin(std::future::pending()),
        }
    }

    fn capture<'a>(&'a self, request: CaptureRequest<'a>) -> ProviderFuture<'a, Receipt> {
        let answer = self.settle(
            request.idempotency_key,
            request.reference,
            "capture",
            |hold| {
                if hold.voided || hold.captured.is_some() {
                    return Err("the hold was already voided or captured".to_owned());
                }
                if request.amount > hold.amount {
                    return Err(format!(
                        "capture of {} exceeds the hold of {}",
                        request.amount, hold.amount
                    ));
                }
                hold.captured = Some(request.amount);
                Ok(())
            },
        );
        Box::pin(std::future::ready(answer))
    }

    fn void<'a>(&'a self, request: VoidRequest<'a>) -> ProviderFuture<'a, Receipt> {
        let answer = self.settle(request.idempotency_key, request.reference, "void", |hold| {
            if hold.captured.is_some() {
                return Err("a captured hold cannot be voided".to_owned());
            }
            hold.voided = true;
            Ok(())
        });
        Box::pin(std::future::ready(answer))
    }

    fn refund<'a>(&'a self, request: RefundRequest<'a>) -> ProviderFuture<'a, Receipt> {
        let answer = self.settle(
            request.idempotency_key,
            request.reference,
            "refund",
            |hold| {
                let captured = hold.captured.unwrap_or_default();
                if Cents(hold.refunded.0 + request.amount.0) > captured {
                    return Err(format!("refunds would exceed the {captured} captured"));
                }
                hold.refunded = Cents(hold.refunded.0 + request.amount.0);
                Ok(())
            },
        );
        Box::pin(std::future::ready(answer))
    }
}

#[cfg(test)]
mod tests;
