//! Gathers the system's health ([`SystemHealthReport`]) over NATS alone, for `just status`
//! (the `health` operator subcommand) and the orchestrator's admin-only `system_health` query:
//! every micro service instance's endpoint statistics from one `$SRV.STATS` fan-out, collected
//! until the replies fall quiet (instances of another deployment on the server, under another
//! subject prefix, left out); every stream's replicas and its consumers' lag from the
//! JetStream API; each node's health from the streams' cluster information. Saga counts come
//! from the orchestrator, which the caller asks ([`saga_counts`] turns its statistics into them).
//!
//! Nothing here fails as a whole: what cannot be found out is a line in the report's
//! `problems`. It holds no business rule and prints nothing ([`render`] only formats).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use async_nats::jetstream;
use bikestore_contracts::Subjects;
use bikestore_contracts::health::{
    ConsumerHealth, EndpointHealth, InstanceHealth, NodeHealth, ReplicaHealth, SagaCounts,
    ServiceHealth, StreamHealth, SystemHealthReport,
};
use bikestore_contracts::sagas::{SagaState, StateCount};
use futures::{StreamExt, TryStreamExt};

/// How long the first `$SRV.STATS` reply may take.
const FIRST_REPLY: Duration = Duration::from_secs(2);
/// Once replies flow, how long a pause ends the collection: every instance answers at once,
/// so a pause this long means every one has.
const QUIET: Duration = Duration::from_millis(300);
/// How long collecting statistics may take in all, however many instances answer.
const COLLECTING: Duration = Duration::from_secs(5);
/// How long each JetStream listing may take.
const LISTING: Duration = Duration::from_secs(5);

/// The system's health as `client` sees it, without saga counts (`sagas` is `None`; the
/// caller fills it in).
pub async fn gather(client: &async_nats::Client, subjects: &Subjects) -> SystemHealthReport {
    let mut problems = Vec::new();
    let services = services(client, subjects.prefix(), &mut problems).await;
    let streams = streams(&jetstream::new(client.clone()), &mut problems).await;
    let nodes = nodes(&client.server_info().server_name, &streams);
    SystemHealthReport {
        services,
        streams,
        nodes,
        sagas: None,
        problems,
    }
}

/// Every instance's statistics, grouped by service, from the replies to one `$SRV.STATS`; an
/// instance of another deployment on the same server (another subject prefix) is left out.
async fn services(
    client: &async_nats::Client,
    prefix: &str,
    problems: &mut Vec<String>,
) -> Vec<ServiceHealth> {
    let inbox = client.new_inbox();
    let mut replies = match client.subscribe(inbox.clone()).await {
        Ok(replies) => replies,
        Err(error) => {
            problems.push(format!("cannot ask services for statistics: {error}"));
            return Vec::new();
        }
    };
    let asked = client
        .publish_with_reply(Subjects::every_service_stats(), inbox, bytes::Bytes::new())
        .await;
    if let Err(error) = asked {
        problems.push(format!("cannot ask services for statistics: {error}"));
        return Vec::new();
    }
    let mut by_service: BTreeMap<String, Vec<InstanceHealth>> = BTreeMap::new();
    let give_up = tokio::time::Instant::now() + COLLECTING;
    let mut wait = FIRST_REPLY;
    loop {
        let until = (tokio::time::Instant::now() + wait).min(give_up);
        let Ok(Some(reply)) = tokio::time::timeout_at(until, replies.next()).await else {
            break;
        };
        wait = QUIET;
        match serde_json::from_slice::<async_nats::service::Stats>(&reply.payload) {
            Ok(stats) if !serves_deployment(&stats, prefix) => {}
            Ok(stats) => by_service
                .entry(stats.name.clone())
                .or_default()
                .push(instance(stats)),
            Err(error) => problems.push(format!("a service sent unreadable statistics: {error}")),
        }
    }
    if by_service.is_empty() {
        problems.push("no service answered for its statistics".to_owned());
    }
    by_service
        .into_iter()
        .map(|(name, mut instances)| {
            instances.sort_by(|left, right| left.id.cmp(&right.id));
            ServiceHealth { name, instances }
        })
        .collect()
}

/// Whether an instance serves the deployment of subject prefix `prefix`: `$SRV.STATS` reaches
/// every micro service on the server, whichever deployment it belongs to.
fn serves_deployment(stats: &async_nats::service::Stats, prefix: &str) -> bool {
    stats.endpoints.iter().any(|endpoint| {
        endpoint
            .subject
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('.'))
    })
}

