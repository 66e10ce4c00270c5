//! [`NatsServer`]: a private nats-server, or a private 3-node cluster, per test.
//!
//! Each server runs `nats/server.conf` (the file `just up` uses), or `nats/server-durable.conf` for
//! [`JetStreamSync::Always`], with its client port chosen by the server, its JetStream store and log
//! in a temporary directory it owns, and it is killed and cleaned up on drop. Readiness is a
//! successful client connection, never a fixed sleep.
//!
//! With [`NatsOptions::nodes`] at 3 it is a JetStream cluster instead (`nats/cluster.conf` or
//! `nats/cluster-durable.conf` on every node, `nats_cluster`): [`NatsServer::url`] lists every
//! node, and single nodes can be killed, restarted and put in lame duck mode.
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

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use tempfile::TempDir;

use crate::credentials::{CalloutIssuer, write_callout_issuer, write_credentials};
use crate::nats_cluster::Routes;
use crate::nats_node::Node;
use crate::tls::TlsFiles;
use crate::{nats_server_binary, test_log_enabled, workspace_root};

/// The user a client without credentials acts as; `""` is nobody.
const ANONYMOUS_USER_ENV: &str = "BIKESTORE_NATS_ANONYMOUS_USER";
/// Each user's password is in `<this><USER>`.
pub(crate) const PASSWORD_ENV_PREFIX: &str = "BIKESTORE_NATS_PASSWORD_";
/// What the TLS profiles read besides.
pub(crate) const HOST_ENV: &str = "BIKESTORE_NATS_HOST";
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NatsOptions {
    /// When JetStream syncs to disk.
    pub sync: JetStreamSync,
    /// The TLS profile, if any (with the default sync and one node only).
    pub tls: Option<NatsTls>,
    /// How many nodes: 1 (a single server) or 3 (a JetStream cluster).
    pub nodes: usize,
}

impl Default for NatsOptions {
    fn default() -> NatsOptions {
        NatsOptions {
            sync: JetStreamSync::default(),
            tls: None,
            nodes: 1,
        }
    }
}

impl NatsOptions {
    /// A 3-node cluster with the default sync.
    pub fn cluster() -> NatsOptions {
        NatsOptions {
            nodes: 3,
            ..NatsOptions::default()
        }
    }

    /// The configuration file for these options, relative to the workspace root.
    fn config_file(&self) -> anyhow::Result<&'static str> {
        Ok(match (self.nodes, self.sync, self.tls) {
            (1, JetStreamSync::Interval, None) => "nats/server.conf",
            (1, JetStreamSync::Always, None) => "nats/server-durable.conf",
            (1, JetStreamSync::Interval, Some(NatsTls::Server)) => "nats/server-tls.conf",
            (1, JetStreamSync::Interval, Some(NatsTls::VerifyClients)) => {
                "nats/server-tls-verify.conf"
            }
            (1, JetStreamSync::Always, Some(_)) => {
                bail!("the TLS profiles run with the default durability")
            }
            (3, JetStreamSync::Interval, None) => "nats/cluster.conf",
            (3, JetStreamSync::Always, None) => "nats/cluster-durable.conf",
            (3, _, Some(_)) => bail!("the TLS profiles run on a single node"),
            (nodes, _, _) => bail!("a NATS deployment has 1 or 3 nodes, not {nodes}"),
        })
    }
}

