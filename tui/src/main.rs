//! The `bikestore` binary: see the library's documentation. The only place that reads the
//! process environment (besides clap's flags).

use std::path::PathBuf;

use bikestore_tui::cli::{ENV_NEW_PASSWORD, ENV_PASSWORD, Environment};

fn main() -> std::process::ExitCode {
    let environment = Environment {
        xdg_config_home: std::env::var_os("XDG_CONFIG_HOME").map(PathBuf::from),
        home: std::env::var_os("HOME").map(PathBuf::from),
        no_color: std::env::var_os("NO_COLOR"),
        password: std::env::var_os(ENV_PASSWORD),
        new_password: std::env::var_os(ENV_NEW_PASSWORD),
    };
    bikestore_tui::cli::run(std::env::args_os().collect(), environment)
}
