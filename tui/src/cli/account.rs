//! `login`, `logout` and `whoami`: the session kept in the session file, and how passwords
//! are read (never from the command line, where `ps` and shell history would keep them).

use std::io::{BufRead, IsTerminal};

use bikestore_contracts::identity::{SavedSession, StaffSummary};

use crate::cli::exit::CliError;
use crate::cli::output::{View, or_dash, utc_time};
use crate::cli::session;
use crate::cli::{Context, ENV_PASSWORD};

/// `bikestore login`.
#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    /// Your username.
    username: String,
}

/// Logs in, replacing (and logging out) any earlier session in the same file.
pub async fn login(context: &Context, args: LoginArgs) -> Result<(), CliError> {
    let password = read_secret(
        &format!("password for {}: ", args.username),
        (ENV_PASSWORD, context.environment.password.as_deref()),
        false,
    )?;
    // The earlier session's refresh token would stay valid until it expires; end it now, on
    // a connection made with its key (which the new session then keeps). A failure here must
    // not stop the new login, so it is ignored.
    let client = match context.open_session().await {
        Ok(earlier) => {
            let _ = earlier.session.logout().await;
            earlier.session.client().clone()
        }
        Err(_) => context.connect(None).await?,
    };
    let session = client.login(&args.username, &password).await?;
    session::save(&session, &context.session_file).await?;
    let saved = session.to_saved().await;
    context.printer.print(&saved.staff, |staff| {
        staff_view(staff).line(format!(
            "\nlogged in; session saved to {}",
            context.session_file.display()
        ))
    })
}

/// Logs out at identity and removes the session file. A session identity already ended is
/// still removed here.
pub async fn logout(context: &Context) -> Result<(), CliError> {
    let open = context.open_session().await?;
    let outcome = open.session.logout().await;
    session::remove(&context.session_file)?;
    match outcome {
        Err(error) if error.code() != bikestore_contracts::ErrorCode::Unauthorized => {
            Err(error.into())
        }
        _ => {
            let staff = open.session.whoami().clone();
            context.printer.print(&staff, |staff| {
                View::new().line(format!("logged out {}", staff.username))
            })
        }
    }
}

/// Shows the saved session's member of staff; it asks no server, so it works offline.
pub fn whoami(context: &Context) -> Result<(), CliError> {
    let saved: SavedSession = session::read_saved(&context.session_file)?;
    context.printer.print(&saved.staff, |staff| {
        staff_view(staff).line(format!(
            "\naccess token valid until {} UTC (refreshed automatically)",
            utc_time(saved.expires_at_ms)
        ))
    })
}

/// A member of staff as fields.
pub fn staff_view(staff: &StaffSummary) -> View {
    View::new().fields([
        ("staff id", staff.staff_id.to_string()),
        ("username", staff.username.clone()),
        ("name", staff.name.clone()),
        ("email", staff.email.clone()),
        ("role", staff.role.to_string()),
        ("store", or_dash(staff.store_id)),
        ("active", yes_no(staff.active)),
    ])
}

/// `yes` or `no`.
pub fn yes_no(flag: bool) -> String {
    if flag { "yes" } else { "no" }.to_owned()
}

/// Reads a secret: from its environment variable when set (scripts; `from_env` is its name and
/// value), else from a prompt without echo when standard input is a terminal (asked twice when
/// `confirm`), else from the first line of standard input.
pub fn read_secret(
    prompt: &str,
    from_env: (&str, Option<&std::ffi::OsStr>),
    confirm: bool,
) -> Result<String, CliError> {
    let (env_name, env_value) = from_env;
    if let Some(secret) = env_value {
        return secret
            .to_str()
            .map(str::to_owned)
            .ok_or_else(|| CliError::Input(format!("{env_name} is not valid UTF-8")));
    }
    let secret = if std::io::stdin().is_terminal() {
        let secret = rpassword::prompt_password(prompt)?;
        if confirm && rpassword::prompt_password("again: ")? != secret {
            return Err(CliError::Input("the two passwords differ".into()));
        }
        secret
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    if secret.is_empty() {
        return Err(CliError::Input(format!(
            "no password given (type it at the prompt, pipe it on stdin, or set {env_name})"
        )));
    }
    Ok(secret)
}