/// A running nats-server with JetStream, or a cluster of them, private to one test.
///
/// Dropping it kills every node and deletes its store.
#[derive(Debug)]
pub struct NatsServer {
    nodes: Vec<Node>,
    /// How the cluster's nodes find each other; `None` for a single node.
    routes: Option<Routes>,
    credentials_dir: PathBuf,
    /// Each user's password, for the server's environment.
    passwords: Vec<(&'static str, String)>,
    callout_issuer: CalloutIssuer,
    /// Whether clients without credentials are refused, as under `just up`.
    secured: bool,
    /// The certificates, when the server runs a TLS profile.
    tls: Option<TlsFiles>,
    // Declared last so it is deleted after everything else; `Drop` kills the servers first.
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
        let config = workspace_root().join(options.config_file()?);
        // Finding the binary may run `nats-server --version` once; keep that off the runtime.
        let binary = tokio::task::spawn_blocking(nats_server_binary)
            .await
            .context("finding nats-server panicked")??;
        let dir = tempfile::Builder::new()
            .prefix("bikestore-nats-")
            .tempdir()
            .context("cannot create a temporary directory for nats-server")?;
        let credentials_dir = dir.path().join("credentials");
        let passwords = write_credentials(&credentials_dir)?;
        let callout_issuer = write_callout_issuer(&credentials_dir)?;
        let tls = match options.tls {
            Some(_) => Some(TlsFiles::create(&dir.path().join("tls"))?),
            None => None,
        };
        let nodes = if options.nodes == 1 {
            // One node keeps its files where they always were, beside the credentials.
            vec![Node::new(binary, config, dir.path())?]
        } else {
            (1..=options.nodes)
                .map(|number| {
                    let node_dir = dir.path().join(format!("node-{number}"));
                    Node::new(binary.clone(), config.clone(), &node_dir)
                })
                .collect::<anyhow::Result<_>>()?
        };
        let routes = (options.nodes > 1)
            .then(|| Routes::choose(options.nodes))
            .transpose()?;

        let mut server = NatsServer {
            nodes,
            routes,
            credentials_dir,
            passwords,
            callout_issuer,
            secured,
            tls,
            _dir: dir,
        };
        server.start_every_node_choosing_routes().await?;
        Ok(server)
    }

    /// Starts every node, choosing the cluster's route ports again when another process took
    /// one between [`Routes::choose`] and the node binding it.
    async fn start_every_node_choosing_routes(&mut self) -> anyhow::Result<()> {
        const ATTEMPTS: usize = 3;
        let mut attempt = 1;
        loop {
            let outcome = self.start_every_node().await;
            let route_port_taken = outcome.is_err()
                && self.routes.is_some()
                && self.read_log().contains("address already in use");
            if !route_port_taken || attempt == ATTEMPTS {
                return outcome;
            }
            attempt += 1;
            self.kill();
            self.routes = Some(Routes::choose(self.nodes.len())?);
        }
    }

    /// Every node's client URL, comma-separated (what `--nats-url` takes), for example
    /// `nats://127.0.0.1:41234`, or three of them for a cluster.
    pub fn url(&self) -> String {
        let urls: Vec<String> = self.nodes.iter().map(Node::url).collect();
        urls.join(",")
    }

    /// The certificates of a server run with a TLS profile ([`NatsOptions::tls`]): a client
    /// trusts `ca`, and presents `client_cert` to a server that verifies clients.
    pub fn tls(&self) -> Option<&TlsFiles> {
        self.tls.as_ref()
    }

    /// The (first node's) client port; it stays the same across [`NatsServer::restart`].
    pub fn port(&self) -> u16 {
        self.nodes[0].port()
    }

