//! The orchestrator's contracts: saga intake ([`intake`]) and operator requests, and the saga
//! record kept as JSON in the `sagas` KV bucket (readable with `nats kv get sagas <id>`).

use serde::{Deserialize, Serialize};

use crate::error::WireError;
use crate::ids::{CustomerId, OrderId, PaymentId, ProductId, ReservationId, StaffId, StoreId};
use crate::message;
use crate::orders::OrderLine;

mod intake;
pub use intake::*;

/// Names a saga: a ULID, or a digest of the caller's idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SagaId(pub String);

impl std::fmt::Display for SagaId {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// Where a saga stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SagaState {
    /// Running its steps forward.
    Running,
    /// Undoing the steps done, in reverse.
    Compensating,
    /// Every step done.
    Completed,
    /// A step failed and every done step was compensated.
    Failed,
    /// A compensation kept failing; an operator must retry or resolve it.
    Stuck,
    /// Ended by hand by an operator, with a reason.
    Resolved,
}

impl SagaState {
    /// Every state, in the order statistics list them.
    pub const ALL: [SagaState; 6] = [
        SagaState::Running,
        SagaState::Compensating,
        SagaState::Completed,
        SagaState::Failed,
        SagaState::Stuck,
        SagaState::Resolved,
    ];

    /// Its wire name, as JSON spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            SagaState::Running => "running",
            SagaState::Compensating => "compensating",
            SagaState::Completed => "completed",
            SagaState::Failed => "failed",
            SagaState::Stuck => "stuck",
            SagaState::Resolved => "resolved",
        }
    }

    /// Whether the saga has ended.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            SagaState::Completed | SagaState::Failed | SagaState::Resolved
        )
    }
}

/// Whether a history entry ran a step's action or its compensation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// The step's action.
    Action,
    /// The step's compensation.
    Compensation,
}

/// How one attempt of a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It succeeded.
    Succeeded,
    /// It failed for good (a business refusal, or retries exhausted).
    Failed,
    /// It failed for now and will be retried.
    Retrying,
    /// It was skipped (nothing to do).
    Skipped,
}

/// One attempt of one step, in a saga's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryEntry {
    /// The step's name.
    pub step: String,
    /// Action or compensation.
    pub phase: Phase,
    /// The attempt, from 1.
    pub attempt: u32,
    /// How it ended.
    pub outcome: Outcome,
    /// The error, if it failed.
    pub error: Option<WireError>,
    /// When it started, in milliseconds since the Unix epoch.
    pub started_at_ms: i64,
    /// When it ended.
    pub finished_at_ms: i64,
}

/// What a place-order saga works on: its input and what its steps learned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceOrderSaga {
    /// Who buys.
    pub customer_id: CustomerId,
    /// Which store sells.
    pub store_id: StoreId,
    /// Who took the order.
    pub staff_id: StaffId,
    /// What is bought.
    pub lines: Vec<OrderLine>,
    /// The provider's token for the card; the card itself is never kept.
    pub card_token: String,
    /// Set by `create_order`.
    #[serde(default)]
    pub order_id: Option<OrderId>,
    /// Set by `create_order`: what to authorize.
    #[serde(default)]
    pub total: Option<crate::Cents>,
    /// Set by `reserve_stock`.
    #[serde(default)]
    pub reservation_id: Option<ReservationId>,
    /// Set by `authorize_payment`.
    #[serde(default)]
    pub payment_id: Option<PaymentId>,
    /// Set by `capture_payment`: undoing the payment then means a refund, not a void.
    #[serde(default)]
    pub captured: bool,
    /// Why the saga failed, for the rejection sent to the customer.
    #[serde(default)]
    pub failure_reason: Option<String>,
    /// The reservation ID this run reserves under: random, chosen at intake and again when an
    /// operator re-runs the saga, so nobody can guess it and reserve it first. `None` in a
    /// record written before, which reserves under `order-<order id>`.
    #[serde(default)]
    pub reserve_as: Option<ReservationId>,
}

/// What a cancel-order saga works on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelOrderSaga {
    /// The order to cancel.
    pub order_id: OrderId,
    /// Why, for the customer.
    pub reason: String,
    /// The order's store, read at intake so the saga's progress goes to that store's consoles;
    /// `None` only in a record written before sagas named their store, until its first step
    /// has read the order.
    #[serde(default)]
    pub store_id: Option<StoreId>,
    /// Set by `cancel_order` from the order: the reservation whose stock goes back. `None`
    /// for orders that do not name one, whose stock is held under `order-<order id>`.
    #[serde(default)]
    pub reservation_id: Option<ReservationId>,
}

