//! The stack under test and a runner for the real `bikestore` binary.
//!
//! The stack is the harness's whole system: a private nats-server (server-chosen port, never
//! 4222) that refuses anonymous clients, as `just up` runs it; the demo data seeded; and every
//! service running in this process, each as its own NATS user. The binary connects as the
//! `console` user, so every test also proves the CLI needs nothing a console may not do. The binary
//! runs with a cleared environment, so nothing from the developer's shell (a real session file,
//! `BIKESTORE_*` variables) leaks into a test.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use bikestore_harness::System;
use bikestore_testkit::NatsServer;
use serde::de::DeserializeOwned;
use tempfile::TempDir;
use tokio::io::AsyncWriteExt;

pub use bikestore_harness::demo_password;

/// The longest one run of the binary may take: a saga waits at most 9 s.
const RUN_LIMIT: Duration = Duration::from_secs(30);

/// The whole system, secured and seeded, and a folder for the tests' session files.
pub struct Stack {
    system: System,
    /// A folder for the tests' session files.
    pub home: TempDir,
}

impl Stack {
    /// The private nats-server the stack runs on.
    pub fn nats(&self) -> &NatsServer {
        self.system.nats()
    }

    /// The stack with identity's default token lifetime.
    pub async fn start() -> anyhow::Result<Stack> {
        Stack::start_with_token_ttl(Duration::from_secs(15 * 60)).await
    }

    /// The stack with identity issuing access tokens valid for `ttl`.
    pub async fn start_with_token_ttl(ttl: Duration) -> anyhow::Result<Stack> {
        let system = System::builder()
            .secured()
            .seeded()
            .all_services()
            .configure(move |configs| configs.identity.access_token_ttl = ttl)
            .start()
            .await?;
        Ok(Stack {
            system,
            home: tempfile::tempdir()?,
        })
    }

    /// Stops every service, the gateway first.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.system.stop().await
    }

    /// A session file path in a folder that does not exist yet, so `login` must create it.
    pub fn session_file(&self, name: &str) -> PathBuf {
        self.home
            .path()
            .join(name)
            .join("bikestore")
            .join("session.json")
    }

    /// A `bikestore` run against this stack, keeping its session in `session_file`.
    pub fn bikestore(&self, session_file: &Path) -> Bikestore {
        Bikestore {
            nats_url: self.nats().url(),
            session_file: session_file.to_owned(),
            home: self.home.path().to_owned(),
        }
    }
}

/// Runs the real binary with one stack's URL and one session file.
pub struct Bikestore {
    nats_url: String,
    session_file: PathBuf,
    home: PathBuf,
}

/// What one run printed, and how it exited.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The standard output as JSON of type `T`.
    pub fn json<T: DeserializeOwned>(&self) -> anyhow::Result<T> {
        serde_json::from_str(&self.stdout)
            .with_context(|| format!("stdout is not the expected JSON: {self:?}"))
    }

    /// Fails unless the run exited with `code`.
    pub fn expect_code(self, code: i32) -> anyhow::Result<Run> {
        anyhow::ensure!(self.code == code, "expected exit code {code}: {self:?}");
        Ok(self)
    }
}

impl Bikestore {
    /// Runs `bikestore <args>` with nothing on standard input.
    pub async fn run(&self, args: &[&str]) -> anyhow::Result<Run> {
        self.run_with(args, &[], None).await
    }

    /// Logs `username` in with the demo password, given through `BIKESTORE_PASSWORD`; the
    /// output is the member as JSON.
    pub async fn login(&self, username: &str) -> anyhow::Result<Run> {
        let password = demo_password(username);
        self.run_with(
            &["--json", "login", username],
            &[("BIKESTORE_PASSWORD", &password)],
            None,
        )
        .await?
        .expect_code(0)
    }

    /// Runs `bikestore <args>` with the environment variables `env` and `stdin` on standard
    /// input.
    pub async fn run_with(
        &self,
        args: &[&str],
        env: &[(&str, &str)],
        stdin: Option<&str>,
    ) -> anyhow::Result<Run> {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_bikestore"));
        command
            .env_clear()
            .env("HOME", &self.home)
            .arg("--nats-url")
            .arg(&self.nats_url)
            .arg("--session-file")
            .arg(&self.session_file)
            .args(args)
            .envs(env.iter().copied())
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().context("start bikestore")?;
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(text.as_bytes()).await?;
            // Closing the pipe ends the child's read.
            drop(pipe);
        }
        let output = tokio::time::timeout(RUN_LIMIT, child.wait_with_output())
            .await
            .with_context(|| format!("bikestore {args:?} did not finish within {RUN_LIMIT:?}"))??;
        Ok(Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }
}
