//! `bikestore`: the staff console and the command line, in one binary.
//!
//! With no subcommand the binary opens the console ([`console`], ratatui); with one it runs that
//! command and exits ([`cli`]: table output, `--json` for scripts, meaningful exit codes). Both
//! talk to the system only through the gateway, with the client library's signed session.

pub mod cli;
pub mod console;
