//! [`Node`]: one nats-server process of a [`crate::NatsServer`], with its own ports, JetStream
//! store and log, started, stopped and killed as a unit.

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};

use crate::eventually;

/// How long a server may take to start and accept a connection. Generous, because many servers
/// start at once when tests run in parallel on a small machine.
const START_DEADLINE: Duration = Duration::from_secs(20);
/// How long a server may take to shut down gracefully before it is killed.
const STOP_DEADLINE: Duration = Duration::from_secs(10);
/// How long one readiness connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);

/// The environment variables the configuration files read for one node.
const PORT_ENV: &str = "BIKESTORE_NATS_PORT";
const STORE_ENV: &str = "BIKESTORE_NATS_STORE";
const MONITOR_PORT_ENV: &str = "BIKESTORE_NATS_MONITOR_PORT";

/// The ports a node listens on once it has started; the same again after a restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ports {
    pub(crate) client: u16,
    pub(crate) monitoring: Option<u16>,
}

/// One nats-server process.
#[derive(Debug)]
pub(crate) struct Node {
    binary: PathBuf,
    /// The configuration file, absolute.
    config: PathBuf,
    child: Option<Child>,
    /// `None` until the first start, which lets the server choose free ports.
    ports: Option<Ports>,
    store_dir: PathBuf,
    ports_dir: PathBuf,
    log_path: PathBuf,
}

impl Node {
    /// A node whose store, ports file and log live in `dir` (created if needed); not started.
    pub(crate) fn new(binary: PathBuf, config: PathBuf, dir: &Path) -> anyhow::Result<Node> {
        let store_dir = dir.join("store");
        let ports_dir = dir.join("ports");
        for folder in [&store_dir, &ports_dir] {
            std::fs::create_dir_all(folder)
                .with_context(|| format!("cannot create {}", folder.display()))?;
        }
        Ok(Node {
            binary,
            config,
            child: None,
            ports: None,
            store_dir,
            ports_dir,
            log_path: dir.join("nats-server.log"),
        })
    }

    /// The client port; 0 before the first start.
    pub(crate) fn port(&self) -> u16 {
        self.ports.map_or(0, |ports| ports.client)
    }

    /// The HTTP monitoring port, when the configuration turns monitoring on.
    pub(crate) fn monitoring_port(&self) -> Option<u16> {
        self.ports.and_then(|ports| ports.monitoring)
    }

