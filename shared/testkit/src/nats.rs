//! [`NatsServer`]: a private nats-server per test.
//!
//! Each server runs `nats/server.conf` (the file `just up` uses), or `nats/server-durable.conf` for
//! [`JetStreamSync::Always`], with its client port chosen by the server, its JetStream store and log
//! in a temporary directory it owns, and it is killed and cleaned up on drop. Readiness is a
//! successful client connection, never a fixed sleep.
//!
//! With [`NatsOptions::tls`] it runs a TLS profile (`nats/server-tls.conf`, or
//! `nats/server-tls-verify.conf`) with certificates made for it ([`NatsServer::tls`]), and its
//! own clients speak TLS.
//!
//! Those files include `nats/users.conf`, so every server has the project's NATS users, with
//! fresh passwords written to credentials files in the temporary directory
//! ([`NatsServer::credentials`]). A client without credentials acts as the all-permitted `ops`
//! user, so tests that are not about permissions connect anonymously; [`NatsServer::start_secured`]
//! refuses anonymous clients, as `just up` does.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use tempfile::TempDir;

use crate::credentials::{CalloutIssuer, write_callout_issuer, write_credentials};
use crate::tls::TlsFiles;
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
/// The user a client without credentials acts as; `""` is nobody.
const ANONYMOUS_USER_ENV: &str = "BIKESTORE_NATS_ANONYMOUS_USER";
/// Each user's password is in `<this><USER>`.
const PASSWORD_ENV_PREFIX: &str = "BIKESTORE_NATS_PASSWORD_";
/// What the TLS profiles read besides.
const HOST_ENV: &str = "BIKESTORE_NATS_HOST";
const TLS_CERT_ENV: &str = "BIKESTORE_NATS_TLS_CERT";
const TLS_KEY_ENV: &str = "BIKESTORE_NATS_TLS_KEY";
const TLS_CA_ENV: &str = "BIKESTORE_NATS_TLS_CA";
const CALLOUT_ISSUER_ENV: &str = "BIKESTORE_NATS_CALLOUT_ISSUER";

/// The all-permitted user anonymous test clients act as.
const ANONYMOUS_TEST_USER: &str = "ops";

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

/// The TLS profile a [`NatsServer`] runs (`nats/server-tls.conf`), with certificates made for
/// the test ([`TlsFiles`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NatsTls {
    /// TLS on the client port; clients check the server's certificate.
    Server,
    /// Also every client must present a certificate (`nats/server-tls-verify.conf`).
    VerifyClients,
}

/// How to start a [`NatsServer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NatsOptions {
    /// When JetStream syncs to disk.
    pub sync: JetStreamSync,
    /// The TLS profile, if any (with the default sync only).
    pub tls: Option<NatsTls>,
}

impl NatsOptions {
    /// The configuration file for these options, relative to the workspace root.
    fn config_file(&self) -> anyhow::Result<&'static str> {
        Ok(match (self.sync, self.tls) {
            (JetStreamSync::Interval, None) => "nats/server.conf",
            (JetStreamSync::Always, None) => "nats/server-durable.conf",
            (JetStreamSync::Interval, Some(NatsTls::Server)) => "nats/server-tls.conf",
            (JetStreamSync::Interval, Some(NatsTls::VerifyClients)) => {
                "nats/server-tls-verify.conf"
            }
            (JetStreamSync::Always, Some(_)) => {
                bail!("the TLS profiles run with the default durability")
            }
        })
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
    credentials_dir: PathBuf,
    /// Each user's password, for the server's environment.
    passwords: Vec<(&'static str, String)>,
    callout_issuer: CalloutIssuer,
    /// Whether clients without credentials are refused, as under `just up`.
    secured: bool,
    /// The certificates, when the server runs a TLS profile.
    tls: Option<TlsFiles>,
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
        NatsServer::start_as(options, false).await
    }

    /// Starts a server as [`NatsServer::start_with`] does, but one that refuses clients without
    /// credentials, as `just up` runs it: every client connects as one of [`NATS_USERS`](crate::NATS_USERS) with its
    /// [`NatsServer::credentials`] file, and gets that user's permissions.
    pub async fn start_secured(options: NatsOptions) -> anyhow::Result<NatsServer> {
        NatsServer::start_as(options, true).await
    }

