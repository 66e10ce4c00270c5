//! The `bikestore` binary: see the library's documentation.

fn main() -> std::process::ExitCode {
    bikestore_tui::cli::run(std::env::args_os().collect())
}
