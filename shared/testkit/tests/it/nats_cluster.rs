//! [`NatsServer`] as a 3-node cluster: replicated streams, a node killed, restarted and put in
//! lame duck mode.

use std::time::Duration;

use async_nats::jetstream;
use bikestore_testkit::{NatsOptions, NatsServer, eventually};

const STREAM: &str = "KIT";
const DEADLINE: Duration = Duration::from_secs(30);

async fn replicated_stream(cluster: &NatsServer) -> jetstream::Context {
    let js = jetstream::new(cluster.client().await.expect("connect to the cluster"));
    // A cluster just started (or under load) may count a node as offline for a moment and
    // refuse to place three replicas ("no suitable peers"); it places them once it sees all.
    eventually("a stream with three replicas", DEADLINE, async || {
        js.get_or_create_stream(jetstream::stream::Config {
            name: STREAM.to_owned(),
            subjects: vec!["kit.>".to_owned()],
            num_replicas: 3,
            ..Default::default()
        })
        .await
        .ok()
        .map(drop)
    })
    .await
    .expect("create a stream with three replicas");
    js
}

async fn publish(js: &jetstream::Context, count: usize) {
    for number in 0..count {
        // A publish right after a node dies may fail while the stream elects a new leader.
        eventually("a publish to be acknowledged", DEADLINE, async || {
            let ack = js
                .publish("kit.cluster", number.to_string().into())
                .await
                .ok()?;
            ack.await.ok().map(drop)
        })
        .await
        .expect("publish");
    }
}

async fn message_count(js: &jetstream::Context) -> u64 {
    let mut stream = js.get_stream(STREAM).await.expect("find the stream");
    stream.info().await.expect("stream info").state.messages
}

#[tokio::test]
async fn a_killed_leader_is_replaced_and_catches_up_when_it_returns() {
    let mut cluster = NatsServer::start_with(NatsOptions::cluster())
        .await
        .expect("cluster starts");
    assert_eq!(cluster.node_count(), 3);
    assert_eq!(cluster.url().split(',').count(), 3, "{}", cluster.url());
    let js = replicated_stream(&cluster).await;
    publish(&js, 10).await;
    let leader = cluster
        .wait_until_current(STREAM)
        .await
        .expect("replicas current");

    assert!(cluster.node_is_healthy(leader).await);
    cluster.kill_node(leader);
    assert!(!cluster.node_is_running(leader));
    assert!(!cluster.node_is_healthy(leader).await);
    publish(&js, 10).await;
    let new_leader = cluster
        .stream_leader(STREAM)
        .await
        .expect("stream info")
        .expect("a leader after the kill");
    assert_ne!(new_leader, leader, "the dead node cannot lead");
    assert_eq!(message_count(&js).await, 20);

    cluster.restart_node(leader).await.expect("node restarts");
    assert!(cluster.node_is_running(leader));
    cluster
        .wait_until_healthy(leader)
        .await
        .expect("the returned node says it is healthy");
    cluster
        .wait_until_current(STREAM)
        .await
        .expect("the returned node catches up");
    // Each node answers with the messages it holds: the returned one has all twenty.
    let returned = jetstream::new(
        cluster
            .user_options("ops")
            .connect(cluster.node_url(leader).as_str())
            .await
            .expect("connect to the returned node"),
    );
    assert_eq!(message_count(&returned).await, 20);
}

#[tokio::test]
async fn a_lame_duck_node_hands_its_leadership_over() {
    let mut cluster = NatsServer::start_with(NatsOptions::cluster())
        .await
        .expect("cluster starts");
    let js = replicated_stream(&cluster).await;
    publish(&js, 3).await;
    let leader = cluster
        .wait_until_current(STREAM)
        .await
        .expect("replicas current");

    cluster.lame_duck_node(leader).await.expect("lame duck");
    assert!(!cluster.node_is_running(leader));
    let new_leader = eventually("another node to lead", DEADLINE, async || {
        cluster.stream_leader(STREAM).await.ok().flatten()
    })
    .await
    .expect("a new leader");
    assert_ne!(new_leader, leader);
    publish(&js, 3).await;
    assert_eq!(message_count(&js).await, 6);
}

#[tokio::test]
async fn a_deployment_has_one_or_three_nodes() {
    let error = NatsServer::start_with(NatsOptions {
        nodes: 2,
        ..NatsOptions::default()
    })
    .await
    .expect_err("two nodes are refused");
    assert!(error.to_string().contains("1 or 3 nodes"), "{error}");
}
