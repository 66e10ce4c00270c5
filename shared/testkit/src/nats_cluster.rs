//! A [`NatsServer`] of three nodes: how they find each other ([`Routes`]), and what tests do to
//! one node (kill, restart, lame duck) and ask of the cluster (a stream's leader, replicas
//! caught up).

use std::ffi::OsString;
use std::net::TcpListener;
use std::time::Duration;

use anyhow::{Context, bail};
use async_nats::jetstream;

use crate::nats::{HOST_ENV, PASSWORD_ENV_PREFIX};
use crate::{NatsServer, eventually};

/// The environment variables `nats/cluster-node.conf` reads.
const NODE_NAME_ENV: &str = "BIKESTORE_NATS_NODE_NAME";
const CLUSTER_PORT_ENV: &str = "BIKESTORE_NATS_CLUSTER_PORT";
const ROUTE_ENV_PREFIX: &str = "BIKESTORE_NATS_ROUTE_";
/// The user the nodes' routes authenticate as (`cluster.authorization` in the file).
const ROUTE_USER: &str = "route";
/// How long a cluster may take to elect its JetStream meta leader, or a stream its leader and
/// catch its replicas up, on a busy machine.
const CLUSTER_DEADLINE: Duration = Duration::from_secs(30);
/// How long one question to a cluster that is still electing may go unanswered.
const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(500);
/// How long lame duck mode may take before the node is killed: nats-server spreads closing its
/// clients over its lame duck duration (2 minutes by default), so this cuts it short once the
/// leaderships have moved.
const LAME_DUCK_DEADLINE: Duration = Duration::from_secs(15);

/// The route ports and password of a cluster's nodes.
#[derive(Debug)]
pub(crate) struct Routes {
    ports: Vec<u16>,
    password: String,
}

impl Routes {
    /// Free route ports for `nodes` nodes, and a fresh password.
    ///
    /// Every node must know every route port before any starts, so the ports are found by binding
    /// to port 0 and letting go; another process may take one in between, which
    /// [`NatsServer`] notices ("address already in use") and answers by choosing again.
    pub(crate) fn choose(nodes: usize) -> anyhow::Result<Routes> {
        let listeners = (0..nodes)
            .map(|_| TcpListener::bind("127.0.0.1:0"))
            .collect::<Result<Vec<_>, _>>()
            .context("cannot find free route ports")?;
        let ports = listeners
            .iter()
            .map(|listener| listener.local_addr().map(|address| address.port()))
            .collect::<Result<Vec<_>, _>>()
            .context("cannot read a free route port")?;
        Ok(Routes {
            ports,
            password: crate::credentials::random_password()?,
        })
    }

    /// What node `index` (from 0) reads besides the single node's settings.
    pub(crate) fn node_environment(&self, index: usize) -> Vec<(String, OsString)> {
        let mut environment = vec![
            (NODE_NAME_ENV.to_owned(), node_name(index).into()),
            (HOST_ENV.to_owned(), "127.0.0.1".into()),
            (
                CLUSTER_PORT_ENV.to_owned(),
                self.ports[index].to_string().into(),
            ),
            (
                format!("{PASSWORD_ENV_PREFIX}ROUTE"),
                self.password.clone().into(),
            ),
        ];
        for (number, port) in (1..).zip(&self.ports) {
            environment.push((
                format!("{ROUTE_ENV_PREFIX}{number}"),
                format!(
                    "nats-route://{ROUTE_USER}:{}@127.0.0.1:{port}",
                    self.password
                )
                .into(),
            ));
        }
        environment
    }
}

/// The server name of node `index` (from 0): `bikestore-1`, `bikestore-2`, ...
pub fn node_name(index: usize) -> String {
    format!("bikestore-{}", index + 1)
}

impl NatsServer {
    /// How many nodes: 1, or 3 for a cluster.
    pub fn node_count(&self) -> usize {
        self.nodes().len()
    }

    /// The process IDs of the nodes that run (for tools that watch their resource use).
    pub fn pids(&self) -> Vec<u32> {
        self.nodes().iter().filter_map(|node| node.pid()).collect()
    }

    /// Node `index`'s own client URL.
    pub fn node_url(&self, index: usize) -> String {
        self.nodes()[index].url()
    }

