//! Names of the database replicas: each service that keeps a SQLite database has it replicated
//! continuously by Litestream into a JetStream object store bucket of its own, written by a NATS
//! user of its own that may touch only that bucket.

use crate::{ServiceName, Subjects};

/// The services that keep a SQLite database, and so a replica of it. The orchestrator keeps its
/// state in JetStream (the saga bucket) and the gateway keeps none.
pub const SERVICES_WITH_DATABASE: [ServiceName; 4] = [
    ServiceName::Identity,
    ServiceName::Inventory,
    ServiceName::Orders,
    ServiceName::Notifications,
];

/// Whether `service` keeps a SQLite database ([`SERVICES_WITH_DATABASE`]).
pub fn has_database(service: ServiceName) -> bool {
    SERVICES_WITH_DATABASE.contains(&service)
}

/// The NATS user the Litestream process of `service`'s database connects as:
/// `<service>_replica` (nats/users.conf).
pub fn replica_user(service: ServiceName) -> String {
    format!("{}_replica", service.as_str())
}

impl Subjects {
    /// The object store bucket `service`'s database is replicated into: `bikestore_db_orders`,
    /// `<prefix>_db_<service>` under another prefix (dots and dashes as underscores).
    pub fn database_replica_bucket(&self, service: ServiceName) -> String {
        format!(
            "{}_db_{}",
            self.stream_prefix().to_lowercase(),
            service.as_str()
        )
    }

    /// The stream NATS keeps the key-value `bucket` in: `KV_<bucket>`.
    pub fn key_value_stream(bucket: &str) -> String {
        format!("KV_{bucket}")
    }

    /// The stream NATS keeps the object store `bucket` in: `OBJ_<bucket>`.
    pub fn object_store_stream(bucket: &str) -> String {
        format!("OBJ_{bucket}")
    }

    /// Every subject of the object store `bucket`'s chunks and metadata: `$O.<bucket>.>`.
    pub fn object_store_all(bucket: &str) -> String {
        format!("$O.{bucket}.>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replica_buckets_follow_the_prefix_and_name_their_service() {
        assert_eq!(
            Subjects::default().database_replica_bucket(ServiceName::Orders),
            "bikestore_db_orders"
        );
        let subjects = Subjects::new("shop2.bike-store").expect("valid prefix");
        assert_eq!(
            subjects.database_replica_bucket(ServiceName::Identity),
            "shop2_bike_store_db_identity"
        );
        assert_eq!(
            Subjects::object_store_stream("bikestore_db_orders"),
            "OBJ_bikestore_db_orders"
        );
        assert_eq!(
            replica_user(ServiceName::Notifications),
            "notifications_replica"
        );
        assert!(has_database(ServiceName::Inventory));
        assert!(!has_database(ServiceName::Orchestrator));
        assert!(!has_database(ServiceName::Gateway));
    }
}
