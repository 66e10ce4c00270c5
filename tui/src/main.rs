//! The `bikestore` binary: see the library's documentation. The only place that reads the
//! process environment (besides clap's flags), the local offset from UTC included.

use std::path::PathBuf;

use bikestore_tui::cli::{ENV_NEW_PASSWORD, ENV_PASSWORD, Environment};

fn main() -> std::process::ExitCode {
    // Asked first, while this is the only thread: on Unix `time` refuses to read the local
    // offset once a process has several, since another thread could change the time zone
    // under it.
    let utc_offset = time::UtcOffset::current_local_offset().ok();
    let environment = Environment {
        xdg_config_home: std::env::var_os("XDG_CONFIG_HOME").map(PathBuf::from),
        home: std::env::var_os("HOME").map(PathBuf::from),
        no_color: std::env::var_os("NO_COLOR"),
        password: std::env::var_os(ENV_PASSWORD),
        new_password: std::env::var_os(ENV_NEW_PASSWORD),
        utc_offset,
    };
    bikestore_tui::cli::run(std::env::args_os().collect(), environment)
}
