//! The table: every step of every saga, the fault it meets, and the end state expected.

use bikestore_contracts::ServiceName;
use bikestore_contracts::sagas::SagaState;

/// The three sagas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saga {
    PlaceOrder,
    CancelOrder,
    TransferStock,
}

/// The fault a case's step meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The participant refuses the step for a business reason, or (where the step has none)
    /// answers `unavailable` until it is started again without the fault.
    Refusal,
    /// The participant commits the step and aborts before replying; it is started again.
    Crash,
    /// The participant commits the step and replies after the step timeout; retries are left.
    LateRetried,
    /// As [`Fault::LateRetried`] with a single attempt: the step's outcome is unknown.
    LateOnce,
}

/// How a refusal case makes its step refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The order names a customer who does not exist.
    UnknownCustomer,
    /// More units than the store has.
    TooMany,
    /// A card the provider declines.
    DeclinedCard,
    /// The order was completed before it is cancelled.
    CompletedOrder,
    /// The transfer's destination store does not exist.
    UnknownDestination,
    /// No business refusal exists for the step: its operation answers `unavailable` instead.
    Unavailable,
}

/// What a customer and a shop see once the saga has ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Every step took effect once.
    Completed,
    /// Nothing is left of the saga's effects; `order` says whether an order was created (and
    /// so is rejected).
    Undone { order: bool },
    /// A cancel refused at its first step: the order keeps its status, money and stock.
    Refused,
}

/// One cell of the matrix.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    pub saga: Saga,
    pub step: &'static str,
    pub service: ServiceName,
    pub operation: &'static str,
    pub fault: Fault,
    pub refusal: Option<Refusal>,
    /// The state the saga first settles in; a stuck saga is retried by the operator once its
    /// participant runs without the fault.
    pub settles: SagaState,
    pub end: End,
}

/// A step of a saga: its name, its participant and its operation.
struct Step(&'static str, ServiceName, &'static str);

const PLACE_ORDER: [Step; 6] = [
    Step("create_order", ServiceName::Orders, "create_order"),
    Step("reserve_stock", ServiceName::Inventory, "reserve_stock"),
    Step(
        "authorize_payment",
        ServiceName::Orders,
        "authorize_with_token",
    ),
    Step("capture_payment", ServiceName::Orders, "capture_payment"),
    Step(
        "commit_reservation",
        ServiceName::Inventory,
        "commit_reservation",
    ),
    Step("confirm_order", ServiceName::Orders, "change_order_status"),
];

const CANCEL_ORDER: [Step; 3] = [
    Step("cancel_order", ServiceName::Orders, "change_order_status"),
    Step(
        "give_money_back",
        ServiceName::Orders,
        "cancel_order_payments",
    ),
    Step(
        "put_stock_back",
        ServiceName::Inventory,
        "return_reservation",
    ),
];

const TRANSFER_STOCK: [Step; 3] = [
    Step("reserve_at_source", ServiceName::Inventory, "reserve_stock"),
    Step(
        "receive_at_destination",
        ServiceName::Inventory,
        "receive_stock",
    ),
    Step(
        "commit_at_source",
        ServiceName::Inventory,
        "commit_reservation",
    ),
];

/// How step `index` of `saga` ends under `fault`: the refusal used, the state the saga
/// settles in, and the end state.
fn expected(saga: Saga, index: usize, fault: Fault) -> (Option<Refusal>, SagaState, End) {
    use End::*;
    use Refusal::*;
    use SagaState::{Completed as Done, Failed, Stuck};
    // The last step of place order and transfer stock, and every step of cancel order, cannot
    // be undone: when such a step's outcome is unknown, the engine asks it again and goes on
    // once it answers, rather than undoing the steps before it.
    let last = match saga {
        Saga::PlaceOrder => 5,
        Saga::CancelOrder => 0,
        Saga::TransferStock => 2,
    };
    let undoable = index < last;
    match (saga, fault) {
        // A participant that crashed is back before the retries run out; a late reply is
        // followed by a retry the inbox answers.
        (_, Fault::Crash | Fault::LateRetried) => (None, Done, Completed),
        (Saga::PlaceOrder, Fault::Refusal) => match index {
            0 => (Some(UnknownCustomer), Failed, Undone { order: false }),
            1 => (Some(TooMany), Failed, Undone { order: true }),
            2 => (Some(DeclinedCard), Failed, Undone { order: true }),
            // Capturing, committing and confirming have no business refusal: an unavailable
            // participant leaves the step's outcome unknown, and asking again fails too, so the
            // saga is stuck until an operator retries it with the participant back. Then the
            // step answers: a capture or a commit is undone with the rest, a confirmation goes
            // through.
            _ if undoable => (Some(Unavailable), Stuck, Undone { order: true }),
            _ => (Some(Unavailable), Stuck, Completed),
        },
        (Saga::CancelOrder, Fault::Refusal) => match index {
            0 => (Some(CompletedOrder), Failed, Refused),
            // Giving money back and putting stock back have no business refusal.
            _ => (Some(Unavailable), Stuck, Completed),
        },
        (Saga::TransferStock, Fault::Refusal) => match index {
            0 => (Some(TooMany), Failed, Undone { order: false }),
            1 => (Some(UnknownDestination), Failed, Undone { order: false }),
            // Committing has no business refusal.
            _ => (Some(Unavailable), Stuck, Completed),
        },
        // Asked again, the step answers from the inbox: undone with the steps before it where
        // it can be, gone through where it cannot.
        (_, Fault::LateOnce) if undoable => (
            None,
            Failed,
            Undone {
                order: saga == Saga::PlaceOrder,
            },
        ),
        (_, Fault::LateOnce) => (None, Done, Completed),
    }
}

/// Every case of `saga` meeting `fault`.
pub fn of(saga: Saga, fault: Fault) -> Vec<Case> {
    let steps: &[Step] = match saga {
        Saga::PlaceOrder => &PLACE_ORDER,
        Saga::CancelOrder => &CANCEL_ORDER,
        Saga::TransferStock => &TRANSFER_STOCK,
    };
    steps
        .iter()
        .enumerate()
        .map(|(index, Step(step, service, operation))| {
            let (refusal, settles, end) = expected(saga, index, fault);
            Case {
                saga,
                step,
                service: *service,
                operation,
                fault,
                refusal,
                settles,
                end,
            }
        })
        .collect()
}
