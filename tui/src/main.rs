//! The `bikestore` binary: see the library's documentation.

fn main() -> std::process::ExitCode {
    eprintln!("bikestore: not built yet");
    std::process::ExitCode::FAILURE
}
