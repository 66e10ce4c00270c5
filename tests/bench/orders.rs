//! The load: place-order requests to the orchestrator's intake, each waiting for its saga to
//! end (`wait_ms`), so a call's latency is intake to terminal state. They go straight to the
//! intake's `svc` subject, or (`--through-gateway`) signed by a sales member of the order's
//! store to its `api` subject, through the gateway. Orders are drawn
//! deterministically from the call's index: a customer, a shelf, and whether the card declines
//! or the quantity is more than the store holds.

use std::sync::Arc;
use std::time::Duration;

use bikestore_contracts::orders::Card;
use bikestore_contracts::sagas::{PlaceOrder, PlaceOrderLine, SagaId, SagaStarted, SagaState};
use bikestore_contracts::{CustomerId, ErrorCode, StaffId};
use bikestore_runtime::call::{CallOptions, Caller};

use crate::front::Staff;
use crate::random;
use crate::stack::{Shelf, TOP_UP};

/// The test card the simulated provider approves.
const APPROVING_CARD: &str = "4242 4242 4242 4242";
/// The test card it declines.
const DECLINING_CARD: &str = "4000 0000 0000 0002";
/// How long the intake may wait for a saga to end before answering with its current state.
const WAIT: Duration = Duration::from_secs(60);
/// How long the caller waits for the intake's answer: a little longer than the intake waits.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(WAIT.as_secs() + 10);

/// What an order is meant to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// In stock, approving card: the saga completes.
    Approve,
    /// Declining card: the saga compensates and fails.
    Decline,
    /// More than the store holds: the saga compensates and fails.
    ShortStock,
}

/// How a placed order ended, as the intake answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Completed,
    Failed,
    Stuck,
    /// The intake answered before the saga ended, or the call timed out.
    Timeout,
    /// The intake answered with an error.
    Error(ErrorCode),
}

/// One placed order.
#[derive(Debug, Clone)]
pub struct Placed {
    pub kind: Kind,
    pub verdict: Verdict,
    pub saga_id: Option<SagaId>,
}

impl Placed {
    /// Whether the saga ended as its kind says it should.
    pub fn expected(&self) -> bool {
        matches!(
            (self.kind, self.verdict),
            (Kind::Approve, Verdict::Completed)
                | (Kind::Decline | Kind::ShortStock, Verdict::Failed)
        )
    }
}

/// Outcome counts of a run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Outcomes {
    pub completed: u64,
    pub failed: u64,
    pub stuck: u64,
    pub timeouts: u64,
    pub errors: u64,
    /// Ended otherwise than their kind says (a declined card that completed, ...).
    pub unexpected: u64,
    pub declines: u64,
    pub short_stock: u64,
}

impl Outcomes {
    /// Counts `placed`.
    pub fn of(placed: &[Placed]) -> Outcomes {
        let mut outcomes = Outcomes::default();
        for order in placed {
            match order.verdict {
                Verdict::Completed => outcomes.completed += 1,
                Verdict::Failed => outcomes.failed += 1,
                Verdict::Stuck => outcomes.stuck += 1,
                Verdict::Timeout => outcomes.timeouts += 1,
                Verdict::Error(_) => outcomes.errors += 1,
            }
            match order.kind {
                Kind::Approve => {}
                Kind::Decline => outcomes.declines += 1,
                Kind::ShortStock => outcomes.short_stock += 1,
            }
            if !order.expected() {
                outcomes.unexpected += 1;
            }
        }
        outcomes
    }

    /// Whether every saga reached a terminal state.
    pub fn all_terminal(&self) -> bool {
        self.stuck == 0 && self.timeouts == 0 && self.errors == 0
    }
}

/// How orders reach the orchestrator.
#[derive(Clone)]
pub enum Route {
    /// Straight to the intake's `svc` subject, unsigned, as another service would call it.
    Direct(Caller),
    /// To its `api` subject through the gateway, signed by a logged-in member of staff.
    Signed(Staff),
}

/// Builds and places orders.
#[derive(Clone)]
pub struct OrderMaker {
    route: Route,
    customers: i64,
    shelves: Arc<Vec<Shelf>>,
    decline_share: f64,
    short_stock_share: f64,
    /// Makes idempotency keys unique to this run (and phase).
    key_prefix: String,
    expiry_year: u16,
}

