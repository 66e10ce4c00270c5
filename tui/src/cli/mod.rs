//! The non-interactive subcommands of `bikestore`.
