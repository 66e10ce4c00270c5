//! The system's health at a glance, as `just status` prints it and an admin's console shows it:
//! each micro service's instances with their endpoints' statistics (`$SRV.STATS`), each
//! stream's replicas and its durable consumers' lag, each NATS node as the streams' cluster
//! information sees it, and how many sagas are running, stuck or failed.
//!
//! A report also says what it could not find out (`problems`), so a partial answer is never
//! mistaken for a healthy one.

use serde::{Deserialize, Serialize};

use crate::message;

/// Asks the orchestrator for the system's health; only admins may, through the gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SystemHealth {}

/// The system's health at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SystemHealthReport {
    /// Every micro service that answered, by name.
    pub services: Vec<ServiceHealth>,
    /// Every stream (buckets' streams included), by name.
    pub streams: Vec<StreamHealth>,
    /// Every NATS node the streams are placed on, by name.
    pub nodes: Vec<NodeHealth>,
    /// The sagas' counts; `None` when the orchestrator could not tell (see `problems`).
    pub sagas: Option<SagaCounts>,
    /// What could not be found out, in words; empty when the report is complete.
    pub problems: Vec<String>,
}

/// One micro service and its running instances.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceHealth {
    /// The service's name.
    pub name: String,
    /// Each instance that answered, by ID.
    pub instances: Vec<InstanceHealth>,
}

/// One instance of a micro service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceHealth {
    /// The instance's ID, as NATS micro services name it.
    pub id: String,
    /// The version it runs.
    pub version: String,
    /// Its endpoints' statistics since it started, by endpoint name.
    pub endpoints: Vec<EndpointHealth>,
}

/// One endpoint's statistics in one instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointHealth {
    /// The endpoint (the operation's name).
    pub name: String,
    /// Requests handled.
    pub requests: u64,
    /// Requests answered with an error.
    pub errors: u64,
    /// Average processing time, in microseconds.
    pub average_micros: u64,
    /// The last error's text, empty if none.
    pub last_error: String,
}

impl ServiceHealth {
    /// Requests and errors summed over every instance and endpoint.
    pub fn totals(&self) -> (u64, u64) {
        self.instances
            .iter()
            .flat_map(|instance| &instance.endpoints)
            .fold((0, 0), |(requests, errors), endpoint| {
                (requests + endpoint.requests, errors + endpoint.errors)
            })
    }
}

/// One stream: its size, where it lives and how far its consumers lag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamHealth {
    /// The stream's name.
    pub name: String,
    /// Messages it holds.
    pub messages: u64,
    /// The node leading it, if it has one (a single server names itself).
    pub leader: Option<String>,
    /// Its other replicas.
    pub replicas: Vec<ReplicaHealth>,
    /// Its durable consumers, by name.
    pub consumers: Vec<ConsumerHealth>,
}

/// A follower replica of a stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplicaHealth {
    /// The node it is on.
    pub node: String,
    /// Whether it is caught up with the leader.
    pub current: bool,
    /// Whether its node is unreachable.
    pub offline: bool,
    /// Operations it is behind the leader.
    pub lag: u64,
}

/// A consumer's lag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerHealth {
    /// The consumer's name.
    pub name: String,
    /// Messages in the stream it has not been given yet.
    pub pending: u64,
    /// Messages given to it and not yet acknowledged.
    pub ack_pending: u64,
    /// Messages given to it more than once.
    pub redelivered: u64,
}

impl ConsumerHealth {
    /// Whether it has nothing left to do.
    pub fn is_idle(&self) -> bool {
        self.pending == 0 && self.ack_pending == 0
    }
}

/// One NATS node, as the streams' cluster information sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeHealth {
    /// The node's server name.
    pub name: String,
    /// What is wrong with it, `None` when it leads or follows every stream it holds.
    pub problem: Option<String>,
}

/// How many sagas are in the states an operator watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SagaCounts {
    /// Running their steps forward.
    pub running: u64,
    /// Undoing their steps.
    pub compensating: u64,
    /// Stuck: an operator must retry or resolve them.
    pub stuck: u64,
    /// Failed, every done step compensated.
    pub failed: u64,
}

impl SystemHealthReport {
    /// Whether nothing needs an operator: every node fine, no stuck saga, and nothing unknown.
    pub fn is_healthy(&self) -> bool {
        self.problems.is_empty()
            && self.nodes.iter().all(|node| node.problem.is_none())
            && self.sagas.is_some_and(|sagas| sagas.stuck == 0)
    }
}

message!(query SystemHealth => SystemHealthReport, Orchestrator."system_health", v 1);
message!(SystemHealthReport, "system_health_report", v 1);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_with_a_stuck_saga_or_a_node_problem_is_not_healthy() {
        let healthy = SystemHealthReport {
            nodes: vec![NodeHealth {
                name: "n1".to_owned(),
                problem: None,
            }],
            sagas: Some(SagaCounts::default()),
            ..SystemHealthReport::default()
        };
        assert!(healthy.is_healthy());
        let mut stuck = healthy.clone();
        stuck.sagas = Some(SagaCounts {
            stuck: 1,
            ..SagaCounts::default()
        });
        assert!(!stuck.is_healthy());
        let mut node_down = healthy.clone();
        node_down.nodes[0].problem = Some("offline".to_owned());
        assert!(!node_down.is_healthy());
        let unknown = SystemHealthReport {
            sagas: None,
            ..healthy
        };
        assert!(!unknown.is_healthy(), "saga counts unknown");
    }
}
