//! The system's health as `just status` prints it (`bikestore-orchestrator health`, as `ops`)
//! and as an admin's console reads it (`system_health` through the gateway), on a system whose
//! services each connect as their own NATS user: while notifications is stopped its consumer's
//! lag shows; once it is back, every service's instance shows with its endpoints' counts,
//! every durable consumer has caught up, and the saga counts are there; a member who is not an
//! admin is refused; another deployment's service on the same server is not listed. On a 3-node cluster it names every node, every stream's leader and two
//! followers, and a killed node as the one with a problem until it is back and caught up.
//!
//! It runs the orchestrator's binary: `cargo build --bin bikestore-orchestrator` first, or run
//! the whole workspace's tests.

use std::time::Duration;

use anyhow::{Context, ensure};
use async_nats::service::ServiceExt;
use bikestore_contracts::health::{SagaCounts, SystemHealth, SystemHealthReport};
use bikestore_contracts::sagas::SagaState;
use bikestore_contracts::{ErrorCode, ServiceName, StaffId};
use bikestore_harness::System;
use bikestore_runtime::config::NatsTls;
use bikestore_runtime::ops::{OpsConnection, system_health};
use bikestore_testkit::{NatsOptions, cargo_bin, eventually, node_name};

#[path = "support/shop.rs"]
mod shop;
use shop::Shop;

const WAIT: Duration = Duration::from_secs(20);

const EVERY_SERVICE: [ServiceName; 6] = [
    ServiceName::Identity,
    ServiceName::Inventory,
    ServiceName::Orders,
    ServiceName::Notifications,
    ServiceName::Orchestrator,
    ServiceName::Gateway,
];

/// The requests `service`'s instances have handled on `endpoint`, summed.
fn requests_on(report: &SystemHealthReport, service: ServiceName, endpoint: &str) -> u64 {
    report
        .services
        .iter()
        .filter(|health| health.name == service.as_str())
        .flat_map(|health| &health.instances)
        .flat_map(|instance| &instance.endpoints)
        .filter(|health| health.name == endpoint)
        .map(|health| health.requests)
        .sum()
}

fn assert_complete(report: &SystemHealthReport, work_stream: &str) -> anyhow::Result<()> {
    ensure!(
        report.problems.is_empty(),
        "problems: {:?}",
        report.problems
    );
    for service in EVERY_SERVICE {
        let listed = report
            .services
            .iter()
            .find(|health| health.name == service.as_str())
            .with_context(|| format!("{service} is missing: {report:#?}"))?;
        ensure!(listed.instances.len() == 1, "{service}: {listed:#?}");
        ensure!(
            !listed.instances[0].endpoints.is_empty(),
            "{service} lists no endpoint"
        );
    }
    ensure!(
        requests_on(report, ServiceName::Orchestrator, "place_order") == 1,
        "one order placed: {report:#?}"
    );
    ensure!(
        requests_on(report, ServiceName::Inventory, "reserve_stock") >= 1,
        "the saga reserved stock: {report:#?}"
    );
    let work = report
        .streams
        .iter()
        .find(|stream| stream.name == work_stream)
        .with_context(|| format!("no {work_stream}: {report:#?}"))?;
    ensure!(!work.consumers.is_empty(), "the saga worker's consumer");
    ensure!(
        report.sagas == Some(SagaCounts::default()),
        "the one saga completed: {:?}",
        report.sagas
    );
    ensure!(
        !report.nodes.is_empty() && report.nodes.iter().all(|node| node.problem.is_none()),
        "{:?}",
        report.nodes
    );
    Ok(())
}

/// How `just status` connects to `system`: as `ops`, with the system's subject prefix.
fn operator_of(system: &System) -> OpsConnection {
    OpsConnection {
        nats_url: system.nats_url(),
        nats_credentials: system.credentials("ops"),
        nats_tls: NatsTls::default(),
        subject_prefix: system.subjects().prefix().to_owned(),
    }
}

