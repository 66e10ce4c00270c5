//! [`ChildProcess`], [`cargo_bin`] and [`wait_for_service`].

use std::time::Duration;

use async_nats::service::ServiceExt;
use bikestore_contracts::Subjects;
use bikestore_testkit::{ChildProcess, NatsServer, cargo_bin, wait_for_service};

const DEADLINE: Duration = Duration::from_secs(10);

#[tokio::test]
async fn child_output_and_exit_status_are_kept() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let log = dir.path().join("logs/child.out");
    let mut child = ChildProcess::spawn(
        "/bin/sh".as_ref(),
        &["-c", "echo out \"$GREETING\"; echo err >&2; exit 3"],
        &[("GREETING", "hello")],
        &log,
    )
    .expect("spawn sh");

    let status = tokio::time::timeout(DEADLINE, child.wait())
        .await
        .expect("child exits")
        .expect("wait");
    assert_eq!(status.code(), Some(3));
    let output = child.read_log();
    assert!(output.contains("out hello"), "{output}");
    assert!(output.contains("err"), "{output}");
}

#[tokio::test]
async fn kill_hard_stops_a_running_child() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut child = ChildProcess::spawn(
        "/bin/sh".as_ref(),
        &["-c", "exec sleep 600"],
        &[] as &[(&str, &str)],
        &dir.path().join("sleep.out"),
    )
    .expect("spawn sleep");
    assert!(child.pid().is_some());

    let status = tokio::time::timeout(DEADLINE, child.kill_hard())
        .await
        .expect("kill finishes")
        .expect("kill");
    assert!(!status.success());
}

#[test]
fn cargo_bin_names_a_missing_binary() {
    let error = cargo_bin("bikestore-no-such-binary").expect_err("no such binary");
    assert!(
        error.to_string().contains("bikestore-no-such-binary"),
        "{error}"
    );
}

#[tokio::test]
async fn wait_for_service_sees_a_micro_service_start() {
    let server = NatsServer::start().await.expect("server starts");
    let client = server.client().await.expect("connect");

    let not_there = wait_for_service(&client, "kit-echo", Duration::from_millis(200)).await;
    assert!(not_there.is_err(), "no service yet");

    let service = client
        .service_builder()
        .start("kit-echo", "0.1.0")
        .await
        .expect("start service");
    // Registered, so it answers pings, but not ready until its ready endpoint exists.
    let registered = wait_for_service(&client, "kit-echo", Duration::from_millis(200)).await;
    assert!(registered.is_err(), "not ready before its ready endpoint");
    let _ready = service
        .endpoint_builder()
        .name(Subjects::READY_ENDPOINT)
        .add("kit-echo.ready")
        .await
        .expect("add the ready endpoint");
    wait_for_service(&client, "kit-echo", DEADLINE)
        .await
        .expect("service is ready");
}