/// What a transfer-stock saga works on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferStockSaga {
    /// The store giving the stock.
    pub from_store_id: StoreId,
    /// The store receiving it.
    pub to_store_id: StoreId,
    /// The product.
    pub product_id: ProductId,
    /// How many units.
    pub quantity: i64,
    /// Set by `reserve_at_source`.
    #[serde(default)]
    pub reservation_id: Option<ReservationId>,
}

/// A saga's working data, by kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SagaPayload {
    /// Place an order.
    PlaceOrder(PlaceOrderSaga),
    /// Cancel an order.
    CancelOrder(CancelOrderSaga),
    /// Move stock between stores.
    TransferStock(TransferStockSaga),
}

impl SagaPayload {
    /// The store the saga belongs to, whose consoles follow its progress: the store that sells
    /// (place order), the order's store (cancel order) or the store giving the stock (transfer
    /// stock). `None` only for a cancel-order record whose store is not known yet (see
    /// [`CancelOrderSaga::store_id`]).
    pub fn store_id(&self) -> Option<StoreId> {
        match self {
            SagaPayload::PlaceOrder(saga) => Some(saga.store_id),
            SagaPayload::CancelOrder(saga) => saga.store_id,
            SagaPayload::TransferStock(saga) => Some(saga.from_store_id),
        }
    }
}

/// The saga record: the truth about one saga, one key in the `sagas` bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SagaRecord {
    /// Its ID, also its key.
    pub saga_id: SagaId,
    /// The definition it runs (`place_order`, ...).
    pub definition: String,
    /// The definition's version; a saga finishes under the version it started with.
    pub version: u32,
    /// Where it stands.
    pub state: SagaState,
    /// The step being run (forward) or compensated (backward), as an index.
    pub step: u32,
    /// Attempts made at the current step.
    pub attempt: u32,
    /// How many times an operator restarted the saga; part of every step's idempotency key,
    /// so a re-run is not answered with the first run's recorded replies.
    #[serde(default)]
    pub run: u32,
    /// Steps completed forward, so compensation knows what to undo.
    pub completed_steps: u32,
    /// Its data.
    pub payload: SagaPayload,
    /// The last error, if any.
    #[serde(default)]
    pub error: Option<WireError>,
    /// What happened, oldest first, bounded to the newest entries.
    pub history: Vec<HistoryEntry>,
    /// History entries dropped to keep the record small.
    #[serde(default)]
    pub history_dropped: u32,
    /// When a waiting retry is due, in milliseconds since the Unix epoch.
    #[serde(default)]
    pub retry_at_ms: Option<i64>,
    /// For a resolved saga: who resolved it and why.
    #[serde(default)]
    pub resolution: Option<String>,
    /// The driver allowed to advance the saga, until when: nobody else sends its requests
    /// before the lease ends. `None` while nobody drives it (waiting for a retry, ended).
    #[serde(default)]
    pub lease: Option<Lease>,
    /// While compensating: the step whose last attempt ended with an unknown outcome (a
    /// timeout, no answer) and may have taken effect. Its action is asked again under the same
    /// idempotency key first (the participant's inbox answers a repeat with what it did), so
    /// its compensation knows what to undo.
    #[serde(default)]
    pub uncertain_step: Option<u32>,
    /// Whether the record may be behind its participants. A driver does not write the steps
    /// that go through (their participants keep the replies), so one that stopped without
    /// letting go (it died, or its caller's wait ended) may have done steps the record does
    /// not show; the driver that takes over sets this. Until a step is answered with work done
    /// now rather than a reply replayed from the participant's inbox, or is refused, a step
    /// that gives no answer is asked again later rather than given up: giving up would undo
    /// the steps before it and leave those after it, done unseen, in place.
    #[serde(default)]
    pub may_be_behind: bool,
    /// When it was created.
    pub created_at_ms: i64,
    /// Whether its steps' idempotency keys begin with its creation time, so that each
    /// participant's inbox (keyed by them) adds the rows of the sagas in flight side by side at
    /// the end of its table rather than on random pages. `false` in a record written before:
    /// its keys begin with the saga ID, as its participants recorded them. A record with it
    /// set is refused by an orchestrator that predates it (which would key its steps the old
    /// way), as is any record a newer one has written since.
    #[serde(default)]
    pub keys_by_time: bool,
    /// When it last changed.
    pub updated_at_ms: i64,
    /// The W3C `traceparent` of the request that started it: each step's span continues that
    /// trace, so one order reads as one trace through every service, across retries, recovery
    /// and restarts.
    #[serde(default)]
    pub traceparent: Option<String>,
}

