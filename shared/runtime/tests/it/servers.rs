//! `--nats-url` with a list of servers: a process connects to any node that answers, and a
//! malformed list is refused before any connection is tried.

use std::time::Duration;

use bikestore_runtime::connect::connect;
use bikestore_testkit::NatsServer;
use futures::StreamExt;

#[tokio::test]
async fn a_list_of_servers_connects_to_one_that_answers() -> anyhow::Result<()> {
    let nats = NatsServer::start().await?;
    // A port nobody listens on any more: a node that is down.
    let down = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let list = format!("nats://{down}, {}", nats.url());
    let client = connect(&list, "server-list-test").await?;
    let mut echo = client.subscribe("server-list-test.echo").await?;
    client
        .publish("server-list-test.echo", "hello".into())
        .await?;
    let received = tokio::time::timeout(Duration::from_secs(20), echo.next())
        .await?
        .expect("the subscription is open");
    assert_eq!(&received.payload[..], b"hello");
    Ok(())
}

#[tokio::test]
async fn a_malformed_server_list_is_refused_naming_it() {
    let refused = connect(
        "nats://127.0.0.1:4222,,nats://127.0.0.1:4223",
        "server-list-test",
    )
    .await
    .expect_err("an empty entry");
    let message = refused.to_string();
    assert!(message.contains("not a NATS server list"), "{message}");
}