/// Runs `bikestore-orchestrator health` as `just status` does (as `ops`) and returns what it
/// printed.
async fn health_command(system: &System) -> anyhow::Result<String> {
    let binary = cargo_bin("bikestore-orchestrator")?;
    let credentials = system.credentials("ops").context("no ops credentials")?;
    let output = tokio::process::Command::new(&binary)
        .arg("health")
        .args(["--nats-url", &system.nats_url()])
        .arg("--nats-credentials")
        .arg(&credentials)
        .args(["--subject-prefix", system.subjects().prefix()])
        .output()
        .await
        .with_context(|| format!("cannot run {}", binary.display()))?;
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    ensure!(
        output.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(printed)
}

/// The columns of the printed line that starts with `first` and has `second` as a column.
fn printed_line<'a>(printed: &'a str, first: &str, second: &str) -> anyhow::Result<Vec<&'a str>> {
    printed
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .find(|columns| columns.first() == Some(&first) && columns.contains(&second))
        .with_context(|| format!("no line of {first} with {second}:\n{printed}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_health_report_shows_services_streams_and_sagas_to_operators_and_admins()
-> anyhow::Result<()> {
    let mut system = System::builder()
        .secured()
        .seeded()
        .all_services()
        .start()
        .await?;
    let shop = Shop::open(system.caller(), "Healthy", 5).await?;
    let work_stream = system.subjects().saga_work_stream();
    let orders_events = system.subjects().event_stream(ServiceName::Orders);
    let operator = operator_of(&system);

    // With notifications stopped, the order's events wait for it: its consumer lags.
    system.stop_service(ServiceName::Notifications).await?;
    let placed = system
        .caller()
        .call(&shop.order(StaffId(1), 1, "4242 4242 4242 4242", Some(15_000)))
        .await?;
    assert_eq!(placed.state, SagaState::Completed, "{placed:?}");
    eventually("the notifications consumer lags", WAIT, async || {
        let report = system_health(&operator).await?;
        let lag = report
            .streams
            .iter()
            .filter(|stream| stream.name == orders_events)
            .flat_map(|stream| &stream.consumers)
            .find(|consumer| consumer.name == ServiceName::Notifications.as_str())
            .map(|consumer| consumer.pending + consumer.ack_pending);
        anyhow::Ok(lag.filter(|lag| *lag > 0))
    })
    .await?;
    let printed = health_command(&system).await?;
    let lagging = printed_line(&printed, &orders_events, "notifications")?;
    assert_ne!(lagging.get(2..4), Some(&["0", "0"][..]), "{printed}");

    // Another deployment's orders on the same server, under another subject prefix, answers
    // `$SRV.STATS` too; it is not one of this deployment's instances (each service has one).
    let foreign = system
        .client()
        .service_builder()
        .start(ServiceName::Orders.as_str(), "9.9.9")
        .await
        .map_err(|error| anyhow::anyhow!("start a foreign service: {error}"))?;
    let elsewhere = bikestore_contracts::Subjects::new("elsewhere")?;
    let _foreign_endpoint = foreign
        .endpoint(elsewhere.svc(ServiceName::Orders, "place_order"))
        .await
        .map_err(|error| anyhow::anyhow!("add its endpoint: {error}"))?;

    // Back, it catches up: no durable consumer has anything pending.
    system.start_service(ServiceName::Notifications).await?;
    let report = eventually("every consumer caught up", WAIT, async || {
        let report = system_health(&operator).await?;
        let idle = report
            .streams
            .iter()
            .flat_map(|stream| &stream.consumers)
            .all(|consumer| consumer.is_idle());
        let notifications_back = report
            .services
            .iter()
            .any(|service| service.name == ServiceName::Notifications.as_str());
        anyhow::Ok((idle && notifications_back).then_some(report))
    })
    .await?;
    assert_complete(&report, &work_stream)?;
    let printed = health_command(&system).await?;
    assert_eq!(
        printed_line(&printed, "orchestrator", "place_order")?.get(3..5),
        Some(&["1", "0"][..]),
        "one request, no error: {printed}"
    );
    assert_eq!(
        printed_line(&printed, &orders_events, "notifications")?.get(2..4),
        Some(&["0", "0"][..]),
        "{printed}"
    );
    assert!(
        printed.contains("sagas: 0 running, 0 compensating, 0 stuck, 0 failed"),
        "{printed}"
    );

    // The admin's view through the gateway, gathered by the orchestrator as its own NATS user.
    let admin = system.console("admin").await?;
    let seen_by_admin = admin.call(&SystemHealth {}).await?;
    assert_complete(&seen_by_admin, &work_stream)?;

    let seller = system.console("sales1a").await?;
    let refused = seller
        .call(&SystemHealth {})
        .await
        .expect_err("only admins see the system's health");
    assert_eq!(refused.code(), ErrorCode::Forbidden, "{refused}");
    system.stop().await
}

/// The names of the report's nodes that have a problem, if it names exactly `nodes`.
fn troubled_nodes(report: &SystemHealthReport, nodes: &[String]) -> Option<Vec<String>> {
    let named: Vec<&String> = report.nodes.iter().map(|node| &node.name).collect();
    (named == nodes.iter().collect::<Vec<_>>()).then(|| {
        report
            .nodes
            .iter()
            .filter(|node| node.problem.is_some())
            .map(|node| node.name.clone())
            .collect()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_cluster_the_report_names_every_node_and_shows_a_killed_one_until_it_is_back()
-> anyhow::Result<()> {
    let mut system = System::builder()
        .nats_options(NatsOptions::cluster())
        .secured()
        .seeded()
        .all_services()
        .start()
        .await?;
    let shop = Shop::open(system.caller(), "Clustered", 5).await?;
    let placed = system
        .caller()
        .call(&shop.order(StaffId(1), 1, "4242 4242 4242 4242", Some(15_000)))
        .await?;
    assert_eq!(placed.state, SagaState::Completed, "{placed:?}");
    let operator = operator_of(&system);
    let nodes: Vec<String> = (0..system.nats().node_count()).map(node_name).collect();
    assert_eq!(nodes.len(), 3);

    // Every node healthy, every stream led by one with two followers beside it.
    let report = eventually(
        "every node healthy and every stream replicated",
        WAIT,
        async || {
            let report = system_health(&operator).await?;
            let healthy =
                troubled_nodes(&report, &nodes).is_some_and(|troubled| troubled.is_empty());
            let replicated = report
                .streams
                .iter()
                .all(|stream| stream.leader.is_some() && stream.replicas.len() == 2);
            anyhow::Ok((healthy && replicated && report.problems.is_empty()).then_some(report))
        },
    )
    .await?;
    ensure!(
        EVERY_SERVICE.iter().all(|service| report
            .services
            .iter()
            .any(|health| health.name == service.as_str())),
        "every service answers on a cluster: {report:#?}"
    );
    let printed = health_command(&system).await?;
    for node in &nodes {
        printed_line(&printed, node, "ok")?;
    }

    // A node dies: the streams it followed or led report it, and so does the report.
    let killed = nodes.len() - 1;
    system.nats_mut().kill_node(killed);
    eventually("the killed node reported", WAIT, async || {
        let report = system_health(&operator).await?;
        anyhow::Ok(troubled_nodes(&report, &nodes).filter(|troubled| troubled == &nodes[killed..]))
    })
    .await?;
    let printed = health_command(&system).await?;
    let line = printed
        .lines()
        .find(|line| line.starts_with(&nodes[killed]))
        .with_context(|| format!("no line of {}:\n{printed}", nodes[killed]))?;
    assert!(!line.trim_end().ends_with(" ok"), "{printed}");

    // Back, it catches up and the report is clean again.
    system.nats_mut().restart_node(killed).await?;
    eventually("the node back and caught up", WAIT, async || {
        let report = system_health(&operator).await?;
        anyhow::Ok(troubled_nodes(&report, &nodes).filter(|troubled| troubled.is_empty()))
    })
    .await?;
    system.stop().await
}
