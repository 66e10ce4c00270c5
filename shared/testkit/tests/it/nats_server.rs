//! [`NatsServer`]: private ports, restarts that keep JetStream data, cleanup on drop.

use std::sync::atomic::Ordering;
use std::time::Duration;

use async_nats::jetstream;
use bikestore_testkit::{JetStreamSync, NatsOptions, NatsServer, eventually};

const DEADLINE: Duration = Duration::from_secs(10);

#[tokio::test]
async fn two_servers_get_different_ports_and_stores() {
    let (first, second) = tokio::join!(NatsServer::start(), NatsServer::start());
    let first = first.expect("first server starts");
    let second = second.expect("second server starts");

    assert_ne!(first.port(), second.port());
    assert_ne!(first.store_dir(), second.store_dir());
    first.client().await.expect("connect to the first server");
    second.client().await.expect("connect to the second server");
}

#[tokio::test]
async fn a_durable_server_runs_the_durable_config_and_acknowledges_writes() {
    let server = NatsServer::start_with(NatsOptions {
        sync: JetStreamSync::Always,
        ..NatsOptions::default()
    })
    .await
    .expect("durable server starts");
    let js = jetstream::new(server.client().await.expect("connect"));
    js.create_stream(jetstream::stream::Config {
        name: "KIT".to_owned(),
        subjects: vec!["kit.>".to_owned()],
        ..Default::default()
    })
    .await
    .expect("create stream");
    js.publish("kit.durable", "synced".into())
        .await
        .expect("publish")
        .await
        .expect("ack");
    assert!(
        server.read_log().contains("server-durable.conf"),
        "{}",
        server.read_log()
    );
}

#[tokio::test]
async fn restart_keeps_the_port_and_jetstream_data_and_clients_reconnect() {
    let mut server = NatsServer::start().await.expect("server starts");
    let port = server.port();
    let client = server.client().await.expect("connect");
    let js = jetstream::new(client.clone());
    js.create_stream(jetstream::stream::Config {
        name: "KIT".to_owned(),
        subjects: vec!["kit.>".to_owned()],
        ..Default::default()
    })
    .await
    .expect("create stream");
    js.publish("kit.before", "before restart".into())
        .await
        .expect("publish")
        .await
        .expect("ack before restart");

    server.restart().await.expect("server restarts");
    assert_eq!(server.port(), port);

    // The old client reconnects on its own; its statistics count every successful connect.
    let statistics = client.statistics();
    eventually("the old client to reconnect", DEADLINE, async || {
        (statistics.connects.load(Ordering::Relaxed) >= 2).then_some(())
    })
    .await
    .expect("client reconnected");

    let mut stream = js
        .get_stream("KIT")
        .await
        .expect("stream survives the restart");
    let first = stream
        .get_raw_message(1)
        .await
        .expect("message survives the restart");
    assert_eq!(&first.payload[..], b"before restart");

    js.publish("kit.after", "after restart".into())
        .await
        .expect("publish after restart")
        .await
        .expect("ack after restart");
    assert_eq!(stream.info().await.expect("stream info").state.messages, 2);
}

#[tokio::test]
async fn restart_after_kill_starts_the_server_again() {
    let mut server = NatsServer::start().await.expect("server starts");
    server.kill();
    server
        .restart()
        .await
        .expect("server starts again after a kill");
    server.client().await.expect("connect after restart");
}

#[tokio::test]
async fn dropping_the_server_closes_its_port() {
    let server = NatsServer::start().await.expect("server starts");
    let address = format!("127.0.0.1:{}", server.port());
    let store = server.store_dir().to_path_buf();
    tokio::net::TcpStream::connect(&address)
        .await
        .expect("port accepts connections while the server runs");

    drop(server);

    eventually("the port to refuse connections", DEADLINE, async || {
        tokio::net::TcpStream::connect(&address)
            .await
            .is_err()
            .then_some(())
    })
    .await
    .expect("port closed after drop");
    assert!(!store.exists(), "the store directory is deleted on drop");
}
