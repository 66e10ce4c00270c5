//! The non-interactive subcommands of `bikestore`.

use std::process::ExitCode;

/// Runs the command line as parsed from `args` (the binary's arguments, program name first).
pub fn run(args: Vec<std::ffi::OsString>) -> ExitCode {
    let _ = args;
    eprintln!("bikestore: the command line is not built yet");
    ExitCode::FAILURE
}