/// Who drives a saga now ([`SagaRecord::lease`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lease {
    /// The driver: one orchestrator engine, named at its start.
    pub holder: String,
    /// When the lease ends, in milliseconds since the Unix epoch, unless its holder renews it.
    pub until_ms: i64,
}

// ---------------------------------------------------------------- operators

/// Reads one saga record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetSaga {
    /// The saga.
    pub saga_id: SagaId,
}

/// Lists sagas, newest first; every filter optional.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ListSagas {
    /// Only in this state.
    #[serde(default)]
    pub state: Option<SagaState>,
    /// Only of this definition.
    #[serde(default)]
    pub definition: Option<String>,
    /// Only those created at least this many milliseconds ago.
    #[serde(default)]
    pub older_than_ms: Option<i64>,
    /// At most this many (default 100).
    #[serde(default)]
    pub limit: Option<u32>,
    /// Only of this store ([`SagaPayload::store_id`]); the gateway sets it to the caller's
    /// store for members other than admins.
    #[serde(default)]
    pub store_id: Option<StoreId>,
}

/// A list of saga records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SagaList {
    /// The sagas, newest first.
    pub sagas: Vec<SagaRecord>,
}

/// Retries a stuck or failed saga from where it stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetrySaga {
    /// The saga.
    pub saga_id: SagaId,
}

/// Ends a saga by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolveSaga {
    /// The saga.
    pub saga_id: SagaId,
    /// Why, for the record.
    pub reason: String,
}

/// Counts and durations of sagas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SagaStats {
    /// Only of this store ([`SagaPayload::store_id`]); the gateway sets it to the caller's
    /// store for members other than admins.
    #[serde(default)]
    pub store_id: Option<StoreId>,
}

/// How many sagas are in one state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateCount {
    /// The state.
    pub state: SagaState,
    /// How many.
    pub count: u64,
}

/// Saga statistics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SagaStatsReport {
    /// Counts per state.
    pub counts: Vec<StateCount>,
    /// Duration percentiles of ended sagas, in milliseconds: p50, p90, p99, max.
    pub duration_ms: [i64; 4],
}

/// Published whenever a saga record changes, for live views: on core NATS only, at
/// `<prefix>.live.<store>.saga_progressed.<saga id>` for the saga's store
/// ([`SagaPayload::store_id`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SagaProgressed {
    /// The saga.
    pub saga_id: SagaId,
    /// Its definition.
    pub definition: String,
    /// Its state after the change.
    pub state: SagaState,
    /// The step it is at.
    pub step: String,
    /// The newest history entry.
    pub last: Option<HistoryEntry>,
}

// Version 2: lines are `PlaceOrderLine`s, priced by the saga from the catalog.
message!(query GetSaga => SagaRecord, Orchestrator."get_saga", v 1);
// Version 2: a cancel-order payload names its store. Postcard encodes by position, so a
// version 1 reader would misread every field after it; it refuses version 2 instead.
// Version 3: a place-order payload names the reservation it reserves under (`reserve_as`)
// and its lines their products' names; a cancel-order payload the order's reservation (version
// 2 gave a cancel-order payload its store).
// Version 7: `may_be_behind`, after `uncertain_step`.
message!(SagaRecord, "saga_record", v 7);
// Version 2 of `list_sagas` and `saga_stats`: a store filter at the end, which a version 1
// postcard body lacks.
message!(query ListSagas => SagaList, Orchestrator."list_sagas", v 2);
// Version 3 with the saga record's version 3.
// Version 5 with the saga record's version 7.
message!(SagaList, "saga_list", v 5);
message!(command RetrySaga => SagaRecord, Orchestrator."retry_saga", v 1);
message!(command ResolveSaga => SagaRecord, Orchestrator."resolve_saga", v 1);
message!(query SagaStats => SagaStatsReport, Orchestrator."saga_stats", v 2);
message!(SagaStatsReport, "saga_stats_report", v 1);
message!(event SagaProgressed, Orchestrator."saga_progressed", v 1);
