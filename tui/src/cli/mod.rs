//! The command line of `bikestore`: with no subcommand it opens the console, with one it runs
//! that command through the gateway and exits.
//!
//! Layout: this file holds the top-level options, the dispatch and the error report;
//! `session` the session file; `output` tables and `--json`; `exit` the exit codes; and one
//! file per group of commands (`account`, `catalog`, `stock`, `customers`, `orders`, `sagas`,
//! `staff`), each with its clap subcommands and their handlers. Every call goes through the
//! client library's signed [`Session`](bikestore_client::Session); no subject string appears
//! here. Results go to standard output (tables, or the reply as JSON with `--json`); errors go
//! to standard error with an exit code from [`exit::Exit`].

mod account;
mod catalog;
mod customers;
mod exit;
mod orders;
mod output;
mod sagas;
mod session;
mod staff;
mod stock;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use bikestore_client::{Client, KeyPair, Session, TlsFiles};
use bikestore_contracts::Subjects;
use bikestore_contracts::subjects::DEFAULT_PREFIX;
use clap::{Parser, Subcommand};

use crate::cli::exit::{CliError, Exit};
use crate::cli::output::Printer;
use crate::cli::session::OpenSession;

/// Environment variable for `--nats-url`.
pub const ENV_NATS_URL: &str = "BIKESTORE_NATS_URL";
/// Environment variable for `--nats-credentials`.
pub const ENV_NATS_CREDENTIALS: &str = "BIKESTORE_NATS_CREDENTIALS";
/// Environment variable for `--nats-tls-ca`.
pub const ENV_NATS_TLS_CA: &str = "BIKESTORE_NATS_TLS_CA";
/// Environment variable for `--nats-tls-cert`.
pub const ENV_NATS_TLS_CERT: &str = "BIKESTORE_NATS_TLS_CERT";
/// Environment variable for `--nats-tls-key`.
pub const ENV_NATS_TLS_KEY: &str = "BIKESTORE_NATS_TLS_KEY";
/// Environment variable for `--subject-prefix`.
pub const ENV_SUBJECT_PREFIX: &str = "BIKESTORE_SUBJECT_PREFIX";
/// Environment variable for `--session-file`.
pub const ENV_SESSION_FILE: &str = "BIKESTORE_SESSION_FILE";
/// Environment variable a script sets to give `login` the password without a prompt.
pub const ENV_PASSWORD: &str = "BIKESTORE_PASSWORD";
/// Environment variable a script sets to give `staff create` and `staff reset-password` the
/// new password without a prompt.
pub const ENV_NEW_PASSWORD: &str = "BIKESTORE_NEW_PASSWORD";

/// What the command line reads from the process environment besides its flags (which clap
/// reads). Only `main.rs` reads the environment; tests build this directly.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// `XDG_CONFIG_HOME`, where the session file lives by default.
    pub xdg_config_home: Option<PathBuf>,
    /// `HOME`, where the session file lives when `XDG_CONFIG_HOME` is not set.
    pub home: Option<PathBuf>,
    /// `NO_COLOR`: set and not empty turns the console's colours off.
    pub no_color: Option<OsString>,
    /// [`ENV_PASSWORD`].
    pub password: Option<OsString>,
    /// [`ENV_NEW_PASSWORD`].
    pub new_password: Option<OsString>,
    /// The local offset from UTC (from `TZ` or the system's zone), which the console shows
    /// times and the day at; `None` when the system would not say, and the console uses UTC.
    pub utc_offset: Option<time::UtcOffset>,
}

/// The help heading of the options every command takes.
const GLOBAL: &str = "Global options";

/// The NATS URL of a developer's local setup (`just up`).
const DEFAULT_NATS_URL: &str = "nats://127.0.0.1:4222";

const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  unexpected failure (a bug, a broken file, a saga stuck for an operator)
  2  usage error or invalid input
  3  not logged in, or the session expired or was revoked
  4  forbidden for your role or store
  5  not found
  6  rejected by a business rule (declined card, short stock, conflict)
  7  NATS or a service unavailable or too slow (retrying later may succeed)";