    /// The (first node's) process ID while it runs, for tools that watch its resource use.
    pub fn pid(&self) -> Option<u32> {
        self.nodes[0].pid()
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

    /// The (first node's) JetStream store directory; it survives [`NatsServer::restart`].
    pub fn store_dir(&self) -> &Path {
        self.nodes[0].store_dir()
    }

    /// The (first node's) log file, in the same temporary directory as the store.
    pub fn log_path(&self) -> &Path {
        self.nodes[0].log_path()
    }

    /// Every node's log so far, for failure messages.
    pub fn read_log(&self) -> String {
        let logs: Vec<String> = self.nodes.iter().map(Node::read_log).collect();
        logs.join("\n")
    }

    /// A new client connected to this server (to any node of a cluster) as the all-permitted
    /// `ops` user (so also to a [`NatsServer::start_secured`] one), reconnecting on its own after
    /// a restart.
    pub async fn client(&self) -> anyhow::Result<async_nats::Client> {
        let urls: Vec<String> = self.nodes.iter().map(Node::url).collect();
        self.user_options(ANONYMOUS_TEST_USER)
            .name("bikestore-testkit")
            .connect(urls.as_slice())
            .await
            .with_context(|| format!("cannot connect to nats-server at {}", self.url()))
    }

    /// Stops every node gracefully (SIGTERM, then SIGKILL if it lingers) and starts them again
    /// on the same ports and store directories, so connected clients reconnect and JetStream
    /// data survives. After [`NatsServer::kill`] it simply starts them again.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        for node in &mut self.nodes {
            node.stop_gracefully().await?;
        }
        self.start_every_node().await
    }

    /// Kills every node at once (SIGKILL) and reaps it, as a crash would.
    pub fn kill(&mut self) {
        for node in &mut self.nodes {
            node.kill();
        }
    }

    /// Starts every node and waits until each accepts a connection (and, for a cluster, until
    /// JetStream answers, which needs a meta leader).
    async fn start_every_node(&mut self) -> anyhow::Result<()> {
        for index in 0..self.nodes.len() {
            let environment = self.node_environment(index);
            self.nodes[index].spawn(&environment)?;
        }
        for index in 0..self.nodes.len() {
            self.wait_until_node_ready(index).await?;
        }
        if self.routes.is_some() {
            self.wait_until_jetstream_answers().await?;
        }
        Ok(())
    }

    pub(crate) async fn wait_until_node_ready(&mut self, index: usize) -> anyhow::Result<()> {
        // The node is borrowed mutably while it waits, so the options come from copies.
        let passwords = self.passwords.clone();
        let tls = self.tls.clone();
        let options = move || user_options(&passwords, tls.as_ref(), ANONYMOUS_TEST_USER);
        self.nodes[index].wait_until_ready(options).await
    }

    /// What node `index`'s nats-server reads from its environment.
    pub(crate) fn node_environment(&self, index: usize) -> Vec<(String, OsString)> {
        let mut environment: Vec<(String, OsString)> = self
            .passwords
            .iter()
            .map(|(user, password)| {
                (
                    format!("{PASSWORD_ENV_PREFIX}{}", user.to_uppercase()),
                    password.into(),
                )
            })
            .collect();
        // nats-server parses the variable's value as a configuration value, so nobody is the
        // quoted empty string.
        let anonymous = if self.secured {
            "\"\""
        } else {
            ANONYMOUS_TEST_USER
        };
        environment.push((ANONYMOUS_USER_ENV.to_owned(), anonymous.into()));
        environment.push((
            CALLOUT_ISSUER_ENV.to_owned(),
            self.callout_issuer.public_key.clone().into(),
        ));
        if let Some(tls) = &self.tls {
            environment.push((HOST_ENV.to_owned(), "127.0.0.1".into()));
            environment.push((TLS_CERT_ENV.to_owned(), tls.server_cert.clone().into()));
            environment.push((TLS_KEY_ENV.to_owned(), tls.server_key.clone().into()));
            environment.push((TLS_CA_ENV.to_owned(), tls.ca.clone().into()));
        }
        if let Some(routes) = &self.routes {
            environment.extend(routes.node_environment(index));
        }
        environment
    }

    /// Options to connect as `user` with its password (and this server's TLS files); no
    /// password (refused) for a user `nats/users.conf` does not define.
    pub fn user_options(&self, user: &str) -> async_nats::ConnectOptions {
        user_options(&self.passwords, self.tls.as_ref(), user)
    }

    pub(crate) fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    pub(crate) fn nodes_mut(&mut self) -> &mut [Node] {
        &mut self.nodes
    }
}

fn user_options(
    passwords: &[(&'static str, String)],
    tls: Option<&TlsFiles>,
    user: &str,
) -> async_nats::ConnectOptions {
    let password = passwords
        .iter()
        .find(|(known, _)| *known == user)
        .map(|(_, password)| password.clone())
        .unwrap_or_default();
    let options = async_nats::ConnectOptions::with_user_and_password(user.to_owned(), password);
    match tls {
        Some(tls) => options
            .add_root_certificates(tls.ca.clone())
            .add_client_certificate(tls.client_cert.clone(), tls.client_key.clone())
            .require_tls(true),
        None => options,
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
        if test_log_enabled() {
            for node in &self.nodes {
                eprintln!(
                    "----- nats-server log ({}) -----\n{}",
                    node.log_path().display(),
                    node.read_log()
                );
            }
        }
    }
}
