//! Sagas for operators (`sagas ls/show/retry/resolve/stats`), and how a saga started by another
//! command (`orders place`, `orders cancel`, `stock transfer`) is waited for and reported.

use std::time::Duration;

use bikestore_client::{CallOptions, ClientError, Session};
use bikestore_contracts::Request;
use bikestore_contracts::sagas::{
    GetSaga, HistoryEntry, ListSagas, Phase, ResolveSaga, RetrySaga, SagaId, SagaPayload,
    SagaRecord, SagaStarted, SagaState, SagaStats,
};
use bikestore_contracts::trace_context::TraceParent;

use crate::cli::exit::{CliError, describe_wire_error};
use crate::cli::output::{Printer, Table, View, name_of, or_dash, parse_wire_name, utc_time};

/// The longest `--wait-ms`: the gateway gives a forwarded request 10 s by default, so a longer
/// wait would end in its `timeout` instead of the saga's state.
const MAX_WAIT_MS: u64 = 9_000;
/// How much longer than the wait the call itself may take: intake, the reply's trip back.
const CALL_MARGIN: Duration = Duration::from_secs(5);

/// How a command that starts a saga waits for it and names it.
#[derive(Debug, Clone, clap::Args)]
pub struct WaitArgs {
    /// How long to wait for the saga's outcome, in milliseconds (0 to 9000).
    #[arg(long, default_value_t = 8_000, value_parser = clap::value_parser!(u64).range(0..=MAX_WAIT_MS))]
    pub wait_ms: u64,
    /// Names the saga: the same key never starts a second one, so a repeat after a timeout is
    /// safe [default: a new key, shown in the output].
    #[arg(long)]
    idempotency_key: Option<String>,
}

impl WaitArgs {
    /// The key the saga is started under: the given one, or a new one.
    fn idempotency_key(&self) -> String {
        self.idempotency_key
            .clone()
            .unwrap_or_else(|| format!("cli-{}", ulid::Ulid::new()))
    }

    /// The call options of the intake request under `idempotency_key`.
    fn call_options(&self, idempotency_key: &str) -> CallOptions {
        CallOptions {
            idempotency_key: Some(idempotency_key.to_owned()),
            timeout: Some(Duration::from_millis(self.wait_ms) + CALL_MARGIN),
            content_type: None,
        }
    }
}

/// Sends an intake `request` that starts a saga, waits as `wait` says, and reports the outcome:
/// an error unless the saga completed, else the reply.
pub async fn start_saga<R: Request<Reply = SagaStarted>>(
    session: &Session,
    printer: Printer,
    request: &R,
    wait: &WaitArgs,
) -> Result<SagaStarted, CliError> {
    let idempotency_key = wait.idempotency_key();
    let reply = session
        .call_with(request, wait.call_options(&idempotency_key))
        .await
        .map_err(|error| hint_on_transient(error, &idempotency_key))?;
    print_saga_outcome(printer, &reply, &idempotency_key)?;
    Ok(reply)
}

/// Tells how to repeat an intake safely when it failed in a way a repeat may cure.
fn hint_on_transient(error: ClientError, idempotency_key: &str) -> CliError {
    if error.code().is_transient() {
        eprintln!(
            "hint: repeat with --idempotency-key {idempotency_key} to reach the same saga, never a second one"
        );
    }
    CliError::Client(error)
}

/// Prints a started saga's outcome and fails unless it completed.
fn print_saga_outcome(
    printer: Printer,
    reply: &SagaStarted,
    idempotency_key: &str,
) -> Result<(), CliError> {
    printer.print(reply, |reply| {
        View::new().fields([
            ("saga id", reply.saga_id.to_string()),
            ("state", name_of(&reply.state)),
            ("order id", or_dash(reply.order_id)),
            ("idempotency key", idempotency_key.to_owned()),
            (
                "error",
                reply
                    .error
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), describe_wire_error),
            ),
        ])
    })?;
    if reply.state == SagaState::Completed {
        return Ok(());
    }
    Err(CliError::SagaNotCompleted {
        saga_id: reply.saga_id.clone(),
        state: reply.state,
        error: reply.error.clone(),
    })
}

/// `bikestore sagas ...`.
#[derive(Debug, clap::Subcommand)]
pub enum SagasCommand {
    /// List sagas, newest first.
    #[command(visible_alias = "list")]
    Ls {
        /// Only in this state: running, compensating, completed, failed, stuck or resolved.
        #[arg(long, value_parser = parse_wire_name::<SagaState>)]
        state: Option<SagaState>,
        /// Only of this definition: place_order, cancel_order or transfer_stock.
        #[arg(long)]
        definition: Option<String>,
        /// Only unchanged for at least this many milliseconds.
        #[arg(long)]
        older_than_ms: Option<i64>,
        /// At most this many.
        #[arg(long)]
        limit: Option<u32>,
    },
    /// One saga with its history.
    Show {
        /// The saga's ID.
        saga_id: String,
    },
    /// Resume a stuck saga's compensation, or re-run a failed saga (managers and admins).
    Retry {
        /// The saga's ID.
        saga_id: String,
    },
    /// End a stuck saga by hand, with the reason (managers and admins).
    Resolve {
        /// The saga's ID.
        saga_id: String,
        /// What was done by hand.
        #[arg(long)]
        reason: String,
    },
    /// How many sagas are in each state, and how long ended ones took.
    Stats,
}