    async fn start_as(options: NatsOptions, secured: bool) -> anyhow::Result<NatsServer> {
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
        let credentials_dir = dir.path().join("credentials");
        let passwords = write_credentials(&credentials_dir)?;
        let callout_issuer = write_callout_issuer(&credentials_dir)?;
        let tls = match options.tls {
            Some(_) => Some(TlsFiles::create(&dir.path().join("tls"))?),
            None => None,
        };

        let mut server = NatsServer {
            child: None,
            binary,
            options,
            port: 0,
            store_dir,
            ports_dir,
            credentials_dir,
            passwords,
            callout_issuer,
            secured,
            tls,
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

    /// The certificates of a server run with a TLS profile ([`NatsOptions::tls`]): a client
    /// trusts `ca`, and presents `client_cert` to a server that verifies clients.
    pub fn tls(&self) -> Option<&TlsFiles> {
        self.tls.as_ref()
    }

    /// The client port; it stays the same across [`NatsServer::restart`].
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's process ID while it runs (for tools that watch its resource use).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The credentials file (one line `user:password`) of `user`, one of [`NATS_USERS`](crate::NATS_USERS), as
    /// `just up` writes them: what `--nats-credentials` and the client library take.
    pub fn credentials(&self, user: &str) -> PathBuf {
        self.credentials_dir.join(format!("{user}.creds"))
    }

    /// The seed file of the account nkey this server trusts to sign auth callout answers:
    /// what identity's `--callout-issuer-key` takes.
    pub fn callout_issuer_key(&self) -> &Path {
        &self.callout_issuer.seed_file
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

    /// A new client connected to this server as the all-permitted `ops` user (so also to a
    /// [`NatsServer::start_secured`] one), reconnecting on its own after a restart.
    pub async fn client(&self) -> anyhow::Result<async_nats::Client> {
        self.user_options(ANONYMOUS_TEST_USER)
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

        let config = workspace_root().join(self.options.config_file()?);
        // nats-server logs to the file itself with -l; stdout and stderr catch what it prints
        // before that, such as configuration errors. All three append to the same file.
        let log = open_log(&self.log_path)?;
        let mut command = Command::new(&self.binary);
        for (user, password) in &self.passwords {
            command.env(
                format!("{PASSWORD_ENV_PREFIX}{}", user.to_uppercase()),
                password,
            );
        }
        // nats-server parses the variable's value as a configuration value, so nobody is the
        // quoted empty string.
        let anonymous = if self.secured {
            "\"\""
        } else {
            ANONYMOUS_TEST_USER
        };
        if let Some(tls) = &self.tls {
            command
                .env(HOST_ENV, "127.0.0.1")
                .env(TLS_CERT_ENV, &tls.server_cert)
                .env(TLS_KEY_ENV, &tls.server_key)
                .env(TLS_CA_ENV, &tls.ca);
        }
        let child = command
            .env(ANONYMOUS_USER_ENV, anonymous)
            .env(CALLOUT_ISSUER_ENV, &self.callout_issuer.public_key)
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
                // As `ops`, which works whether or not anonymous clients are refused.
                let options = self
                    .user_options(ANONYMOUS_TEST_USER)
                    .connection_timeout(CONNECT_TIMEOUT);
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

    /// Options to connect as `user` with its password (and this server's TLS files); no
    /// password (refused) for a user `nats/users.conf` does not define.
    pub fn user_options(&self, user: &str) -> async_nats::ConnectOptions {
        let password = self
            .passwords
            .iter()
            .find(|(known, _)| *known == user)
            .map(|(_, password)| password.clone())
            .unwrap_or_default();
        let options = async_nats::ConnectOptions::with_user_and_password(user.to_owned(), password);
        match &self.tls {
            Some(tls) => options
                .add_root_certificates(tls.ca.clone())
                .add_client_certificate(tls.client_cert.clone(), tls.client_key.clone())
                .require_tls(true),
            None => options,
        }
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