    pub(crate) fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port())
    }

    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub(crate) fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|child| matches!(child.try_wait(), Ok(None)))
    }

    pub(crate) fn store_dir(&self) -> &Path {
        &self.store_dir
    }

    pub(crate) fn log_path(&self) -> &Path {
        &self.log_path
    }

    pub(crate) fn read_log(&self) -> String {
        read_lossy(&self.log_path)
    }

    /// Starts the server with `environment` (on the ports of its first start, if it ran before)
    /// without waiting for it: a cluster's nodes must all be starting before any is ready.
    pub(crate) fn spawn(&mut self, environment: &[(String, OsString)]) -> anyhow::Result<()> {
        if self.child.is_some() {
            bail!("nats-server is already running");
        }
        // A killed server leaves its ports file behind; only the new server's file may count.
        for entry in
            std::fs::read_dir(&self.ports_dir).context("cannot list the ports directory")?
        {
            std::fs::remove_file(entry.context("cannot list the ports directory")?.path())
                .context("cannot remove an old ports file")?;
        }
        let (client, monitoring) = match self.ports {
            Some(ports) => (ports.client.to_string(), ports.monitoring),
            None => ("-1".to_owned(), None),
        };
        // nats-server logs to the file itself with -l; stdout and stderr catch what it prints
        // before that, such as configuration errors. All three append to the same file.
        let log = open_log(&self.log_path)?;
        let child = Command::new(&self.binary)
            .envs(environment.iter().map(|(name, value)| (name, value)))
            .env(PORT_ENV, client)
            .env(
                MONITOR_PORT_ENV,
                monitoring.map_or_else(|| "-1".to_owned(), |port| port.to_string()),
            )
            .env(STORE_ENV, &self.store_dir)
            .arg("-c")
            .arg(&self.config)
            .arg("-l")
            .arg(&self.log_path)
            .arg("--ports_file_dir")
            .arg(&self.ports_dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().context("cannot share the log file")?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {}", self.binary.display()))?;
        self.child = Some(child);
        Ok(())
    }

    /// Waits until the started server listens and accepts a connection made with `options`;
    /// fails if it comes up on other ports than its first start's.
    pub(crate) async fn wait_until_ready(
        &mut self,
        options: impl Fn() -> async_nats::ConnectOptions,
    ) -> anyhow::Result<()> {
        let ports = self.wait_for_ports().await?;
        if let Some(first) = self.ports
            && first != ports
        {
            bail!("nats-server came back on {ports:?} instead of {first:?}");
        }
        self.ports = Some(ports);
        let url = self.url();
        eventually(
            &format!("nats-server at {url} to accept a connection"),
            START_DEADLINE,
            async || {
                let options = options().connection_timeout(CONNECT_TIMEOUT);
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

    /// Waits for the ports file nats-server writes once it listens, failing early if it exits.
    async fn wait_for_ports(&mut self) -> anyhow::Result<Ports> {
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

    /// Kills the server at once (SIGKILL) and reaps it, as a crash would.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Failing means the process has already exited, which is what we want.
            let _ = child.kill();
            // Reaping a killed process takes moments; it also guarantees the store is no longer
            // written to before the temporary directory is deleted.
            let _ = child.wait();
        }
    }

    /// Stops the server with `signal` (`term`, or `ldm` for lame duck mode: it stops taking
    /// clients, moves its JetStream leaderships away, then exits) and waits up to `deadline`
    /// for it to exit before killing it.
    pub(crate) async fn stop(&mut self, signal: &str, deadline: Duration) -> anyhow::Result<()> {
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
        // std can only send SIGKILL; nats-server itself can send the others.
        let signalled = tokio::process::Command::new(&self.binary)
            .arg("--signal")
            .arg(format!("{signal}={}", child.id()))
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
                &format!("nats-server to exit after {signal}"),
                deadline,
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

    /// Stops the server with SIGTERM, which shuts JetStream down cleanly.
    pub(crate) async fn stop_gracefully(&mut self) -> anyhow::Result<()> {
        self.stop("term", STOP_DEADLINE).await
    }
}

fn open_log(path: &Path) -> anyhow::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))
}

pub(crate) fn read_lossy(path: &Path) -> String {
    std::fs::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

/// The ports from the ports file in `dir`, once nats-server has written it completely.
///
/// The file looks like `{"nats":["nats://127.0.0.1:41234"],"monitoring":["http://...:8222"]}`;
/// a partly written file does not parse yet and counts as not there.
fn read_ports_file(dir: &Path) -> Option<Ports> {
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
            let port_of = |kind: &str| -> Option<u16> {
                let url = ports.get(kind)?.get(0)?.as_str()?;
                url.rsplit(':').next()?.parse().ok()
            };
            Some(Ports {
                client: port_of("nats")?,
                monitoring: port_of("monitoring"),
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_ports_from_a_ports_file() {
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
        assert_eq!(
            read_ports_file(dir.path()),
            Some(Ports {
                client: 41234,
                monitoring: None
            })
        );
        std::fs::write(
            dir.path().join("nats-server_1.ports"),
            r#"{"nats":["nats://127.0.0.1:41234"],"monitoring":["http://127.0.0.1:8222"]}"#,
        )
        .expect("write ports file");
        assert_eq!(
            read_ports_file(dir.path()).and_then(|ports| ports.monitoring),
            Some(8222)
        );
    }
}
