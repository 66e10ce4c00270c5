//! Stock per store: `stock ls`, `stock low`, `stock receive`, `stock adjust` and
//! `stock transfer` (a saga between two stores).

use bikestore_client::Session;
use bikestore_contracts::inventory::{
    AdjustStock, LowStock, ReceiveStock, StockLevel, StockPage, StockUpdated, StoreStock,
};
use bikestore_contracts::sagas::TransferStock;
use bikestore_contracts::{ProductId, StoreId};

use crate::cli::PageArgs;
use crate::cli::exit::CliError;
use crate::cli::output::{Printer, Table, View};
use crate::cli::sagas::{WaitArgs, start_saga};

/// `bikestore stock ...`.
#[derive(Debug, clap::Subcommand)]
pub enum StockCommand {
    /// Stock levels of one store.
    #[command(visible_alias = "list")]
    Ls {
        /// The store.
        #[arg(long)]
        store: i64,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Products whose available stock is low.
    Low {
        /// Only this store.
        #[arg(long)]
        store: Option<i64>,
        /// At or below this many available [default: the service's threshold].
        #[arg(long)]
        threshold: Option<i64>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Add delivered units to a store's stock.
    Receive {
        /// The store.
        #[arg(long)]
        store: i64,
        /// The product.
        #[arg(long)]
        product: i64,
        /// How many units arrived.
        #[arg(long)]
        quantity: i64,
        /// Makes a retried command apply once.
        #[arg(long)]
        idempotency_key: Option<String>,
    },
    /// Correct a store's stock by a signed amount, with a reason.
    Adjust {
        /// The store.
        #[arg(long)]
        store: i64,
        /// The product.
        #[arg(long)]
        product: i64,
        /// Units to add (positive) or remove (negative).
        #[arg(long, allow_hyphen_values = true)]
        delta: i64,
        /// Why, for the record.
        #[arg(long)]
        reason: String,
        /// Makes a retried command apply once.
        #[arg(long)]
        idempotency_key: Option<String>,
    },
    /// Move units from one store to another (a saga), and wait for the outcome.
    Transfer {
        /// The store giving the stock.
        #[arg(long)]
        from: i64,
        /// The store receiving it.
        #[arg(long)]
        to: i64,
        /// The product.
        #[arg(long)]
        product: i64,
        /// How many units.
        #[arg(long)]
        quantity: i64,
        #[command(flatten)]
        wait: WaitArgs,
    },
}

impl StockCommand {
    /// Runs the command.
    pub async fn run(self, session: &Session, printer: Printer) -> Result<(), CliError> {
        match self {
            StockCommand::Ls { store, page } => {
                let reply = session
                    .call(&StoreStock {
                        store_id: StoreId(store),
                        page: page.page(),
                    })
                    .await?;
                print_stock_page(printer, &reply, page)
            }
            StockCommand::Low {
                store,
                threshold,
                page,
            } => {
                let reply = session
                    .call(&LowStock {
                        store_id: store.map(StoreId),
                        threshold,
                        page: page.page(),
                    })
                    .await?;
                print_stock_page(printer, &reply, page)
            }
            StockCommand::Receive {
                store,
                product,
                quantity,
                idempotency_key,
            } => {
                let request = ReceiveStock {
                    store_id: StoreId(store),
                    product_id: ProductId(product),
                    quantity,
                };
                let reply = session
                    .call_with(&request, command_options(idempotency_key))
                    .await?;
                print_level(printer, &reply)
            }
            StockCommand::Adjust {
                store,
                product,
                delta,
                reason,
                idempotency_key,
            } => {
                let request = AdjustStock {
                    store_id: StoreId(store),
                    product_id: ProductId(product),
                    delta,
                    reason,
                };
                let reply = session
                    .call_with(&request, command_options(idempotency_key))
                    .await?;
                print_level(printer, &reply)
            }
            StockCommand::Transfer {
                from,
                to,
                product,
                quantity,
                wait,
            } => {
                let request = TransferStock {
                    from_store_id: StoreId(from),
                    to_store_id: StoreId(to),
                    product_id: ProductId(product),
                    quantity,
                    wait_ms: Some(wait.wait_ms),
                };
                start_saga(session, printer, &request, &wait)
                    .await
                    .map(|_| ())
            }
        }
    }
}

/// Call options of a plain command with an optional idempotency key.
fn command_options(idempotency_key: Option<String>) -> bikestore_client::CallOptions {
    bikestore_client::CallOptions {
        idempotency_key,
        ..bikestore_client::CallOptions::default()
    }
}

fn print_stock_page(printer: Printer, reply: &StockPage, page: PageArgs) -> Result<(), CliError> {
    printer.print(reply, |reply| {
        View::new()
            .table(levels_table(&reply.levels))
            .line(page.footer(reply.levels.len(), reply.total))
    })
}

fn print_level(printer: Printer, reply: &StockUpdated) -> Result<(), CliError> {
    printer.print(reply, |reply| {
        View::new().table(levels_table(std::slice::from_ref(&reply.level)))
    })
}

/// Stock levels as a table.
pub fn levels_table(levels: &[StockLevel]) -> Table {
    let mut table = Table::new([
        "STORE",
        "PRODUCT",
        "ON HAND",
        "RESERVED",
        "AVAILABLE",
        "NAME",
    ]);
    for level in levels {
        table.row(vec![
            level.store_id.to_string(),
            level.product_id.to_string(),
            level.on_hand.to_string(),
            level.reserved.to_string(),
            level.available.to_string(),
            level.product_name.clone(),
        ]);
    }
    table
}
