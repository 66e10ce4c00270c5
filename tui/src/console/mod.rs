//! The interactive staff console.

use std::path::PathBuf;

use bikestore_contracts::Subjects;

/// Where the console connects and keeps its session.
#[derive(Debug, Clone)]
pub struct Options {
    /// The NATS server's URL.
    pub nats_url: String,
    /// The console NATS user's credentials file (`user:password`), when the server requires one.
    pub nats_credentials: Option<PathBuf>,
    /// The deployment's subjects.
    pub subjects: Subjects,
    /// The session file shared with the CLI's `login`.
    pub session_file: PathBuf,
}

/// Runs the console until the user quits. It owns the terminal and its own async runtime.
pub fn run(options: Options) -> anyhow::Result<()> {
    let _ = options;
    anyhow::bail!("the console is not built yet: use a subcommand (bikestore --help)")
}
