//! Orders: `orders ls`, `orders show`, `orders place` (the place-order saga, waited for) and
//! `orders cancel` (the cancel-order saga).

use bikestore_client::Session;
use bikestore_contracts::identity::StaffNames;
use bikestore_contracts::orders::{Card, GetOrder, ListOrders, Order, OrderStatus};
use bikestore_contracts::sagas::{CancelOrder, PlaceOrder, PlaceOrderLine};
use bikestore_contracts::{CustomerId, OrderId, ProductId, StoreId};

use crate::cli::PageArgs;
use crate::cli::exit::CliError;
use crate::cli::output::{Printer, Table, View, name_of, or_dash, parse_wire_name, utc_time};
use crate::cli::sagas::{WaitArgs, start_saga};

/// Environment variable for `--card`, so a card number need not show in `ps`.
pub const ENV_CARD_NUMBER: &str = "BIKESTORE_CARD_NUMBER";
/// Environment variable for `--cvc`.
pub const ENV_CARD_CVC: &str = "BIKESTORE_CARD_CVC";

/// `bikestore orders ...`.
#[derive(Debug, clap::Subcommand)]
pub enum OrdersCommand {
    /// List orders, newest first; every filter is optional.
    #[command(visible_alias = "list")]
    Ls {
        /// Only this store's.
        #[arg(long)]
        store: Option<i64>,
        /// Only in this status: pending, processing, rejected, completed or cancelled.
        #[arg(long, value_parser = parse_wire_name::<OrderStatus>)]
        status: Option<OrderStatus>,
        /// Only this customer's.
        #[arg(long)]
        customer: Option<i64>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// One order with its lines and status history.
    Show {
        /// The order's ID.
        order_id: i64,
    },
    /// Place an order (a saga: order, stock, payment) and wait for the outcome.
    Place(PlaceArgs),
    /// Cancel an order (a saga: status, money back, stock back) and wait for the outcome.
    Cancel {
        /// The order's ID.
        order_id: i64,
        /// Why, for the record and the customer.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        wait: WaitArgs,
    },
}

/// `bikestore orders place`.
#[derive(Debug, clap::Args)]
pub struct PlaceArgs {
    /// The customer's ID.
    #[arg(long)]
    customer: i64,
    /// The selling store [default: your store].
    #[arg(long)]
    store: Option<i64>,
    /// Order lines as PRODUCT=QUANTITY, for example 7=1 12=2; prices come from the catalog.
    #[arg(required = true, value_name = "PRODUCT=QUANTITY", value_parser = parse_line)]
    lines: Vec<(ProductId, i64)>,
    /// Discount on every line, in percent (0 to 100).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=100))]
    discount: u8,
    /// The card number (spaces allowed).
    #[arg(long, env = ENV_CARD_NUMBER, hide_env_values = true)]
    card: String,
    /// The card's expiry as MM/YYYY (or MM/YY).
    #[arg(long, value_parser = parse_expiry)]
    expiry: (u8, u16),
    /// The card's security code.
    #[arg(long, env = ENV_CARD_CVC, hide_env_values = true)]
    cvc: String,
    /// The name on the card.
    #[arg(long, default_value = "")]
    holder: String,
    #[command(flatten)]
    wait: WaitArgs,
}

impl OrdersCommand {
    /// Runs the command.
    pub async fn run(self, session: &Session, printer: Printer) -> Result<(), CliError> {
        match self {
            OrdersCommand::Ls {
                store,
                status,
                customer,
                page,
            } => {
                let reply = session
                    .call(&ListOrders {
                        store_id: store.map(StoreId),
                        status,
                        customer_id: customer.map(CustomerId),
                        from_ms: None,
                        to_ms: None,
                        page: page.page(),
                    })
                    .await?;
                printer.print(&reply, |reply| {
                    let mut table =
                        Table::new(["ID", "CUSTOMER", "STORE", "STATUS", "ORDERED", "TOTAL"]);
                    for order in &reply.orders {
                        table.row(vec![
                            order.order_id.to_string(),
                            format!("{} (#{})", order.customer_name, order.customer_id),
                            order.store_id.to_string(),
                            name_of(&order.status),
                            utc_time(order.ordered_at_ms),
                            order.total.to_string(),
                        ]);
                    }
                    View::new()
                        .table(table)
                        .line(page.footer(reply.orders.len(), reply.total))
                })
            }
            OrdersCommand::Show { order_id } => {
                let reply = session
                    .call(&GetOrder {
                        order_id: OrderId(order_id),
                    })
                    .await?;
                // Names are for people: a script's JSON gets the order as orders answers it.
                let names = if printer.json {
                    OrderNames::default()
                } else {
                    OrderNames::look_up(session, &reply).await
                };
                printer.print(&reply, |order| order_view(order, &names))
            }
            OrdersCommand::Place(args) => place(session, printer, args).await,
            OrdersCommand::Cancel {
                order_id,
                reason,
                wait,
            } => {
                let request = CancelOrder {
                    order_id: OrderId(order_id),
                    reason,
                    wait_ms: Some(wait.wait_ms),
                };
                start_saga(session, printer, &request, &wait)
                    .await
                    .map(|_| ())
            }
        }
    }
}

/// Prices the lines from the catalog, starts the saga and reports its outcome.
async fn place(session: &Session, printer: Printer, args: PlaceArgs) -> Result<(), CliError> {
    let me = session.whoami();
    let store_id = match (args.store, me.store_id) {
        (Some(store), _) => StoreId(store),
        (None, Some(own)) => own,
        (None, None) => {
            return Err(CliError::Input(
                "you have no store of your own: name the selling store with --store".into(),
            ));
        }
    };
    // The saga prices every line from the catalog; the order it creates shows those prices.
    let lines = args
        .lines
        .into_iter()
        .map(|(product_id, quantity)| PlaceOrderLine {
            product_id,
            quantity,
            discount_percent: args.discount,
            list_price: None,
        })
        .collect();
    let (expiry_month, expiry_year) = args.expiry;
    let request = PlaceOrder {
        customer_id: CustomerId(args.customer),
        store_id,
        staff_id: me.staff_id,
        lines,
        card: Card {
            number: args.card,
            expiry_month,
            expiry_year,
            cvc: args.cvc,
            holder: args.holder,
        },
        wait_ms: Some(args.wait.wait_ms),
    };
    let started = start_saga(session, printer, &request, &args.wait).await?;
    // A person sees what the catalog charged; a script reading `--json` gets the one saga reply
    // it always got, and reads the order with `orders show`.
    if let (false, Some(order_id)) = (printer.json, started.order_id) {
        let order = session.call(&GetOrder { order_id }).await?;
        printer.print(&order, |order| {
            View::new()
                .line("priced from the catalog:")
                .table(lines_table(order))
        })?;
    }
    Ok(())
}

/// An order's lines as a receipt shows them: product, name, quantity, price charged, discount.
fn lines_table(order: &Order) -> Table {
    let mut lines = Table::new([
        "PRODUCT",
        "NAME",
        "QUANTITY",
        "LIST PRICE",
        "DISCOUNT %",
        "TOTAL",
    ]);
    for detail in &order.lines {
        lines.row(vec![
            detail.line.product_id.to_string(),
            or_dash(detail.line.product_name.as_deref()),
            detail.line.quantity.to_string(),
            detail.line.list_price.to_string(),
            detail.line.discount_percent.to_string(),
            detail.total.to_string(),
        ]);
    }
    lines
}

/// What the CLI can name on an order beside its customer and its lines' products, which the
/// order names itself.
#[derive(Debug, Default)]
struct OrderNames {
    /// The member who took it.
    seller: Option<String>,
}

impl OrderNames {
    /// Asks identity for the seller's name; a name not found leaves the number shown.
    async fn look_up(session: &Session, order: &Order) -> OrderNames {
        let me = session.whoami();
        let seller = if me.staff_id == order.staff_id {
            Some(me.name.clone())
        } else {
            let request = StaffNames {
                staff_ids: vec![order.staff_id],
            };
            session
                .call(&request)
                .await
                .ok()
                .and_then(|found| found.names.into_iter().next())
                .map(|member| member.name)
        };
        OrderNames { seller }
    }
}

fn order_view(order: &Order, names: &OrderNames) -> View {
    let fields = [
        ("order id", order.order_id.to_string()),
        ("customer", order.customer_name.clone()),
        ("customer id", order.customer_id.to_string()),
        ("store id", order.store_id.to_string()),
        ("taken by", or_dash(names.seller.as_deref())),
        ("staff id", order.staff_id.to_string()),
        ("status", name_of(&order.status)),
        ("ordered", utc_time(order.ordered_at_ms)),
        ("required", or_dash(order.required_date.as_deref())),
        ("shipped", or_dash(order.shipped_at_ms.map(utc_time))),
        ("gross", order.totals.gross.to_string()),
        ("discount", order.totals.discount.to_string()),
        ("total", order.totals.total.to_string()),
    ];
    let lines = lines_table(order);
    let mut history = Table::new(["AT", "FROM", "TO", "REASON"]);
    for change in &order.history {
        history.row(vec![
            utc_time(change.at_ms),
            or_dash(change.from.as_ref().map(name_of)),
            name_of(&change.to),
            or_dash(change.reason.as_deref()),
        ]);
    }
    View::new().fields(fields).table(lines).table(history)
}

/// Parses an order line `PRODUCT=QUANTITY`.
fn parse_line(text: &str) -> Result<(ProductId, i64), String> {
    let invalid = || format!("{text:?} is not a line like 7=2 (product 7, quantity 2)");
    let (product, quantity) = text.split_once('=').ok_or_else(invalid)?;
    let product: i64 = product.trim().parse().map_err(|_| invalid())?;
    let quantity: i64 = quantity.trim().parse().map_err(|_| invalid())?;
    Ok((ProductId(product), quantity))
}

/// Parses a card expiry `MM/YYYY` or `MM/YY` (20YY).
fn parse_expiry(text: &str) -> Result<(u8, u16), String> {
    let invalid = || format!("{text:?} is not an expiry like 12/2030");
    let (month, year) = text.split_once('/').ok_or_else(invalid)?;
    let month: u8 = month.trim().parse().map_err(|_| invalid())?;
    let year_text = year.trim();
    let year: u16 = year_text.parse().map_err(|_| invalid())?;
    let year = if year_text.len() == 2 {
        2000 + year
    } else {
        year
    };
    if !(1..=12).contains(&month) {
        return Err(invalid());
    }
    Ok((month, year))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_expiries_parse() {
        assert_eq!(parse_line("7=2"), Ok((ProductId(7), 2)));
        assert!(parse_line("7").is_err());
        assert!(parse_line("seven=2").is_err());
        assert_eq!(parse_expiry("12/2030"), Ok((12, 2030)));
        assert_eq!(parse_expiry("03/31"), Ok((3, 2031)));
        assert!(parse_expiry("13/2030").is_err());
        assert!(parse_expiry("2030").is_err());
    }
}