fn instance(stats: async_nats::service::Stats) -> InstanceHealth {
    let mut endpoints: Vec<EndpointHealth> = stats
        .endpoints
        .into_iter()
        .map(|endpoint| EndpointHealth {
            name: endpoint.name,
            requests: endpoint.requests as u64,
            errors: endpoint.errors as u64,
            average_micros: u64::try_from(endpoint.average_processing_time.as_micros())
                .unwrap_or(u64::MAX),
            last_error: endpoint
                .last_error
                .map(|error| error.to_string())
                .unwrap_or_default(),
        })
        .collect();
    endpoints.sort_by(|left, right| left.name.cmp(&right.name));
    InstanceHealth {
        id: stats.id,
        version: stats.version,
        endpoints,
    }
}

/// Every stream with its replicas and consumers, by name.
async fn streams(jetstream: &jetstream::Context, problems: &mut Vec<String>) -> Vec<StreamHealth> {
    let listed = tokio::time::timeout(
        LISTING,
        jetstream
            .streams()
            .try_collect::<Vec<jetstream::stream::Info>>(),
    )
    .await;
    let infos = match listed {
        Ok(Ok(infos)) => infos,
        Ok(Err(error)) => {
            problems.push(format!("cannot list the streams: {error}"));
            return Vec::new();
        }
        Err(_) => {
            problems.push(format!("listing the streams took over {LISTING:?}"));
            return Vec::new();
        }
    };
    let mut streams = Vec::with_capacity(infos.len());
    for info in infos {
        let consumers = consumers(jetstream, &info.config.name, problems).await;
        let cluster = info.cluster.unwrap_or_default();
        let mut replicas: Vec<ReplicaHealth> = cluster
            .replicas
            .into_iter()
            .map(|peer| ReplicaHealth {
                node: peer.name,
                current: peer.current,
                offline: peer.offline,
                lag: peer.lag.unwrap_or(0),
            })
            .collect();
        replicas.sort_by(|left, right| left.node.cmp(&right.node));
        streams.push(StreamHealth {
            name: info.config.name,
            messages: info.state.messages,
            leader: cluster.leader.filter(|leader| !leader.is_empty()),
            replicas,
            consumers,
        });
    }
    streams.sort_by(|left, right| left.name.cmp(&right.name));
    streams
}

/// The durable consumers of `stream` with their lag; ephemeral ones (a key-value watcher, a
/// snapshot's reader) come and go and are left out.
async fn consumers(
    jetstream: &jetstream::Context,
    stream: &str,
    problems: &mut Vec<String>,
) -> Vec<ConsumerHealth> {
    let listed = match jetstream.get_stream_no_info(stream).await {
        Ok(handle) => {
            tokio::time::timeout(
                LISTING,
                handle
                    .consumers()
                    .try_collect::<Vec<jetstream::consumer::Info>>(),
            )
            .await
        }
        Err(error) => {
            problems.push(format!("cannot read stream {stream}: {error}"));
            return Vec::new();
        }
    };
    let infos = match listed {
        Ok(Ok(infos)) => infos,
        Ok(Err(error)) => {
            problems.push(format!("cannot list the consumers of {stream}: {error}"));
            return Vec::new();
        }
        Err(_) => {
            problems.push(format!(
                "listing the consumers of {stream} took over {LISTING:?}"
            ));
            return Vec::new();
        }
    };
    let mut consumers: Vec<ConsumerHealth> = infos
        .into_iter()
        .filter(|info| info.config.durable_name.is_some())
        .map(|info| ConsumerHealth {
            name: info.name,
            pending: info.num_pending,
            ack_pending: info.num_ack_pending as u64,
            redelivered: info.num_redelivered as u64,
        })
        .collect();
    consumers.sort_by(|left, right| left.name.cmp(&right.name));
    consumers
}

/// The node answering (`connected`, a single server names no stream's leader) and each node
/// named as a stream's leader or replica, with what the streams say is wrong with it: offline,
/// or behind the leader.
fn nodes(connected: &str, streams: &[StreamHealth]) -> Vec<NodeHealth> {
    let mut problems: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    if !connected.is_empty() {
        problems.entry(connected).or_default();
    }
    for stream in streams {
        if let Some(leader) = &stream.leader {
            problems.entry(leader).or_default();
        }
        for replica in &stream.replicas {
            let node = problems.entry(&replica.node).or_default();
            if replica.offline {
                node.push(format!("offline for {}", stream.name));
            } else if !replica.current {
                node.push(format!("{} behind on {}", replica.lag, stream.name));
            }
        }
    }
    problems
        .into_iter()
        .map(|(name, problems)| NodeHealth {
            name: name.to_owned(),
            problem: (!problems.is_empty()).then(|| problems.join(", ")),
        })
        .collect()
}

