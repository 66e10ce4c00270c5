//! `nats/status.py`, which `just status` and `just up` run, against real nats-servers: it names
//! each stream's and bucket's leader and replicas from the monitoring ports, sees a killed node
//! down and the new leader the others elect, and `wait` answers for the nodes' health.

use std::time::Duration;

use anyhow::{Context, bail};
use async_nats::jetstream;
use bikestore_contracts::headers::NATS_MSG_ID;
use bikestore_testkit::{NatsOptions, NatsServer, eventually, node_name, workspace_root};

const STREAM: &str = "REPORTED";
const BUCKET: &str = "reported";
/// How long the cluster may take to elect a new leader after a node dies, on a busy machine.
const ELECTION_DEADLINE: Duration = Duration::from_secs(30);

/// Runs `python3 nats/status.py <arguments> <name=port per node>` and returns its exit code and
/// everything it printed.
async fn status_script(nats: &NatsServer, arguments: &[&str]) -> anyhow::Result<(i32, String)> {
    let mut nodes = Vec::new();
    for index in 0..nats.node_count() {
        let port = nats
            .node_monitoring_port(index)
            .with_context(|| format!("node {index} has no monitoring port"))?;
        let name = if nats.node_count() == 1 {
            "bikestore".to_owned()
        } else {
            node_name(index)
        };
        nodes.push(format!("{name}={port}"));
    }
    let output = tokio::process::Command::new("python3")
        .arg(workspace_root().join("nats/status.py"))
        .args(arguments)
        .args(&nodes)
        .output()
        .await
        .context("cannot run python3 nats/status.py")?;
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let Some(code) = output.status.code() else {
        bail!("status.py was killed by a signal; it printed:\n{printed}");
    };
    Ok((code, printed))
}

/// The report's line about `label`: a node's name, a stream's, or `bucket <name>` (the report
/// separates its columns by two spaces or more).
fn line_about<'a>(report: &'a str, label: &str) -> anyhow::Result<&'a str> {
    report
        .lines()
        .find(|line| line.trim_start().starts_with(&format!("{label}  ")))
        .with_context(|| format!("no line about {label} in the report:\n{report}"))
}

/// The leader the report names for `label` (a stream's name, or `bucket <name>`): the column
/// after the label.
fn leader_of(report: &str, label: &str) -> anyhow::Result<String> {
    let line = line_about(report, label)?;
    line.trim_start()
        .trim_start_matches(label)
        .split_whitespace()
        .next()
        .map(str::to_owned)
        .with_context(|| format!("no leader in {line:?}"))
}

async fn replicated_stream_and_bucket(nats: &NatsServer, replicas: usize) -> anyhow::Result<()> {
    let js = jetstream::new(nats.client().await?);
    js.create_stream(jetstream::stream::Config {
        name: STREAM.to_owned(),
        subjects: vec!["reported.>".to_owned()],
        num_replicas: replicas,
        ..Default::default()
    })
    .await
    .context("create the stream")?;
    for number in 0..3 {
        // On a cluster the stream's subjects reach the node this client talks to a moment after
        // the stream is made, and a publish before that finds no stream: each is sent until it
        // lands, its message ID making a repeat a duplicate the stream drops.
        eventually("an event to be stored", ELECTION_DEADLINE, async || {
            let mut event_headers = async_nats::HeaderMap::new();
            event_headers.insert(NATS_MSG_ID, format!("reported-{number}").as_str());
            js.publish_with_headers("reported.event", event_headers, number.to_string().into())
                .await
                .ok()?
                .await
                .ok()
        })
        .await
        .context("publish")?;
    }
    js.create_key_value(jetstream::kv::Config {
        bucket: BUCKET.to_owned(),
        num_replicas: replicas,
        ..Default::default()
    })
    .await
    .context("create the bucket")?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_leaders_and_replicas_and_sees_a_killed_node_down() -> anyhow::Result<()> {
    let mut cluster = NatsServer::start_with(NatsOptions::cluster()).await?;
    replicated_stream_and_bucket(&cluster, 3).await?;
    let leader = cluster.wait_until_current(STREAM).await?;
    let bucket_leader = cluster.wait_until_current(&format!("KV_{BUCKET}")).await?;

    let (code, report) = status_script(&cluster, &["report"]).await?;
    assert_eq!(code, 0, "{report}");
    for index in 0..3 {
        let node_line = line_about(&report, &node_name(index))?;
        assert!(node_line.contains(" up    healthy"), "{report}");
    }
    assert_eq!(leader_of(&report, STREAM)?, node_name(leader), "{report}");
    let stream_line = line_about(&report, STREAM)?;
    assert!(stream_line.contains(" 3 "), "three messages: {report}");
    for follower in (0..3).filter(|&index| index != leader) {
        assert!(
            stream_line.contains(&format!("{} current", node_name(follower))),
            "{report}"
        );
    }
    assert_eq!(
        leader_of(&report, &format!("bucket {BUCKET}"))?,
        node_name(bucket_leader),
        "{report}"
    );
    let (code, waited) = status_script(&cluster, &["wait", "--timeout", "30"]).await?;
    assert_eq!(code, 0, "every node is healthy: {waited}");

    cluster.kill_node(leader);
    let killed = node_name(leader);
    // The other two elect a new leader, which reports the dead node as a replica that is down.
    let report = eventually(
        "the report to name a new leader",
        ELECTION_DEADLINE,
        async || {
            let (_, report) = status_script(&cluster, &["report"]).await.ok()?;
            let new_leader = leader_of(&report, STREAM).ok()?;
            let elected = (0..3).any(|index| index != leader && node_name(index) == new_leader);
            let killed_down = line_about(&report, STREAM)
                .ok()?
                .contains(&format!("{killed} down"));
            (elected && killed_down).then_some((new_leader, report))
        },
    )
    .await?;
    let (new_leader, report) = report;
    assert_ne!(new_leader, killed);
    assert!(
        line_about(&report, &killed)?.contains(" down  no answer"),
        "{report}"
    );
    let (code, waited) = status_script(&cluster, &["wait", "--timeout", "0.5"]).await?;
    assert_eq!(code, 1, "a node is down: {waited}");
    assert!(waited.contains(&format!("{killed}: no answer")), "{waited}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_node_leads_everything_without_replicas() -> anyhow::Result<()> {
    let nats = NatsServer::start().await?;
    replicated_stream_and_bucket(&nats, 1).await?;

    let (code, report) = status_script(&nats, &["report"]).await?;
    assert_eq!(code, 0, "{report}");
    assert!(
        line_about(&report, "bikestore")?.contains(" up    healthy"),
        "{report}"
    );
    for label in [STREAM.to_owned(), format!("bucket {BUCKET}")] {
        assert_eq!(leader_of(&report, &label)?, "bikestore", "{report}");
        let line = line_about(&report, &label)?;
        assert!(line.trim_end().ends_with("none"), "no replicas: {report}");
    }
    Ok(())
}