/// Bikestore's staff console and command line. With no command it opens the console.
#[derive(Debug, Parser)]
#[command(name = "bikestore", version, after_help = EXIT_CODES_HELP)]
struct Cli {
    /// The NATS server's URL, or a comma-separated list of a cluster's nodes.
    #[arg(long, env = ENV_NATS_URL, default_value = DEFAULT_NATS_URL, global = true, help_heading = GLOBAL)]
    nats_url: String,
    /// A NATS user's credentials file (one line user:password) to connect as that user (an
    /// operator's) instead of as a console, which identity authorizes by its session key.
    #[arg(long, env = ENV_NATS_CREDENTIALS, value_name = "FILE", global = true, help_heading = GLOBAL)]
    nats_credentials: Option<PathBuf>,
    /// The certificate authority (PEM) of a nats-server run with its TLS profile: the
    /// connection is then TLS, and the server must prove itself with that authority.
    #[arg(long, env = ENV_NATS_TLS_CA, value_name = "FILE", global = true, help_heading = GLOBAL)]
    nats_tls_ca: Option<PathBuf>,
    /// This console's certificate (PEM), for a server that verifies clients; goes with
    /// --nats-tls-key.
    #[arg(long, env = ENV_NATS_TLS_CERT, value_name = "FILE", global = true, requires = "nats_tls_key", help_heading = GLOBAL)]
    nats_tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --nats-tls-cert.
    #[arg(long, env = ENV_NATS_TLS_KEY, value_name = "FILE", global = true, requires = "nats_tls_cert", help_heading = GLOBAL)]
    nats_tls_key: Option<PathBuf>,
    /// The deployment's subject prefix.
    #[arg(long, env = ENV_SUBJECT_PREFIX, default_value = DEFAULT_PREFIX, global = true, help_heading = GLOBAL)]
    subject_prefix: String,
    /// Where the session is kept between runs [default: $XDG_CONFIG_HOME/bikestore/session.json
    /// or ~/.config/bikestore/session.json].
    #[arg(long, env = ENV_SESSION_FILE, value_name = "FILE", global = true, help_heading = GLOBAL)]
    session_file: Option<PathBuf>,
    /// Print replies as JSON (and errors on stderr as {code, message, details}).
    #[arg(long, global = true, help_heading = GLOBAL)]
    json: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Log in and keep the session (password from a prompt, stdin or BIKESTORE_PASSWORD).
    Login(account::LoginArgs),
    /// End the session here and at identity.
    Logout,
    /// Show who is logged in, from the session file.
    Whoami,
    #[command(flatten)]
    Signed(SignedCommand),
}

/// The commands that call through the gateway with the saved session.
#[derive(Debug, Subcommand)]
enum SignedCommand {
    /// The chain's stores.
    Stores,
    /// The catalog: products.
    #[command(subcommand, visible_alias = "product")]
    Products(catalog::ProductsCommand),
    /// Stock per store: levels, receive, adjust, transfer.
    #[command(subcommand)]
    Stock(stock::StockCommand),
    /// Customers.
    #[command(subcommand, visible_alias = "customer")]
    Customers(customers::CustomersCommand),
    /// Orders: list, show, place (a saga), cancel.
    #[command(subcommand, visible_alias = "order")]
    Orders(orders::OrdersCommand),
    /// Sagas, for operators: list, show, retry, resolve.
    #[command(subcommand, visible_alias = "saga")]
    Sagas(sagas::SagasCommand),
    /// Staff administration (admins).
    #[command(subcommand)]
    Staff(staff::StaffCommand),
}

impl SignedCommand {
    async fn run(
        self,
        session: &Session,
        printer: Printer,
        environment: &Environment,
    ) -> Result<(), CliError> {
        match self {
            SignedCommand::Stores => catalog::stores(session, printer).await,
            SignedCommand::Products(command) => command.run(session, printer).await,
            SignedCommand::Stock(command) => command.run(session, printer).await,
            SignedCommand::Customers(command) => command.run(session, printer).await,
            SignedCommand::Orders(command) => command.run(session, printer).await,
            SignedCommand::Sagas(command) => command.run(session, printer).await,
            SignedCommand::Staff(command) => {
                command
                    .run(session, printer, environment.new_password.as_deref())
                    .await
            }
        }
    }
}

/// What every command needs: where to connect, the session file and the output format.
struct Context {
    printer: Printer,
    nats_url: String,
    nats_credentials: Option<PathBuf>,
    nats_tls: TlsFiles,
    subjects: Subjects,
    session_file: PathBuf,
    environment: Environment,
}

impl Context {
    /// Connects to NATS: as a console with `session_key` (a fresh one when `None`), which
    /// identity's auth callout authorizes; or, given `--nats-credentials`, as that NATS user
    /// (an operator's).
    async fn connect(&self, session_key: Option<KeyPair>) -> Result<Client, CliError> {
        let client = match &self.nats_credentials {
            Some(credentials) => {
                Client::connect_with_tls(
                    &self.nats_url,
                    Some(credentials),
                    &self.nats_tls,
                    self.subjects.clone(),
                )
                .await?
            }
            None => {
                Client::connect_as_console(
                    &self.nats_url,
                    &self.nats_tls,
                    self.subjects.clone(),
                    session_key,
                )
                .await?
            }
        };
        Ok(client)
    }

    /// Connects with the saved session's key and opens the session.
    async fn open_session(&self) -> Result<OpenSession, CliError> {
        // Without a session there is nothing to connect for: say so first.
        if !self.session_file.exists() {
            return Err(CliError::NotLoggedIn {
                path: self.session_file.clone(),
            });
        }
        let saved = session::read_saved(&self.session_file)?;
        let key = Session::saved_key(&saved).map_err(|source| CliError::BrokenSession {
            path: self.session_file.clone(),
            source,
        })?;
        let client = self.connect(Some(key)).await?;
        OpenSession::open(client, &self.session_file).await
    }
}

