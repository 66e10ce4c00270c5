//! Staff administration for admins: `staff ls/show/create/deactivate/reset-password/set-role/
//! unlock`.
//! New passwords are read like the login password: prompt, stdin or `BIKESTORE_NEW_PASSWORD`.

use bikestore_client::Session;
use bikestore_contracts::identity::{
    ChangeStaffRole, CreateStaff, DeactivateStaff, GetStaff, ListStaff, Password, ResetPassword,
    Role, StaffSaved, UnlockUsername,
};
use bikestore_contracts::{StaffId, StoreId};

use crate::cli::account::{read_secret, staff_view, yes_no};
use crate::cli::exit::CliError;
use crate::cli::output::{Printer, Table, View, or_dash, parse_wire_name};
use crate::cli::{ENV_NEW_PASSWORD, PageArgs};

/// `bikestore staff ...`.
#[derive(Debug, clap::Subcommand)]
pub enum StaffCommand {
    /// List staff by username.
    #[command(visible_alias = "list")]
    Ls {
        /// Only this store's staff.
        #[arg(long)]
        store: Option<i64>,
        /// Also deactivated members.
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        page: PageArgs,
    },
    /// One member of staff.
    Show {
        /// Their staff ID.
        staff_id: i64,
    },
    /// Add a member of staff (password from a prompt, stdin or BIKESTORE_NEW_PASSWORD).
    Create {
        /// Login name: 3 to 32 of a-z, 0-9, '.', '_' and '-'.
        username: String,
        /// Full name.
        #[arg(long)]
        name: String,
        /// E-mail.
        #[arg(long)]
        email: String,
        /// admin, manager or sales.
        #[arg(long, value_parser = parse_wire_name::<Role>)]
        role: Role,
        /// Their store; required for managers and sales.
        #[arg(long)]
        store: Option<i64>,
    },
    /// Stop a member from logging in, ending their sessions.
    Deactivate {
        /// Their staff ID.
        staff_id: i64,
    },
    /// Set a new password (prompt, stdin or BIKESTORE_NEW_PASSWORD); ends their sessions and
    /// lifts a login lock.
    ResetPassword {
        /// Their staff ID.
        staff_id: i64,
    },
    /// Change a member's role, store, or both.
    SetRole {
        /// Their staff ID.
        staff_id: i64,
        /// The new role: admin, manager or sales.
        #[arg(long, value_parser = parse_wire_name::<Role>)]
        role: Option<Role>,
        /// The new store.
        #[arg(long)]
        store: Option<i64>,
    },
    /// Lift a username's login lock (after too many wrong passwords) at once; its sessions
    /// were never ended by the lock.
    Unlock {
        /// The locked username.
        username: String,
    },
}

impl StaffCommand {
    /// Runs the command.
    /// Runs the command; `new_password_env` is [`ENV_NEW_PASSWORD`]'s value, if set.
    pub async fn run(
        self,
        session: &Session,
        printer: Printer,
        new_password_env: Option<&std::ffi::OsStr>,
    ) -> Result<(), CliError> {
        match self {
            StaffCommand::Ls { store, all, page } => {
                let reply = session
                    .call(&ListStaff {
                        store_id: store.map(StoreId),
                        include_inactive: all,
                        page: page.page(),
                    })
                    .await?;
                printer.print(&reply, |reply| {
                    let mut table =
                        Table::new(["ID", "USERNAME", "ROLE", "STORE", "ACTIVE", "NAME"]);
                    for member in &reply.staff {
                        table.row(vec![
                            member.staff_id.to_string(),
                            member.username.clone(),
                            member.role.to_string(),
                            or_dash(member.store_id),
                            yes_no(member.active),
                            member.name.clone(),
                        ]);
                    }
                    View::new()
                        .table(table)
                        .line(page.footer(reply.staff.len(), reply.total))
                })
            }
            StaffCommand::Show { staff_id } => {
                let reply = session
                    .call(&GetStaff {
                        staff_id: StaffId(staff_id),
                    })
                    .await?;
                printer.print(&reply, staff_view)
            }
            StaffCommand::Create {
                username,
                name,
                email,
                role,
                store,
            } => {
                let password = new_password(&username, new_password_env)?;
                let reply = session
                    .call(&CreateStaff {
                        username,
                        name,
                        email,
                        role,
                        store_id: store.map(StoreId),
                        password,
                    })
                    .await?;
                print_saved(printer, &reply, "created")
            }
            StaffCommand::Deactivate { staff_id } => {
                let reply = session
                    .call(&DeactivateStaff {
                        staff_id: StaffId(staff_id),
                    })
                    .await?;
                print_saved(printer, &reply, "deactivated")
            }
            StaffCommand::ResetPassword { staff_id } => {
                let new_password = new_password(&format!("staff {staff_id}"), new_password_env)?;
                let reply = session
                    .call(&ResetPassword {
                        staff_id: StaffId(staff_id),
                        new_password,
                    })
                    .await?;
                print_saved(printer, &reply, "given a new password")
            }
            StaffCommand::SetRole {
                staff_id,
                role,
                store,
            } => {
                if role.is_none() && store.is_none() {
                    return Err(CliError::Input("give --role, --store or both".into()));
                }
                let reply = session
                    .call(&ChangeStaffRole {
                        staff_id: StaffId(staff_id),
                        role,
                        store_id: store.map(StoreId),
                    })
                    .await?;
                print_saved(printer, &reply, "changed")
            }
            StaffCommand::Unlock { username } => {
                let reply = session
                    .call(&UnlockUsername {
                        username: username.clone(),
                    })
                    .await?;
                printer.print(&reply, |reply| {
                    View::new().line(format!(
                        "{username} unlocked ({} failed logins forgotten)",
                        reply.cleared_failures
                    ))
                })
            }
        }
    }
}

fn new_password(whose: &str, from_env: Option<&std::ffi::OsStr>) -> Result<Password, CliError> {
    let text = read_secret(
        &format!("new password for {whose}: "),
        (ENV_NEW_PASSWORD, from_env),
        true,
    )?;
    Ok(Password(text))
}

fn print_saved(printer: Printer, reply: &StaffSaved, what: &str) -> Result<(), CliError> {
    printer.print(reply, |reply| {
        View::new().line(format!("staff {} {what}", reply.staff_id))
    })
}
