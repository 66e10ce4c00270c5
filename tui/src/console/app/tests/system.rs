//! Tests of the System screen: admins only, read when shown and again every few seconds while
//! it stays shown; and the demo reports its snapshots draw.

use bikestore_contracts::health::{
    ConsumerHealth, EndpointHealth, InstanceHealth, NodeHealth, ReplicaHealth, SagaCounts,
    ServiceHealth, StreamHealth, SystemHealthReport,
};

use super::*;
use crate::console::app::system::REFRESH_MS;

fn endpoint(name: &str, requests: u64, errors: u64, average_micros: u64) -> EndpointHealth {
    EndpointHealth {
        name: name.to_owned(),
        requests,
        errors,
        average_micros,
        last_error: String::new(),
    }
}

fn service(name: &str, ids: &[&str], endpoints: Vec<EndpointHealth>) -> ServiceHealth {
    ServiceHealth {
        name: name.to_owned(),
        instances: ids
            .iter()
            .map(|id| InstanceHealth {
                id: (*id).to_owned(),
                version: "0.1.0".to_owned(),
                endpoints: endpoints.clone(),
            })
            .collect(),
    }
}

fn stream(name: &str, consumer: &str, pending: u64, ack_pending: u64) -> StreamHealth {
    StreamHealth {
        name: name.to_owned(),
        messages: 1_204,
        leader: Some("bikestore-1".to_owned()),
        replicas: ["bikestore-2", "bikestore-3"]
            .into_iter()
            .map(|node| ReplicaHealth {
                node: node.to_owned(),
                current: true,
                offline: false,
                lag: 0,
            })
            .collect(),
        consumers: vec![ConsumerHealth {
            name: consumer.to_owned(),
            pending,
            ack_pending,
            redelivered: 0,
        }],
    }
}

/// A demo report: everything fine, or (`healthy` false) a node offline, a consumer behind,
/// sagas stuck and failed, errors on an endpoint and a service that did not answer.
pub(crate) fn health_report(healthy: bool) -> SystemHealthReport {
    let nodes = ["bikestore-1", "bikestore-2", "bikestore-3"]
        .into_iter()
        .map(|name| NodeHealth {
            name: name.to_owned(),
            problem: (!healthy && name == "bikestore-3")
                .then(|| "offline for BIKESTORE_ORDERS_EVENTS".to_owned()),
        })
        .collect();
    let capture_errors = if healthy { 0 } else { 3 };
    let mut services = vec![
        service(
            "gateway",
            &["Rnqeo7xrqhALwMPik5WKwX"],
            vec![endpoint("ready", 0, 0, 0)],
        ),
        service(
            "inventory",
            &["Rnqeo7xrqhALwMPik5WFQL", "Rnqeo7xrqhALwMPik5WFZZ"],
            vec![
                endpoint("reserve_stock", 412, 0, 544),
                endpoint("store_stock", 96, 0, 1_210),
            ],
        ),
        service(
            "orchestrator",
            &["Rnqeo7xrqhALwMPik5WJFF"],
            vec![
                endpoint("place_order", 398, 0, 14_200),
                endpoint("saga_stats", 27, 0, 1_600),
            ],
        ),
        service(
            "orders",
            &["Rnqeo7xrqhALwMPik5WGU9"],
            vec![endpoint("capture_payment", 380, capture_errors, 643)],
        ),
    ];
    // The second inventory instance has taken fewer requests.
    if let Some(second) = services[1].instances.get_mut(1) {
        for endpoint in &mut second.endpoints {
            endpoint.requests /= 3;
        }
    }
    let mut problems = Vec::new();
    if !healthy {
        services.retain(|service| service.name != "inventory");
        problems.push("no instance of inventory answered".to_owned());
    }
    SystemHealthReport {
        services,
        streams: vec![
            stream("BIKESTORE_INVENTORY_EVENTS", "notifications", 0, 0),
            stream(
                "BIKESTORE_ORDERS_EVENTS",
                "notifications",
                if healthy { 0 } else { 57 },
                if healthy { 0 } else { 12 },
            ),
            stream("BIKESTORE_SAGA_WORK", "orchestrator", 0, 0),
        ],
        nodes,
        sagas: Some(if healthy {
            SagaCounts {
                running: 2,
                ..SagaCounts::default()
            }
        } else {
            SagaCounts {
                running: 5,
                compensating: 1,
                stuck: 2,
                failed: 4,
            }
        }),
        problems,
    }
}

fn tick(app: &mut App, now_ms: i64) -> Vec<Command> {
    app.update(Event::Tick { now_ms })
}

#[test]
fn only_admins_see_the_system_screen() {
    for role in [Role::Sales, Role::Manager] {
        let mut member = demo::app(role);
        assert!(!member.visible_tabs().contains(&Tab::System), "{role}");
        press(&mut member, KeyCode::Char(':'));
        type_text(&mut member, "system");
        assert!(press(&mut member, KeyCode::Enter).is_empty(), "{role}");
        assert_ne!(member.tab, Tab::System, "{role}");
    }
    let mut admin = demo::app(Role::Admin);
    assert_eq!(admin.visible_tabs().last(), Some(&Tab::System));
    assert_eq!(
        press(&mut admin, KeyCode::Char('9')),
        vec![Command::LoadSystemHealth]
    );
    assert_eq!(admin.tab, Tab::System);
    assert!(admin.system.report.is_loading());
}

#[test]
fn the_system_screen_reads_again_every_few_seconds_while_shown() {
    let mut admin = demo::app(Role::Admin);
    press(&mut admin, KeyCode::Char('9'));
    let start = admin.now_ms;
    assert!(
        tick(&mut admin, start + REFRESH_MS).is_empty(),
        "one read at a time"
    );
    backend(&mut admin, BackendEvent::SystemHealth(health_report(true)));
    assert_eq!(admin.system.report.data(), Some(&health_report(true)));
    assert!(
        tick(&mut admin, start + REFRESH_MS - 1).is_empty(),
        "not due yet"
    );
    assert_eq!(
        tick(&mut admin, start + REFRESH_MS),
        vec![Command::LoadSystemHealth]
    );
    // A failed read is shown, and tried again when due.
    backend(
        &mut admin,
        BackendEvent::Failed {
            operation: Operation::SystemHealth,
            error: UiError::new(ErrorCode::Unavailable, "no orchestrator"),
        },
    );
    assert!(matches!(admin.system.report, Load::Failed(_)));
    assert_eq!(
        tick(&mut admin, start + 2 * REFRESH_MS),
        vec![Command::LoadSystemHealth]
    );
    backend(&mut admin, BackendEvent::SystemHealth(health_report(false)));
    // On another screen it rests; `g` reads it at once.
    press(&mut admin, KeyCode::Char('1'));
    assert!(!tick(&mut admin, start + 10 * REFRESH_MS).contains(&Command::LoadSystemHealth));
    press(&mut admin, KeyCode::Char('9'));
    assert_eq!(
        press(&mut admin, KeyCode::Char('g')),
        vec![Command::LoadSystemHealth]
    );
}
