//! Finding binaries: the nats-server and litestream to run and the workspace's own service
//! binaries.
//!
//! Each search follows its `nats/ensure-*.sh` script step for step, minus installing:
//! tests never download anything, they tell the developer how to.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use anyhow::{Context, anyhow, bail};

/// Names the nats-server binary to use, overriding every other choice.
const NATS_SERVER_ENV: &str = "BIKESTORE_NATS_SERVER";

/// The oldest nats-server Bikestore supports, as (major, minor).
const MIN_VERSION: (u32, u32) = (2, 10);

/// The root of the Bikestore workspace (the directory holding the root `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    // This crate lives at <root>/shared/testkit.
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .ancestors()
        .nth(2)
        .unwrap_or(manifest_dir)
        .to_path_buf()
}

/// The nats-server binary tests should run.
///
/// Looks, in order, at `$BIKESTORE_NATS_SERVER`, `<workspace root>/.tools/bin/nats-server`, and
/// `nats-server` on `PATH` (only if it is version 2.10 or newer). The answer is computed once per
/// test binary. It fails with instructions when there is no usable binary.
pub fn nats_server_binary() -> anyhow::Result<PathBuf> {
    static FOUND: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    FOUND
        .get_or_init(|| find_nats_server().map_err(|error| format!("{error:#}")))
        .clone()
        .map_err(|message| anyhow!(message))
}

/// A tool named before `PATH` is searched: by the environment variable `env`, or installed as
/// `<workspace root>/.tools/bin/<name>` by its `nats/ensure-*.sh` script; `None` if neither.
fn pinned_tool(env: &str, name: &str) -> anyhow::Result<Option<PathBuf>> {
    if let Some(path) = std::env::var_os(env) {
        let path = PathBuf::from(path);
        if is_executable(&path) {
            return Ok(Some(path));
        }
        bail!(
            "{env}={} is not an executable file; unset it or point it at a {name} binary",
            path.display()
        );
    }
    let tools = workspace_root().join(".tools/bin").join(name);
    Ok(is_executable(&tools).then_some(tools))
}

fn find_nats_server() -> anyhow::Result<PathBuf> {
    if let Some(path) = pinned_tool(NATS_SERVER_ENV, "nats-server")? {
        return Ok(path);
    }

    if let Some(on_path) = search_path("nats-server") {
        let real = real_binary(&on_path);
        match version_of(&real) {
            Some(version) if version >= MIN_VERSION => return Ok(real),
            Some((major, minor)) => bail!(
                "{} is nats-server {major}.{minor}, older than the required {}.{}; {}",
                on_path.display(),
                MIN_VERSION.0,
                MIN_VERSION.1,
                INSTALL_HINT
            ),
            None => bail!(
                "{} did not report a nats-server version; {INSTALL_HINT}",
                on_path.display()
            ),
        }
    }

    bail!("no nats-server binary found; {INSTALL_HINT}")
}

const INSTALL_HINT: &str = "run `nats/ensure-nats-server.sh` (it installs the pinned version into \
    .tools/) or run the tests with `just test`, or set BIKESTORE_NATS_SERVER to a nats-server >= 2.10";

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|metadata| metadata.is_file() && metadata.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

fn search_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

/// The binary behind a `PATH` entry. pyenv puts a bash shim on `PATH` that only works under pyenv's
/// environment and adds a bash start-up to every server start, so ask pyenv for the real binary.
fn real_binary(found: &Path) -> PathBuf {
    let real = found.canonicalize().unwrap_or_else(|_| found.to_path_buf());
    let is_script = std::fs::read(&real)
        .map(|bytes| bytes.starts_with(b"#!"))
        .unwrap_or(false);
    if is_script
        && let Ok(output) = Command::new("pyenv")
            .args(["which", "nats-server"])
            .output()
        && output.status.success()
    {
        let resolved = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        if is_executable(&resolved) {
            return resolved;
        }
    }
    real
}

/// Parses `nats-server --version` output such as `nats-server: v2.15.1` into (major, minor).
fn version_of(binary: &Path) -> Option<(u32, u32)> {
    let output = Command::new(binary).arg("--version").output().ok()?;
    parse_version(&String::from_utf8_lossy(&output.stdout))
}

fn parse_version(text: &str) -> Option<(u32, u32)> {
    let version = text
        .split_whitespace()
        .find_map(|word| word.strip_prefix('v'))?;
    let mut parts = version.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// Names the litestream binary to use, overriding every other choice.
const LITESTREAM_ENV: &str = "BIKESTORE_LITESTREAM";

/// The litestream binary tests should run (0.5.x, whose NATS replica type Bikestore uses).
///
/// Looks, in order, at `$BIKESTORE_LITESTREAM`, `<workspace root>/.tools/bin/litestream`, and
/// `litestream` on `PATH` (only if it is 0.5.x), as `nats/ensure-litestream.sh` does minus
/// installing. It fails with instructions when there is no usable binary.
pub fn litestream_binary() -> anyhow::Result<PathBuf> {
    if let Some(path) = pinned_tool(LITESTREAM_ENV, "litestream")? {
        return Ok(path);
    }
    if let Some(on_path) = search_path("litestream") {
        let output = Command::new(&on_path).arg("version").output();
        let version = output
            .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
            .unwrap_or_default();
        if version.trim_start_matches('v').starts_with("0.5.") {
            return Ok(on_path);
        }
        bail!(
            "{} is litestream {version:?}, not 0.5.x; {LITESTREAM_HINT}",
            on_path.display()
        );
    }
    bail!("no litestream binary found; {LITESTREAM_HINT}")
}

const LITESTREAM_HINT: &str = "run `nats/ensure-litestream.sh` (it installs the pinned version \
    into .tools/) or run the tests with `just test`, or set BIKESTORE_LITESTREAM to litestream 0.5";

/// The path of the workspace binary `name` (for example `bikestore-inventory`) built by cargo.
///
/// The target directory is found from the running test binary, which cargo puts in
/// `<target>/<profile>/deps`, so this honours `CARGO_TARGET_DIR` and the profile in use. Cargo
/// builds a package's binaries before its integration tests, and every binary before a
/// `--workspace` test run; otherwise build them first with `cargo build --bins`.
pub fn cargo_bin(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot find the running test binary")?;
    let mut dir = exe
        .parent()
        .with_context(|| format!("{} has no parent directory", exe.display()))?;
    if dir.file_name().is_some_and(|file_name| file_name == "deps") {
        dir = dir
            .parent()
            .with_context(|| format!("{} has no parent directory", dir.display()))?;
    }
    let binary = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if !is_executable(&binary) {
        bail!(
            "binary {name} not found at {}; build it with `cargo build --bin {name}` or run the \
             whole workspace's tests",
            binary.display()
        );
    }
    Ok(binary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nats_server_version_output() {
        assert_eq!(parse_version("nats-server: v2.15.1"), Some((2, 15)));
        assert_eq!(parse_version("nats-server: v2.9.25\n"), Some((2, 9)));
        assert_eq!(parse_version("nats-server: dev"), None);
    }

    #[test]
    fn workspace_root_holds_the_nats_config() {
        assert!(workspace_root().join("nats/server.conf").is_file());
        assert!(workspace_root().join("nats/server-durable.conf").is_file());
    }
}