    /// Node `index`'s HTTP monitoring port (`/healthz`, `/varz`, `/jsz`); none under the TLS
    /// profiles, which turn monitoring off.
    pub fn node_monitoring_port(&self, index: usize) -> Option<u16> {
        self.nodes()[index].monitoring_port()
    }

    /// Whether node `index` runs.
    pub fn node_is_running(&mut self, index: usize) -> bool {
        self.nodes_mut()[index].is_running()
    }

    /// Kills node `index` at once (SIGKILL), as a crash or a lost machine would.
    pub fn kill_node(&mut self, index: usize) {
        self.nodes_mut()[index].kill();
    }

    /// Starts node `index` again (stopping it gracefully first if it runs) on its ports and
    /// store, and waits until it accepts connections. Its streams' replicas catch up on their
    /// own; [`NatsServer::wait_until_current`] waits for one.
    pub async fn restart_node(&mut self, index: usize) -> anyhow::Result<()> {
        self.nodes_mut()[index].stop_gracefully().await?;
        let environment = self.node_environment(index);
        self.nodes_mut()[index].spawn(&environment)?;
        self.wait_until_node_ready(index).await
    }

    /// Puts node `index` in lame duck mode, as an operator taking a machine down would: it
    /// hands its leaderships to other nodes and stops; returns once it has exited.
    pub async fn lame_duck_node(&mut self, index: usize) -> anyhow::Result<()> {
        self.nodes_mut()[index]
            .stop("ldm", LAME_DUCK_DEADLINE)
            .await
    }

    /// The index of the node leading `stream` (a KV bucket's stream is `KV_<bucket>`), if it
    /// has a leader now.
    pub async fn stream_leader(&self, stream: &str) -> anyhow::Result<Option<usize>> {
        let jetstream = jetstream::new(self.client().await?);
        let mut handle = jetstream
            .get_stream(stream)
            .await
            .with_context(|| format!("cannot find stream {stream}"))?;
        let info = handle
            .info()
            .await
            .with_context(|| format!("cannot read stream {stream}'s info"))?;
        let leader = info
            .cluster
            .as_ref()
            .and_then(|cluster| cluster.leader.clone());
        Ok(leader.and_then(|name| (0..self.node_count()).find(|&index| node_name(index) == name)))
    }

    /// Waits until `stream` has a leader and every other replica is current and online, and
    /// returns the leader's index.
    pub async fn wait_until_current(&self, stream: &str) -> anyhow::Result<usize> {
        let jetstream = jetstream::new(self.client().await?);
        eventually(
            &format!("stream {stream} to have a leader and current replicas"),
            CLUSTER_DEADLINE,
            async || {
                let Ok(mut handle) = jetstream.get_stream(stream).await else {
                    return None;
                };
                let info = handle.info().await.ok()?;
                let cluster = info.cluster.as_ref()?;
                let leader = cluster.leader.as_deref()?;
                let replicas_current = cluster
                    .replicas
                    .iter()
                    .all(|replica| replica.current && !replica.offline);
                let expected_replicas = info.config.num_replicas;
                (replicas_current && cluster.replicas.len() + 1 >= expected_replicas)
                    .then(|| (0..self.node_count()).find(|&index| node_name(index) == leader))
                    .flatten()
            },
        )
        .await
    }

    /// Whether node `index` says it is healthy: nats-server's `/healthz` answers 200 only once
    /// the node runs, has a meta leader and every stream and consumer it holds is current.
    pub async fn node_is_healthy(&self, index: usize) -> bool {
        let Some(port) = self.node_monitoring_port(index) else {
            return false;
        };
        let asked = tokio::time::timeout(ATTEMPT_TIMEOUT, http_status(port, "/healthz")).await;
        matches!(asked, Ok(Ok(200)))
    }

    /// Waits until node `index` is healthy ([`NatsServer::node_is_healthy`]): after a restart,
    /// until it has caught up, so killing another node then never leaves a stream with two
    /// replicas behind.
    pub async fn wait_until_healthy(&self, index: usize) -> anyhow::Result<()> {
        eventually(
            &format!("node {} to be healthy", node_name(index)),
            CLUSTER_DEADLINE,
            async || self.node_is_healthy(index).await.then_some(()),
        )
        .await
    }

