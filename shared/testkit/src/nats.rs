//! [`NatsServer`]: a private nats-server per test.
//!
//! Each server runs `nats/server.conf` (the file `just up` uses), or `nats/server-durable.conf` for
//! [`JetStreamSync::Always`], with its client port chosen by the server, its JetStream store and log
//! in a temporary directory it owns, and it is killed and cleaned up on drop. Readiness is a
//! successful client connection, never a fixed sleep.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use tempfile::TempDir;

use crate::{eventually, nats_server_binary, test_log_enabled, workspace_root};

/// How long a server may take to start and accept a connection. Generous, because many servers
/// start at once when tests run in parallel on a small machine.
const START_DEADLINE: Duration = Duration::from_secs(20);
/// How long a server may take to shut down gracefully before it is killed.
const STOP_DEADLINE: Duration = Duration::from_secs(10);
/// How long one readiness connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);

/// The environment variables `nats/server.conf` reads.
const PORT_ENV: &str = "BIKESTORE_NATS_PORT";
const STORE_ENV: &str = "BIKESTORE_NATS_STORE";

/// When JetStream writes its files to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JetStreamSync {
    /// The server default (every two minutes): an acknowledged write survives a process crash.
    #[default]
    Interval,
    /// Before every acknowledgement (`sync_interval: always`): it also survives a power loss.
    /// This is the `durable` profile.
    Always,
}

/// How to start a [`NatsServer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NatsOptions {
    /// When JetStream syncs to disk.
    pub sync: JetStreamSync,
}

impl NatsOptions {
    /// The configuration file for these options, relative to the workspace root.
    fn config_file(&self) -> &'static str {
        match self.sync {
            JetStreamSync::Interval => "nats/server.conf",
            JetStreamSync::Always => "nats/server-durable.conf",
        }
    }
}

/// A running nats-server with JetStream, private to one test.
///
/// Dropping it kills the server and deletes its store.
#[derive(Debug)]
pub struct NatsServer {
    child: Option<Child>,
    binary: PathBuf,
    options: NatsOptions,
    port: u16,
    store_dir: PathBuf,
    ports_dir: PathBuf,
    log_path: PathBuf,
    // Declared last so it is deleted after everything else; `Drop` kills the server first.
    _dir: TempDir,
}

impl NatsServer {
    /// Starts a server on a free port chosen by the server and waits until it accepts a
    /// connection.
    pub async fn start() -> anyhow::Result<NatsServer> {
        NatsServer::start_with(NatsOptions::default()).await
    }

    /// Starts a server as [`NatsServer::start`] does, with `options`.
    pub async fn start_with(options: NatsOptions) -> anyhow::Result<NatsServer> {
        // Finding the binary may run `nats-server --version` once; keep that off the runtime.
        let binary = tokio::task::spawn_blocking(nats_server_binary)
            .await
            .context("finding nats-server panicked")??;
        let dir = tempfile::Builder::new()
            .prefix("bikestore-nats-")
            .tempdir()
            .context("cannot create a temporary directory for nats-server")?;
        let store_dir = dir.path().join("store");
        let ports_dir = dir.path().join("ports");
        std::fs::create_dir(&store_dir).context("cannot create the store directory")?;
        std::fs::create_dir(&ports_dir).context("cannot create the ports directory")?;

        let mut server = NatsServer {
            child: None,
            binary,
            options,
            port: 0,
            store_dir,
            ports_dir,
            log_path: dir.path().join("nats-server.log"),
            _dir: dir,
        };
        server.port = server.launch(None).await?;
        Ok(server)
    }

    /// The client URL, for example `nats://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The client port; it stays the same across [`NatsServer::restart`].
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's process ID while it runs (for tools that watch its resource use).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The JetStream store directory; it survives [`NatsServer::restart`].
    pub fn store_dir(&self) -> &Path {
        &self.store_dir
    }

    /// The server's log file, in the same temporary directory as the store.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// The server's log so far, for failure messages.
    pub fn read_log(&self) -> String {
        read_lossy(&self.log_path)
    }

    /// A new client connected to this server, reconnecting on its own after a restart.
    pub async fn client(&self) -> anyhow::Result<async_nats::Client> {
        async_nats::ConnectOptions::new()
            .name("bikestore-testkit")
            .connect(self.url())
            .await
            .with_context(|| format!("cannot connect to nats-server at {}", self.url()))
    }

