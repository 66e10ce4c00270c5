//! What a backup of this build holds, and in which order its parts are taken.
//!
//! The order is what makes a restore safe. Every part is a point in time; a restore brings back
//! parts taken at slightly different times, so each must be no newer than what depends on it:
//!
//! 1. **Saga records first.** A saga older than its participants re-runs steps whose replies
//!    their inboxes keep; a saga newer than them would count on steps nobody remembers. A saga
//!    created while the databases are copied is kept as its intake created it.
//! 2. **Databases, each consumer of events before the producers it consumes**: notifications
//!    before inventory and orders, so no notification in the copy answers an event its
//!    producer's copy does not know.
//! 3. **Signing keys**, after identity's database, so every key it names has its file.
//! 4. **Streams last**, so every event a database's copy counts as published is in them. The
//!    events its producer made after its copy (an outbox sequence above the copy's) are
//!    removed at restore, and consumers start again from each stream's beginning, their
//!    processed-event records dropping what they already handled.
//!
//! The saga work queue is not kept: recovery queues every unfinished saga again.

use bikestore_contracts::database_replicas::SERVICES_WITH_DATABASE;
use bikestore_contracts::{ServiceName, Subjects};

/// The databases in the order a backup copies them: each consumer of events before the
/// services whose events it consumes.
pub const DATABASE_ORDER: [ServiceName; 4] = [
    ServiceName::Notifications,
    ServiceName::Identity,
    ServiceName::Inventory,
    ServiceName::Orders,
];

/// Which services' events each database service consumes (a consumer's copy must be the older).
pub const CONSUMES: [(ServiceName, &[ServiceName]); 1] = [(
    ServiceName::Notifications,
    &[ServiceName::Orders, ServiceName::Inventory],
)];

/// The services with an event stream of their own, each fed by its database's outbox (saga
/// progress goes to consoles on core NATS only).
const EVENT_PRODUCERS: [ServiceName; 3] = [
    ServiceName::Identity,
    ServiceName::Inventory,
    ServiceName::Orders,
];

/// The streams a backup keeps, in the order it snapshots them.
pub fn streams(subjects: &Subjects) -> Vec<String> {
    EVENT_PRODUCERS
        .iter()
        .map(|service| subjects.event_stream(*service))
        .chain([subjects.audit_stream(), subjects.dead_letter_stream()])
        .collect()
}

/// The event stream a database service's outbox feeds, if it has one.
pub fn outbox_stream(subjects: &Subjects, service: ServiceName) -> Option<String> {
    (EVENT_PRODUCERS.contains(&service) && SERVICES_WITH_DATABASE.contains(&service))
        .then(|| subjects.event_stream(service))
}

/// The schema version this build migrates `service`'s database to; a copy at a newer one
/// was taken by a newer build and is refused.
pub fn schema_version(service: ServiceName) -> Option<u32> {
    match service {
        ServiceName::Identity => Some(bikestore_identity::SCHEMA_VERSION),
        ServiceName::Inventory => Some(bikestore_inventory::SCHEMA_VERSION),
        ServiceName::Orders => Some(bikestore_orders::SCHEMA_VERSION),
        ServiceName::Notifications => Some(bikestore_notifications::SCHEMA_VERSION),
        _ => None,
    }
}

/// The database service named `name`, if it keeps a database.
pub fn database_service(name: &str) -> Option<ServiceName> {
    SERVICES_WITH_DATABASE
        .into_iter()
        .find(|service| service.as_str() == name)
}

/// The key files a backup keeps, relative to the data folder: identity's signing keys (whose
/// public halves its database lists), its auth-callout issuer key (which nats-server's
/// configuration trusts), and the gateway's caller-assertion key pair (which identity trusts).
/// Each entry is a folder (every file in it) or a file.
pub fn key_locations() -> [(String, KeyLocation); 3] {
    let identity = ServiceName::Identity.as_str();
    [
        (
            format!("{identity}/{}", bikestore_identity::SIGNING_KEY_FOLDER),
            KeyLocation::Folder,
        ),
        (
            format!(
                "{identity}/{}",
                bikestore_identity::callout::issuer::ISSUER_KEY_FILE
            ),
            KeyLocation::File,
        ),
        (
            ServiceName::Gateway.as_str().to_owned(),
            KeyLocation::Folder,
        ),
    ]
}

/// Whether a key location is one file or a folder of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyLocation {
    /// Every regular file directly in the folder.
    Folder,
    /// One file.
    File,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_database_is_copied_once_and_consumers_come_first() {
        let mut services: Vec<_> = DATABASE_ORDER.iter().map(|s| s.as_str()).collect();
        services.sort();
        let mut expected: Vec<_> = SERVICES_WITH_DATABASE.iter().map(|s| s.as_str()).collect();
        expected.sort();
        assert_eq!(services, expected);
        for (consumer, producers) in CONSUMES {
            let at = |service| DATABASE_ORDER.iter().position(|s| *s == service);
            for producer in producers {
                assert!(at(consumer) < at(*producer));
            }
        }
    }
}