/// Runs the command line as parsed from `args` (the binary's arguments, program name first),
/// in `environment`.
pub fn run(args: Vec<OsString>, environment: Environment) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version print to stdout and exit 0; usage errors exit 2.
            let _ = error.print();
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2));
        }
    };
    let printer = Printer { json: cli.json };
    match prepare(cli, environment) {
        Ok((context, None)) => run_console(context),
        Ok((context, Some(command))) => match run_command(&context, command) {
            Ok(()) => Exit::Success.into(),
            Err(error) => report(printer, &error),
        },
        Err(error) => report(printer, &error),
    }
}

/// Checks the top-level options and finds the session file.
fn prepare(cli: Cli, environment: Environment) -> Result<(Context, Option<Command>), CliError> {
    let subjects =
        Subjects::new(&cli.subject_prefix).map_err(|error| CliError::Input(error.to_string()))?;
    let session_file = match cli.session_file {
        Some(path) => path,
        None => session::default_session_file(
            environment.xdg_config_home.clone(),
            environment.home.clone(),
        )?,
    };
    let context = Context {
        printer: Printer { json: cli.json },
        nats_url: cli.nats_url,
        nats_credentials: cli.nats_credentials,
        nats_tls: TlsFiles {
            ca: cli.nats_tls_ca,
            client_certificate: cli.nats_tls_cert.zip(cli.nats_tls_key),
        },
        subjects,
        session_file,
        environment,
    };
    Ok((context, cli.command))
}

/// Opens the console; it owns the terminal and its own async runtime.
fn run_console(context: Context) -> ExitCode {
    let options = crate::console::Options {
        nats_url: context.nats_url,
        nats_credentials: context.nats_credentials,
        nats_tls: context.nats_tls,
        subjects: context.subjects,
        session_file: context.session_file,
        no_color: context.environment.no_color,
        utc_offset: context
            .environment
            .utc_offset
            .unwrap_or(time::UtcOffset::UTC),
    };
    match crate::console::run(options) {
        Ok(()) => Exit::Success.into(),
        Err(error) => {
            eprintln!("bikestore: {error:#}");
            Exit::Failure.into()
        }
    }
}

/// Runs one subcommand on a runtime of its own, which the console never shares.
fn run_command(context: &Context, command: Command) -> Result<(), CliError> {
    // Held until the command ends. Taken before the runtime starts, because waiting for it
    // blocks. `whoami` only reads, and without a session file there is nothing to guard.
    let _session_lock = match &command {
        Command::Whoami => None,
        Command::Login(_) => Some(session::lock(&context.session_file)?),
        Command::Logout | Command::Signed(_) if context.session_file.exists() => {
            Some(session::lock(&context.session_file)?)
        }
        Command::Logout | Command::Signed(_) => None,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match command {
            Command::Login(args) => account::login(context, args).await,
            Command::Logout => account::logout(context).await,
            Command::Whoami => account::whoami(context),
            Command::Signed(command) => {
                let open = context.open_session().await?;
                let outcome = command
                    .run(&open.session, context.printer, &context.environment)
                    .await;
                // A call may have refreshed the tokens: keep them whether the command
                // succeeded or not.
                let kept = open.keep().await;
                outcome.and(kept)
            }
        }
    })
}

/// Prints `error` on stderr (JSON with `--json`) and answers its exit code.
fn report(printer: Printer, error: &CliError) -> ExitCode {
    if printer.json {
        let wire = error.wire();
        match serde_json::to_string(&wire) {
            Ok(text) => eprintln!("{text}"),
            Err(_) => eprintln!("bikestore: {error}"),
        }
    } else {
        eprintln!("bikestore: {error}");
        if let Some(hint) = error.hint() {
            eprintln!("hint: {hint}");
        }
    }
    error.exit().into()
}

/// Which page of a list to show.
#[derive(Debug, Clone, Copy, clap::Args)]
struct PageArgs {
    /// How many rows to skip.
    #[arg(long, default_value_t = 0)]
    offset: u32,
    /// How many rows to show (1 to 500).
    #[arg(long, default_value_t = 50)]
    limit: u32,
}

impl PageArgs {
    fn page(self) -> bikestore_contracts::inventory::Page {
        bikestore_contracts::inventory::Page {
            offset: self.offset,
            limit: self.limit,
        }
    }

    /// The line under a page of `shown` rows out of `total`.
    fn footer(self, shown: usize, total: u64) -> String {
        if shown == 0 {
            return format!("none shown, {total} in all");
        }
        let first = u64::from(self.offset) + 1;
        let last = u64::from(self.offset) + shown as u64;
        let more = if last < total {
            format!("; more with --offset {last}")
        } else {
            String::new()
        };
        format!("{first} to {last} of {total}{more}")
    }
}