/// The counts an operator watches, from the orchestrator's per-state counts.
pub fn saga_counts(counts: &[StateCount]) -> SagaCounts {
    let count = |state: SagaState| {
        counts
            .iter()
            .filter(|count| count.state == state)
            .map(|count| count.count)
            .sum()
    };
    SagaCounts {
        running: count(SagaState::Running),
        compensating: count(SagaState::Compensating),
        stuck: count(SagaState::Stuck),
        failed: count(SagaState::Failed),
    }
}

/// The report as the plain-text tables `just status` prints: per instance its totals, then
/// each endpoint that has handled a request.
pub fn render(report: &SystemHealthReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<15} {:<24} {:<26} {:>9} {:>7} {:>10}",
        "service", "instance", "endpoint", "requests", "errors", "average"
    );
    for service in &report.services {
        for instance in &service.instances {
            let (requests, errors) =
                instance
                    .endpoints
                    .iter()
                    .fold((0, 0), |(requests, errors), endpoint| {
                        (requests + endpoint.requests, errors + endpoint.errors)
                    });
            let _ = writeln!(
                out,
                "{:<15} {:<24} {:<26} {:>9} {:>7}",
                service.name,
                instance.id,
                format!("(all {})", instance.endpoints.len()),
                requests,
                errors
            );
            for endpoint in instance
                .endpoints
                .iter()
                .filter(|endpoint| endpoint.requests > 0)
            {
                let _ = writeln!(
                    out,
                    "{:<15} {:<24} {:<26} {:>9} {:>7} {:>10}",
                    service.name,
                    instance.id,
                    endpoint.name,
                    endpoint.requests,
                    endpoint.errors,
                    micros(endpoint.average_micros)
                );
            }
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<32} {:<34} {:>9} {:>12}",
        "stream", "consumer", "pending", "ack pending"
    );
    for stream in &report.streams {
        for consumer in &stream.consumers {
            let _ = writeln!(
                out,
                "{:<32} {:<34} {:>9} {:>12}",
                stream.name, consumer.name, consumer.pending, consumer.ack_pending
            );
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{:<32} as the streams' replicas see it", "node");
    for node in &report.nodes {
        let _ = writeln!(
            out,
            "{:<32} {}",
            node.name,
            node.problem.as_deref().unwrap_or("ok")
        );
    }
    match report.sagas {
        Some(sagas) => {
            let _ = writeln!(
                out,
                "sagas: {} running, {} compensating, {} stuck, {} failed",
                sagas.running, sagas.compensating, sagas.stuck, sagas.failed
            );
        }
        None => {
            let _ = writeln!(out, "sagas: unknown");
        }
    }
    for problem in &report.problems {
        let _ = writeln!(out, "problem: {problem}");
    }
    out
}

/// A duration in microseconds, as `850µs`, `12.3ms` or `1.20s`.
fn micros(value: u64) -> String {
    match value {
        0..1_000 => format!("{value}µs"),
        1_000..1_000_000 => format!("{:.1}ms", value as f64 / 1_000.0),
        _ => format!("{:.2}s", value as f64 / 1_000_000.0),
    }
}

#[cfg(test)]
mod tests {
    use bikestore_contracts::ServiceName;

    use super::*;

    fn replica(node: &str, current: bool, offline: bool) -> ReplicaHealth {
        ReplicaHealth {
            node: node.to_owned(),
            current,
            offline,
            lag: if current { 0 } else { 7 },
        }
    }

    #[test]
    fn only_instances_with_endpoints_under_the_prefix_serve_the_deployment() {
        let stats = |subjects: &[String]| -> async_nats::service::Stats {
            let endpoints: Vec<serde_json::Value> = subjects
                .iter()
                .map(|subject| {
                    serde_json::json!({
                        "name": "op", "subject": subject, "queue_group": "q",
                        "num_requests": 0, "num_errors": 0, "processing_time": 0,
                        "average_processing_time": 0, "last_error": "",
                    })
                })
                .collect();
            serde_json::from_value(serde_json::json!({
                "type": "io.nats.micro.v1.stats_response", "name": "orders", "id": "1",
                "version": "0.1.0", "started": "2026-12-07T00:00:00Z", "endpoints": endpoints,
            }))
            .expect("stats parse")
        };
        let subjects_of = |prefix: &str| Subjects::new(prefix).expect("a valid prefix");
        let (shop, shopping, other) = (
            subjects_of("shop"),
            subjects_of("shopping"),
            subjects_of("other"),
        );
        let orders = |subjects: &Subjects| subjects.svc(ServiceName::Orders, "create_order");
        assert!(serves_deployment(&stats(&[orders(&shop)]), "shop"));
        assert!(serves_deployment(
            &stats(&[orders(&other), shop.api_all()]),
            "shop"
        ));
        assert!(!serves_deployment(&stats(&[orders(&shopping)]), "shop"));
        assert!(!serves_deployment(&stats(&[orders(&other)]), "shop"));
        assert!(!serves_deployment(&stats(&[]), "shop"));
    }

    #[test]
    fn a_node_is_fine_unless_a_stream_sees_it_offline_or_behind() {
        let streams = vec![
            StreamHealth {
                name: "A".to_owned(),
                messages: 1,
                leader: Some("n1".to_owned()),
                replicas: vec![replica("n2", true, false), replica("n3", false, true)],
                consumers: Vec::new(),
            },
            StreamHealth {
                name: "B".to_owned(),
                messages: 1,
                leader: Some("n2".to_owned()),
                replicas: vec![replica("n1", false, false)],
                consumers: Vec::new(),
            },
        ];
        let nodes = nodes("n4", &streams);
        let problem = |name: &str| {
            nodes
                .iter()
                .find(|node| node.name == name)
                .map(|node| node.problem.clone())
        };
        assert_eq!(problem("n1"), Some(Some("7 behind on B".to_owned())));
        assert_eq!(problem("n2"), Some(None));
        assert_eq!(problem("n3"), Some(Some("offline for A".to_owned())));
        assert_eq!(problem("n4"), Some(None), "the one answering");
    }

    #[test]
    fn saga_counts_pick_the_watched_states() {
        let counts = saga_counts(&[
            StateCount {
                state: SagaState::Completed,
                count: 9,
            },
            StateCount {
                state: SagaState::Stuck,
                count: 2,
            },
            StateCount {
                state: SagaState::Failed,
                count: 1,
            },
        ]);
        assert_eq!(
            counts,
            SagaCounts {
                running: 0,
                compensating: 0,
                stuck: 2,
                failed: 1
            }
        );
    }

    #[test]
    fn the_printed_report_says_what_is_wrong() {
        let report = SystemHealthReport {
            services: vec![ServiceHealth {
                name: "orders".to_owned(),
                instances: vec![InstanceHealth {
                    id: "i1".to_owned(),
                    version: "0.1.0".to_owned(),
                    endpoints: vec![
                        EndpointHealth {
                            name: "get_order".to_owned(),
                            requests: 4,
                            errors: 1,
                            average_micros: 1_500,
                            last_error: "500:boom".to_owned(),
                        },
                        EndpointHealth {
                            name: "list_orders".to_owned(),
                            requests: 0,
                            errors: 0,
                            average_micros: 0,
                            last_error: String::new(),
                        },
                    ],
                }],
            }],
            streams: vec![StreamHealth {
                name: "EVENTS".to_owned(),
                messages: 9,
                leader: None,
                replicas: Vec::new(),
                consumers: vec![ConsumerHealth {
                    name: "notifications".to_owned(),
                    pending: 5,
                    ack_pending: 2,
                    redelivered: 0,
                }],
            }],
            nodes: vec![NodeHealth {
                name: "n2".to_owned(),
                problem: Some("offline for EVENTS".to_owned()),
            }],
            sagas: None,
            problems: vec!["no answer".to_owned()],
        };
        let printed = render(&report);
        let words = |line: &str| line.split_whitespace().collect::<Vec<_>>().join(" ");
        let lines: Vec<String> = printed.lines().map(words).collect();
        for expected in [
            "orders i1 (all 2) 4 1",
            "orders i1 get_order 4 1 1.5ms",
            "EVENTS notifications 5 2",
            "n2 offline for EVENTS",
            "sagas: unknown",
            "problem: no answer",
        ] {
            assert!(
                lines.iter().any(|line| line == expected),
                "{expected}:\n{printed}"
            );
        }
        assert!(
            !printed.contains("list_orders"),
            "idle endpoints are left out"
        );
    }

    #[test]
    fn durations_read_in_the_unit_that_fits() {
        assert_eq!(micros(850), "850µs");
        assert_eq!(micros(12_345), "12.3ms");
        assert_eq!(micros(1_200_000), "1.20s");
    }
}
