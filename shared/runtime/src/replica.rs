//! Database replicas: each service that keeps a SQLite database has it replicated by
//! Litestream (0.5, its NATS replica type) into a JetStream object store bucket of its own, so
//! the database survives the loss of its machine.
//!
//! The service creates its bucket at start ([`ensure_bucket`]), because Litestream only uses a
//! bucket that exists. Litestream runs beside the service as its own process, as the NATS user
//! `<service>_replica` that may touch only that bucket, with the configuration
//! [`litestream_config`] writes (the `replica-config` subcommand prints it). The same file
//! rebuilds the database on another machine: `litestream restore -config <file> <database>`.
//!
//! Litestream needs the database in WAL mode (the storage crate opens every database so) and
//! does the checkpointing: it holds a read transaction so that no checkpoint passes WAL frames
//! it has not copied yet. The services never checkpoint by hand; SQLite's automatic checkpoint
//! (PASSIVE, at 1,000 pages) cannot pass that read transaction, so it does no harm.

use std::path::Path;
use std::time::Duration;

use async_nats::jetstream::{self, object_store};
use bikestore_contracts::database_replicas::replica_user;
use bikestore_contracts::{ServiceName, Subjects};

use crate::error::RuntimeError;

/// How often Litestream copies new WAL frames into its local LTX files, and how often it ships
/// those to the bucket: a commit is in the replica at most about twice this long after it is
/// acknowledged (README, "Database replicas").
pub const REPLICATION_INTERVAL: Duration = Duration::from_secs(1);

/// The environment variable Litestream reads the replica user's password from (its
/// configuration names it, and Litestream expands it when it reads the file), so the password
/// is never written into the configuration or onto a command line.
pub const ENV_REPLICA_PASSWORD: &str = "BIKESTORE_NATS_REPLICA_PASSWORD";

/// Creates `service`'s replica bucket with `replicas` copies on the cluster, or finds it and
/// raises it to that many if it has fewer (never lowers it), its objects kept.
pub async fn ensure_bucket(
    jetstream: &jetstream::Context,
    subjects: &Subjects,
    service: ServiceName,
    replicas: usize,
) -> Result<(), RuntimeError> {
    let bucket = subjects.database_replica_bucket(service);
    if jetstream.get_object_store(&bucket).await.is_ok() {
        let stream = Subjects::object_store_stream(&bucket);
        let found = crate::streams::patiently(&format!("find stream {stream}"), || {
            jetstream.get_stream(stream.clone())
        })
        .await?;
        let config = found.cached_info().config.clone();
        crate::streams::raise_replicas(jetstream, &config, replicas).await?;
        return Ok(());
    }
    let config = object_store::Config {
        bucket: bucket.clone(),
        description: Some(format!("Litestream replica of the {service} database")),
        storage: jetstream::stream::StorageType::File,
        num_replicas: replicas,
        ..Default::default()
    };
    crate::streams::patiently(&format!("create the object store {bucket}"), || {
        jetstream.create_object_store(config.clone())
    })
    .await?;
    Ok(())
}

/// What a Litestream configuration for one service's database says.
#[derive(Debug, Clone)]
pub struct ReplicaSettings<'a> {
    /// The service whose database it replicates.
    pub service: ServiceName,
    /// The database file.
    pub database: &'a Path,
    /// The NATS URL, or a comma-separated list of a cluster's nodes, as the services take it.
    pub nats_url: &'a str,
    /// The deployment's subjects (for the bucket name).
    pub subjects: &'a Subjects,
    /// The certificate authority of nats-server's TLS profile, if it runs one.
    pub tls_ca: Option<&'a Path>,
}

/// The Litestream configuration (YAML) that replicates `settings.database` into its bucket as
/// the service's replica user, whose password Litestream takes from [`ENV_REPLICA_PASSWORD`].
pub fn litestream_config(settings: &ReplicaSettings<'_>) -> Result<String, RuntimeError> {
    let bucket = settings.subjects.database_replica_bucket(settings.service);
    let url = format!("{}/{bucket}", litestream_servers(settings.nats_url)?);
    let interval = format!("{}ms", REPLICATION_INTERVAL.as_millis());
    let mut yaml = format!(
        "# Litestream: replicates the {service} database into the NATS object store {bucket}.\n\
         # Written by `bikestore-{service} replica-config`; the password comes from the environment ({ENV_REPLICA_PASSWORD}).\n\
         logging:\n  level: info\n  type: text\n\
         dbs:\n  - path: {database}\n    monitor-interval: {interval}\n    replica:\n\
         \x20     type: nats\n      url: {url}\n      username: {user}\n\
         \x20     password: \"${{{ENV_REPLICA_PASSWORD}}}\"\n      sync-interval: {interval}\n",
        service = settings.service,
        database = yaml_string(&settings.database.display().to_string()),
        url = yaml_string(&url),
        user = yaml_string(&replica_user(settings.service)),
    );
    if let Some(ca) = settings.tls_ca {
        yaml.push_str(&format!(
            "      tls: true\n      root-cas: [{}]\n",
            yaml_string(&ca.display().to_string())
        ));
    }
    Ok(yaml)
}

/// The servers of a NATS URL list as one Litestream URL takes them: `nats://a:4222,b:4222`
/// (one scheme, the hosts comma-separated; the Go client splits them).
fn litestream_servers(nats_url: &str) -> Result<String, RuntimeError> {
    let hosts: Vec<&str> = nats_url
        .split(',')
        .map(str::trim)
        .filter(|server| !server.is_empty())
        .map(|server| {
            server
                .split_once("://")
                .map_or(server, |(_, host)| host)
                .trim_end_matches('/')
        })
        .collect();
    if hosts.is_empty()
        || hosts
            .iter()
            .any(|host| host.is_empty() || host.contains('/'))
    {
        return Err(RuntimeError::Config(format!(
            "cannot replicate to {nats_url:?}: expected nats://host:port, or a comma-separated list of them"
        )));
    }
    Ok(format!("nats://{}", hosts.join(",")))
}

/// A YAML double-quoted string: JSON's quoting is valid YAML.
fn yaml_string(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configuration_names_the_bucket_user_and_password_variable() {
        let subjects = Subjects::default();
        let settings = ReplicaSettings {
            service: ServiceName::Orders,
            database: Path::new("/srv/bike store/orders/orders.db"),
            nats_url: "nats://10.0.0.1:4222, nats://10.0.0.2:4222",
            subjects: &subjects,
            tls_ca: None,
        };
        let yaml = litestream_config(&settings).expect("a valid URL");
        assert!(
            yaml.contains("path: \"/srv/bike store/orders/orders.db\""),
            "{yaml}"
        );
        assert!(
            yaml.contains("url: \"nats://10.0.0.1:4222,10.0.0.2:4222/bikestore_db_orders\""),
            "{yaml}"
        );
        assert!(yaml.contains("username: \"orders_replica\""), "{yaml}");
        assert!(
            yaml.contains("password: \"${BIKESTORE_NATS_REPLICA_PASSWORD}\""),
            "{yaml}"
        );
        assert!(yaml.contains("sync-interval: 1000ms"), "{yaml}");
        assert!(!yaml.contains("tls"), "{yaml}");
    }

    #[test]
    fn a_url_without_a_host_is_refused() {
        for bad in ["", "nats://", "nats://host:4222/path"] {
            assert!(litestream_servers(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            litestream_servers("127.0.0.1:4222").expect("a host"),
            "nats://127.0.0.1:4222"
        );
    }
}