impl SagasCommand {
    /// Runs the command.
    pub async fn run(self, session: &Session, printer: Printer) -> Result<(), CliError> {
        match self {
            SagasCommand::Ls {
                state,
                definition,
                older_than_ms,
                limit,
            } => {
                let reply = session
                    .call(&ListSagas {
                        state,
                        definition,
                        older_than_ms,
                        limit,
                        // The gateway keeps managers to their store; admins see the chain.
                        store_id: None,
                    })
                    .await?;
                printer.print(&reply, |reply| View::new().table(sagas_table(&reply.sagas)))
            }
            SagasCommand::Show { saga_id } => {
                let reply = session
                    .call(&GetSaga {
                        saga_id: SagaId(saga_id),
                    })
                    .await?;
                printer.print(&reply, saga_view)
            }
            SagasCommand::Retry { saga_id } => {
                let reply = session
                    .call(&RetrySaga {
                        saga_id: SagaId(saga_id),
                    })
                    .await?;
                printer.print(&reply, saga_view)
            }
            SagasCommand::Resolve { saga_id, reason } => {
                let reply = session
                    .call(&ResolveSaga {
                        saga_id: SagaId(saga_id),
                        reason,
                    })
                    .await?;
                printer.print(&reply, saga_view)
            }
            SagasCommand::Stats => {
                let reply = session.call(&SagaStats::default()).await?;
                printer.print(&reply, |reply| {
                    let mut table = Table::new(["STATE", "COUNT"]);
                    for count in &reply.counts {
                        table.row(vec![name_of(&count.state), count.count.to_string()]);
                    }
                    let [p50, p90, p99, max] = reply.duration_ms;
                    View::new().table(table).line(format!(
                        "\nended sagas took p50 {p50} ms, p90 {p90} ms, p99 {p99} ms, max {max} ms"
                    ))
                })
            }
        }
    }
}

fn sagas_table(sagas: &[SagaRecord]) -> Table {
    let mut table = Table::new(["ID", "DEFINITION", "STATE", "STEP", "UPDATED", "ERROR"]);
    for saga in sagas {
        table.row(vec![
            saga.saga_id.to_string(),
            saga.definition.clone(),
            name_of(&saga.state),
            saga.history
                .last()
                .map_or_else(|| "-".to_owned(), last_step),
            utc_time(saga.updated_at_ms),
            saga.error
                .as_ref()
                .map_or_else(|| "-".to_owned(), describe_wire_error),
        ]);
    }
    table
}

/// The step a saga ran last, marked when it was a compensation.
fn last_step(entry: &HistoryEntry) -> String {
    match entry.phase {
        Phase::Action => entry.step.clone(),
        Phase::Compensation => format!("{} (compensation)", entry.step),
    }
}

/// A saga record: what it is about, where it stands, and its history.
fn saga_view(saga: &SagaRecord) -> View {
    let mut fields = vec![
        ("saga id", saga.saga_id.to_string()),
        (
            "definition",
            format!("{} v{}", saga.definition, saga.version),
        ),
        ("state", name_of(&saga.state)),
        ("run", saga.run.to_string()),
        ("completed steps", saga.completed_steps.to_string()),
        ("created", utc_time(saga.created_at_ms)),
        ("updated", utc_time(saga.updated_at_ms)),
    ];
    // What to grep the services' logs for (README, "Tracing").
    if let Some(trace) = saga.traceparent.as_deref().and_then(TraceParent::parse) {
        fields.push(("trace id", trace.trace_id_hex()));
    }
    // The payload's IDs only: a place-order payload also holds the card's provider token,
    // which has no business on a screen.
    match &saga.payload {
        SagaPayload::PlaceOrder(order) => {
            fields.push(("order id", or_dash(order.order_id)));
            fields.push(("customer id", order.customer_id.to_string()));
            fields.push(("store id", order.store_id.to_string()));
            fields.push(("total", or_dash(order.total)));
        }
        SagaPayload::CancelOrder(cancel) => {
            fields.push(("order id", cancel.order_id.to_string()));
            fields.push(("reason", cancel.reason.clone()));
        }
        SagaPayload::TransferStock(transfer) => {
            fields.push(("from store", transfer.from_store_id.to_string()));
            fields.push(("to store", transfer.to_store_id.to_string()));
            fields.push(("product id", transfer.product_id.to_string()));
            fields.push(("quantity", transfer.quantity.to_string()));
        }
    }
    if let Some(error) = &saga.error {
        fields.push(("error", describe_wire_error(error)));
    }
    if let Some(resolution) = &saga.resolution {
        fields.push(("resolution", resolution.clone()));
    }
    if let Some(retry_at_ms) = saga.retry_at_ms {
        fields.push(("next attempt", utc_time(retry_at_ms)));
    }
    let mut history = Table::new([
        "STEP", "PHASE", "ATTEMPT", "OUTCOME", "STARTED", "MS", "ERROR",
    ]);
    for entry in &saga.history {
        history.row(vec![
            entry.step.clone(),
            name_of(&entry.phase),
            entry.attempt.to_string(),
            name_of(&entry.outcome),
            utc_time(entry.started_at_ms),
            (entry.finished_at_ms - entry.started_at_ms).to_string(),
            entry
                .error
                .as_ref()
                .map_or_else(|| "-".to_owned(), describe_wire_error),
        ]);
    }
    let view = View::new().fields(fields).table(history);
    if saga.history_dropped > 0 {
        view.line(format!(
            "({} older history entries dropped)",
            saga.history_dropped
        ))
    } else {
        view
    }
}
