//! [`ChildProcess`]: a service binary running as a real process, for end-to-end tests.
//!
//! Its stdout and stderr go to a log file, and it is killed when the handle is dropped, so a
//! failing test never leaves a service running.

use std::ffi::OsStr;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};

use anyhow::Context;
use bikestore_runtime::config::{ENV_DATA_DIR, ENV_LOG_STDERR, ENV_NATS_URL};
use tokio::process::{Child, Command};

use crate::test_log_enabled;

/// Environment variables with this prefix are Bikestore configuration; a developer's own settings
/// must not leak into the processes a test starts.
const CONFIG_ENV_PREFIX: &str = "BIKESTORE_";

/// A running child process whose output goes to a log file.
#[derive(Debug)]
pub struct ChildProcess {
    child: Child,
    program: PathBuf,
    log_path: PathBuf,
}

impl ChildProcess {
    /// Starts `program` with `args` and `env`, appending its stdout and stderr to `log_path`
    /// (whose directory is created if needed).
    ///
    /// The child inherits the test's environment except `BIKESTORE_*` variables, so it sees only
    /// the configuration the test passes. Must be called inside a tokio runtime.
    pub fn spawn<A, K, V>(
        program: &Path,
        args: &[A],
        env: &[(K, V)],
        log_path: &Path,
    ) -> anyhow::Result<ChildProcess>
    where
        A: AsRef<OsStr>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        if let Some(dir) = log_path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(log_path)
            .with_context(|| format!("cannot open {}", log_path.display()))?;

        let mut command = Command::new(program);
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(log.try_clone().context("cannot share the log file")?)
            .stderr(log)
            .kill_on_drop(true);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with(CONFIG_ENV_PREFIX) {
                command.env_remove(name);
            }
        }
        command.envs(env.iter().map(|(name, value)| (name, value)));
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {}", program.display()))?;
        Ok(ChildProcess {
            child,
            program: program.to_path_buf(),
            log_path: log_path.to_path_buf(),
        })
    }

    /// Starts the workspace's service binary `binary` (built by cargo, see [`cargo_bin`]) on
    /// the nats-server at `nats_url`, keeping its data under `data_dir`, logging to stderr, with
    /// `extra_env` on top; its output goes to `<data_dir>/<name>.out`.
    ///
    /// [`cargo_bin`]: crate::cargo_bin
    pub fn service(
        binary: &str,
        nats_url: &str,
        data_dir: &Path,
        name: &str,
        extra_env: &[(&str, &str)],
    ) -> anyhow::Result<ChildProcess> {
        let program = crate::cargo_bin(binary)?;
        let data = data_dir.display().to_string();
        let mut env = vec![
            (ENV_NATS_URL, nats_url),
            (ENV_DATA_DIR, data.as_str()),
            (ENV_LOG_STDERR, "true"),
        ];
        env.extend_from_slice(extra_env);
        ChildProcess::spawn(
            &program,
            &[] as &[&str],
            &env,
            &data_dir.join(format!("{name}.out")),
        )
    }

    /// The process id, or `None` once the process has been reaped.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// The file receiving the process's stdout and stderr.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// The process's output so far, for assertions and failure messages.
    pub fn read_log(&self) -> String {
        std::fs::read(&self.log_path)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }

    /// Waits for the process to exit on its own.
    pub async fn wait(&mut self) -> anyhow::Result<ExitStatus> {
        self.child
            .wait()
            .await
            .with_context(|| format!("cannot wait for {}", self.program.display()))
    }

    /// Asks the process to stop (SIGTERM), as an operator or `just down` would, and waits for it
    /// to exit, so it can finish its requests and flush its logs first.
    pub async fn terminate(&mut self) -> anyhow::Result<ExitStatus> {
        if let Some(pid) = self.child.id() {
            let signalled = Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status()
                .await
                .context("cannot run kill -TERM")?;
            anyhow::ensure!(signalled.success(), "kill -TERM {pid} failed");
        }
        self.wait().await
    }

    /// Kills the process at once (SIGKILL), as a crash would, and waits until it is gone.
    pub async fn kill_hard(&mut self) -> anyhow::Result<ExitStatus> {
        // `kill` sends SIGKILL and reaps; it fails only if the process was already reaped, and
        // then `wait` returns the status it exited with.
        let _ = self.child.kill().await;
        self.wait().await
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        // `kill_on_drop` sends SIGKILL when `child` drops; tokio reaps it in the background.
        if test_log_enabled() {
            eprintln!(
                "----- {} log ({}) -----\n{}",
                self.program.display(),
                self.log_path.display(),
                self.read_log()
            );
        }
    }
}
