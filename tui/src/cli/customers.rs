//! Customers: `customers ls` (search) and `customers show`.

use bikestore_client::Session;
use bikestore_contracts::CustomerId;
use bikestore_contracts::orders::{GetCustomer, SearchCustomers};

use crate::cli::PageArgs;
use crate::cli::exit::CliError;
use crate::cli::output::{Printer, Table, View};

/// `bikestore customers ...`.
#[derive(Debug, clap::Subcommand)]
pub enum CustomersCommand {
    /// Search customers; every filter is optional.
    #[command(visible_alias = "list")]
    Ls {
        /// Part of the first or last name.
        #[arg(long)]
        name: Option<String>,
        /// Part of the e-mail.
        #[arg(long)]
        email: Option<String>,
        /// Part of the phone number.
        #[arg(long)]
        phone: Option<String>,
        /// Part of the street, city, state or zip code.
        #[arg(long)]
        address: Option<String>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// One customer.
    Show {
        /// The customer's ID.
        customer_id: i64,
    },
}

impl CustomersCommand {
    /// Runs the command.
    pub async fn run(self, session: &Session, printer: Printer) -> Result<(), CliError> {
        match self {
            CustomersCommand::Ls {
                name,
                email,
                phone,
                address,
                page,
            } => {
                let reply = session
                    .call(&SearchCustomers {
                        name,
                        email,
                        phone,
                        address,
                        page: page.page(),
                    })
                    .await?;
                printer.print(&reply, |reply| {
                    let mut table = Table::new(["ID", "NAME", "EMAIL", "PHONE", "CITY"]);
                    for customer in &reply.customers {
                        let fields = &customer.fields;
                        table.row(vec![
                            customer.customer_id.to_string(),
                            format!("{} {}", fields.first_name, fields.last_name),
                            fields.email.clone(),
                            fields.phone.clone(),
                            fields.city.clone(),
                        ]);
                    }
                    View::new()
                        .table(table)
                        .line(page.footer(reply.customers.len(), reply.total))
                })
            }
            CustomersCommand::Show { customer_id } => {
                let reply = session
                    .call(&GetCustomer {
                        customer_id: CustomerId(customer_id),
                    })
                    .await?;
                printer.print(&reply, |customer| {
                    let fields = &customer.fields;
                    View::new().fields([
                        ("customer id", customer.customer_id.to_string()),
                        (
                            "name",
                            format!("{} {}", fields.first_name, fields.last_name),
                        ),
                        ("email", fields.email.clone()),
                        ("phone", fields.phone.clone()),
                        ("street", fields.street.clone()),
                        ("city", fields.city.clone()),
                        ("state", fields.state.clone()),
                        ("zip code", fields.zip_code.clone()),
                    ])
                })
            }
        }
    }
}
