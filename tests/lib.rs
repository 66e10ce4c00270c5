//! Whole-repository checks and end-to-end tests of Bikestore.
//!
//! Each file beside this one is a test binary: `tidy.rs` checks habits the compiler cannot
//! (module docs, subject strings only in contracts); end-to-end scenarios start nats-server and
//! the real service binaries, one scenario per file.
