//! End-to-end tests of the `bikestore` command line: the real binary, run as a child process
//! against a private nats-server with every service (and the gateway) running in this process
//! on the demo data.

mod orders;
mod sessions;
mod staff;
mod support;