    /// The last sequence of node `index`'s own copy of `stream`, from its `/jsz`; `None` while
    /// the node has no copy or does not answer. Unlike a replica being "current", which the
    /// stream's leader reports from its replication log, this is what the node's store holds: a
    /// restored stream's followers get its messages out of band, after they count as current.
    pub async fn node_last_sequence(&self, index: usize, stream: &str) -> Option<u64> {
        self.node_stream_detail(index, stream)
            .await??
            .get("state")?
            .get("last_seq")?
            .as_u64()
    }

    /// What node `index` (0-based) reports of `stream` on its monitoring port: `Some(None)`
    /// when it holds no copy, `None` when it cannot be asked.
    async fn node_stream_detail(
        &self,
        index: usize,
        stream: &str,
    ) -> Option<Option<serde_json::Value>> {
        let port = self.node_monitoring_port(index)?;
        let path = "/jsz?accounts=true&streams=true";
        let (_, body) = tokio::time::timeout(ATTEMPT_TIMEOUT, http_get(port, path))
            .await
            .ok()?
            .ok()?;
        let jsz: serde_json::Value = serde_json::from_str(&body).ok()?;
        let accounts = jsz.get("account_details")?.as_array()?;
        let mut streams = accounts
            .iter()
            .filter_map(|account| account.get("stream_detail")?.as_array())
            .flatten();
        Some(
            streams
                .find(|detail| {
                    detail.get("name").and_then(serde_json::Value::as_str) == Some(stream)
                })
                .cloned(),
        )
    }

    /// Waits until no node holds a copy of `stream`: a deletion the meta leader acknowledged
    /// reaches the other nodes a moment later, and a stream of the same name created or
    /// restored meanwhile may find an old copy in its way.
    pub async fn wait_until_no_node_holds(&self, stream: &str) -> anyhow::Result<()> {
        eventually(
            &format!("every node to drop its copy of {stream}"),
            CLUSTER_DEADLINE,
            async || {
                for index in 0..self.node_count() {
                    if self.node_stream_detail(index, stream).await?.is_some() {
                        return None;
                    }
                }
                Some(())
            },
        )
        .await
    }

    /// Waits until every node's copy of `stream` holds its messages up to `last_sequence`
    /// ([`NatsServer::node_last_sequence`]).
    pub async fn wait_until_every_node_holds(
        &self,
        stream: &str,
        last_sequence: u64,
    ) -> anyhow::Result<()> {
        eventually(
            &format!("every node's copy of {stream} to reach sequence {last_sequence}"),
            CLUSTER_DEADLINE,
            async || {
                for index in 0..self.node_count() {
                    if self.node_last_sequence(index, stream).await? < last_sequence {
                        return None;
                    }
                }
                Some(())
            },
        )
        .await
    }

    /// Waits until JetStream answers, which on a cluster needs an elected meta leader.
    pub(crate) async fn wait_until_jetstream_answers(&self) -> anyhow::Result<()> {
        let jetstream = jetstream::new(self.client().await?);
        let answered = eventually(
            "the cluster's JetStream to answer",
            CLUSTER_DEADLINE,
            // A request sent before the meta leader is elected goes unanswered: ask again soon
            // rather than wait out the client's request timeout.
            async || {
                tokio::time::timeout(ATTEMPT_TIMEOUT, jetstream.query_account())
                    .await
                    .ok()?
                    .ok()
                    .map(drop)
            },
        )
        .await;
        if answered.is_err() {
            bail!(
                "the cluster's JetStream did not answer within {CLUSTER_DEADLINE:?}; the logs:\n{}",
                self.read_log()
            );
        }
        Ok(())
    }
}

/// The status code of a plain HTTP GET of `path` on the loopback `port`.
async fn http_status(port: u16, path: &str) -> anyhow::Result<u16> {
    Ok(http_get(port, path).await?.0)
}

/// The status code and body of a plain HTTP GET of `path` on the loopback `port` (the
/// monitoring port speaks HTTP/1.1; no client library is needed for one small answer).
async fn http_get(port: u16, path: &str) -> anyhow::Result<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    let answer = String::from_utf8_lossy(&answer);
    let status = answer
        .lines()
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .with_context(|| format!("no HTTP status line in {answer:?}"))?;
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}