    /// Stops the server gracefully (SIGTERM, then SIGKILL if it lingers) and starts a new one on
    /// the same port and store directory, so connected clients reconnect and JetStream data
    /// survives. After [`NatsServer::kill`] it simply starts the server again.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.stop_gracefully().await?;
        let port = self.launch(Some(self.port)).await?;
        if port != self.port {
            bail!(
                "nats-server restarted on port {port} instead of {}",
                self.port
            );
        }
        Ok(())
    }

    /// Kills the server at once (SIGKILL) and reaps it, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Failing means the process has already exited, which is what we want.
            let _ = child.kill();
            // Reaping a killed process takes moments; it also guarantees the store is no longer
            // written to before the temporary directory is deleted.
            let _ = child.wait();
        }
    }

    /// Starts nats-server on `port` (or a server-chosen one) and waits until it accepts a
    /// connection; returns the port it listens on.
    async fn launch(&mut self, port: Option<u16>) -> anyhow::Result<u16> {
        // A killed server leaves its ports file behind; only the new server's file may count.
        for entry in
            std::fs::read_dir(&self.ports_dir).context("cannot list the ports directory")?
        {
            std::fs::remove_file(entry.context("cannot list the ports directory")?.path())
                .context("cannot remove an old ports file")?;
        }

        let config = workspace_root().join(self.options.config_file());
        // nats-server logs to the file itself with -l; stdout and stderr catch what it prints
        // before that, such as configuration errors. All three append to the same file.
        let log = open_log(&self.log_path)?;
        let child = Command::new(&self.binary)
            .arg("-c")
            .arg(&config)
            .arg("-l")
            .arg(&self.log_path)
            .arg("--ports_file_dir")
            .arg(&self.ports_dir)
            .env(
                PORT_ENV,
                port.map_or_else(|| "-1".to_owned(), |port| port.to_string()),
            )
            .env(STORE_ENV, &self.store_dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().context("cannot share the log file")?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {}", self.binary.display()))?;
        self.child = Some(child);

        let port = self.wait_for_port().await?;
        self.wait_until_connectable(port).await?;
        Ok(port)
    }

    /// Waits for the ports file nats-server writes once it listens, failing early if it exits.
    async fn wait_for_port(&mut self) -> anyhow::Result<u16> {
        let log_path = &self.log_path;
        let ports_dir = &self.ports_dir;
        let child = &mut self.child;
        eventually(
            "nats-server to write its ports file",
            START_DEADLINE,
            async || {
                if let Some(child) = child.as_mut()
                    && let Some(status) = child.try_wait().context("cannot check on nats-server")?
                {
                    bail!("nats-server exited with {status} while starting");
                }
                Ok(read_ports_file(ports_dir))
            },
        )
        .await
        .with_context(|| {
            format!(
                "nats-server did not start; its log:\n{}",
                read_lossy(log_path)
            )
        })
    }

    async fn wait_until_connectable(&self, port: u16) -> anyhow::Result<()> {
        let url = format!("nats://127.0.0.1:{port}");
        eventually(
            &format!("nats-server at {url} to accept a connection"),
            START_DEADLINE,
            async || {
                let options = async_nats::ConnectOptions::new().connection_timeout(CONNECT_TIMEOUT);
                // Dropping the client closes the connection again.
                options.connect(url.as_str()).await.ok().map(drop)
            },
        )
        .await
        .with_context(|| {
            format!(
                "nats-server did not accept connections; its log:\n{}",
                self.read_log()
            )
        })
    }

    async fn stop_gracefully(&mut self) -> anyhow::Result<()> {
        let Some(child) = self.child.as_mut() else {
            return Ok(());
        };
        if child
            .try_wait()
            .context("cannot check on nats-server")?
            .is_some()
        {
            self.child = None;
            return Ok(());
        }
        // std can only send SIGKILL; nats-server itself can send SIGTERM (`--signal term=<pid>`),
        // which makes it shut JetStream down cleanly.
        let signalled = tokio::process::Command::new(&self.binary)
            .arg("--signal")
            .arg(format!("term={}", child.id()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await
            .is_ok_and(|status| status.success());
        if signalled {
            // Process exit is awaited by polling because std offers no async wait and a blocking
            // one would stall the runtime.
            let exited = eventually(
                "nats-server to exit after SIGTERM",
                STOP_DEADLINE,
                async || child.try_wait().ok().flatten(),
            )
            .await;
            if exited.is_ok() {
                self.child = None;
                return Ok(());
            }
        }
        self.kill();
        Ok(())
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
        if test_log_enabled() {
            eprintln!(
                "----- nats-server log ({}) -----\n{}",
                self.log_path.display(),
                self.read_log()
            );
        }
    }
}

fn open_log(path: &Path) -> anyhow::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))
}

fn read_lossy(path: &Path) -> String {
    std::fs::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

/// The client port from the ports file in `dir`, once nats-server has written it completely.
///
/// The file looks like `{"nats":["nats://127.0.0.1:41234"]}`; a partly written file does not parse
/// yet and counts as not there.
fn read_ports_file(dir: &Path) -> Option<u16> {
    let entries = std::fs::read_dir(dir).ok()?;
    entries
        .filter_map(Result::ok)
        .filter(|entry| {
            entry
                .path()
                .extension()
                .is_some_and(|extension| extension == "ports")
        })
        .find_map(|entry| {
            let text = std::fs::read(entry.path()).ok()?;
            let ports: serde_json::Value = serde_json::from_slice(&text).ok()?;
            let url = ports.get("nats")?.get(0)?.as_str()?;
            url.rsplit(':').next()?.parse().ok()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_port_from_a_ports_file() {
        let dir = tempfile::tempdir().expect("temporary directory");
        assert_eq!(read_ports_file(dir.path()), None);
        std::fs::write(
            dir.path().join("nats-server_1.ports"),
            r#"{"nats":["nats://127.0"#,
        )
        .expect("write partial ports file");
        assert_eq!(read_ports_file(dir.path()), None);
        std::fs::write(
            dir.path().join("nats-server_1.ports"),
            r#"{"nats":["nats://127.0.0.1:41234"]}"#,
        )
        .expect("write ports file");
        assert_eq!(read_ports_file(dir.path()), Some(41234));
    }
}