impl OrderMaker {
    pub fn new(
        route: Route,
        customers: i64,
        shelves: Vec<Shelf>,
        decline_share: f64,
        short_stock_share: f64,
    ) -> anyhow::Result<OrderMaker> {
        anyhow::ensure!(customers > 0, "no customers were seeded");
        anyhow::ensure!(!shelves.is_empty(), "no stock to order from");
        Ok(OrderMaker {
            route,
            customers,
            shelves: Arc::new(shelves),
            decline_share,
            short_stock_share,
            key_prefix: format!("bench-{}", ulid::Ulid::new()),
            expiry_year: next_year()?,
        })
    }

    /// The same maker with its own idempotency keys, for another phase (the warm-up).
    pub fn phase(&self, phase: &str) -> OrderMaker {
        OrderMaker {
            key_prefix: format!("{}-{phase}", self.key_prefix),
            ..self.clone()
        }
    }

    /// What order `index` is meant to do.
    pub fn kind(&self, index: u64) -> Kind {
        let draw = random::fraction(index ^ 0xD1CE);
        if draw < self.decline_share {
            Kind::Decline
        } else if draw < self.decline_share + self.short_stock_share {
            Kind::ShortStock
        } else {
            Kind::Approve
        }
    }

    /// Order `index`.
    pub fn request(&self, index: u64) -> (Kind, PlaceOrder) {
        let kind = self.kind(index);
        let mut random = random::SplitMix::new(index);
        let shelf = self.shelves[random.below(self.shelves.len() as u64) as usize];
        let customer_id = CustomerId(1 + random.below(self.customers as u64) as i64);
        let number = match kind {
            Kind::Decline => DECLINING_CARD,
            Kind::Approve | Kind::ShortStock => APPROVING_CARD,
        };
        let quantity = match kind {
            // Always more than the shelf holds: the top-up plus the most any store was seeded with.
            Kind::ShortStock => TOP_UP * 2,
            Kind::Approve | Kind::Decline => 1,
        };
        let request = PlaceOrder {
            customer_id,
            store_id: shelf.store_id,
            staff_id: StaffId(1),
            lines: vec![PlaceOrderLine {
                product_id: shelf.product_id,
                quantity,
                discount_percent: 0,
                list_price: None,
            }],
            card: Card {
                number: number.to_owned(),
                expiry_month: 12,
                expiry_year: self.expiry_year,
                cvc: "123".to_owned(),
                holder: "Bench Customer".to_owned(),
            },
            wait_ms: Some(WAIT.as_millis() as u64),
        };
        (kind, request)
    }

    /// Places order `index` and waits for its saga's outcome.
    pub async fn place(&self, index: u64) -> Placed {
        let (kind, mut request) = self.request(index);
        let idempotency_key = Some(format!("{}-{index}", self.key_prefix));
        let answer = match &self.route {
            Route::Direct(caller) => {
                let options = CallOptions {
                    idempotency_key,
                    timeout: Some(ANSWER_TIMEOUT),
                    ..CallOptions::default()
                };
                caller
                    .call_with(&request, &options)
                    .await
                    .map_err(|error| error.code)
            }
            Route::Signed(staff) => {
                let session = staff.for_store(request.store_id, index);
                // The order names the member who places it, as a console's would.
                request.staff_id = session.whoami().staff_id;
                let options = bikestore_client::CallOptions {
                    idempotency_key,
                    timeout: Some(ANSWER_TIMEOUT),
                    ..bikestore_client::CallOptions::default()
                };
                session
                    .call_with(&request, options)
                    .await
                    .map_err(|error| error.code())
            }
        };
        match answer {
            Ok(started) => Placed {
                kind,
                verdict: verdict(&started),
                saga_id: Some(started.saga_id),
            },
            Err(ErrorCode::Timeout) => Placed {
                kind,
                verdict: Verdict::Timeout,
                saga_id: None,
            },
            Err(code) => Placed {
                kind,
                verdict: Verdict::Error(code),
                saga_id: None,
            },
        }
    }
}

fn verdict(started: &SagaStarted) -> Verdict {
    match started.state {
        SagaState::Completed => Verdict::Completed,
        SagaState::Failed => Verdict::Failed,
        SagaState::Stuck => Verdict::Stuck,
        SagaState::Running | SagaState::Compensating => Verdict::Timeout,
        // Nobody resolves a benchmark saga by hand; count it as a stuck one.
        SagaState::Resolved => Verdict::Stuck,
    }
}

/// A card expiry year safely in the future: next calendar year.
fn next_year() -> anyhow::Result<u16> {
    let milliseconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis();
    let year = bikestore_contracts::calendar::CalendarTime::utc(i64::try_from(milliseconds)?).year;
    Ok(u16::try_from(year + 1)?)
}
