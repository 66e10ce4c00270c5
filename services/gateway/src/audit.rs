//! The audit trail: one JSON [`AuditRecord`] per state-changing call through the gateway, in the
//! `<PREFIX>_AUDIT` stream on `<prefix>.audit.<service>.<operation>`.
//!
//! Records are built from what the gateway decided (who, what, which store, the outcome), never
//! from the request body, so no password, token, signature or card number can reach the stream.

use std::time::Duration;

use async_nats::jetstream::{self, stream};
use bikestore_codec::ContentType;
use bikestore_contracts::Subjects;
use bikestore_contracts::gateway::AuditRecord;
use bikestore_runtime::RuntimeError;
use bikestore_runtime::streams;
use tracing::{error, warn};

/// How long audit records are kept.
const RETENTION: Duration = Duration::from_secs(365 * 24 * 3600);

/// Creates the audit stream, or brings an existing one to this configuration: its records can
/// be neither deleted nor purged, by anyone (the stream refuses, whatever a user's permissions).
pub async fn ensure_stream(
    jetstream: &jetstream::Context,
    subjects: &Subjects,
) -> Result<(), RuntimeError> {
    let name = subjects.audit_stream();
    let config = stream::Config {
        name: name.clone(),
        subjects: vec![subjects.audit_all()],
        storage: stream::StorageType::File,
        retention: stream::RetentionPolicy::Limits,
        max_age: RETENTION,
        deny_delete: true,
        deny_purge: true,
        ..Default::default()
    };
    streams::patiently(&format!("create stream {name}"), || {
        jetstream.create_or_update_stream(config.clone())
    })
    .await?;
    Ok(())
}

/// Writes `record` to the audit stream and waits for the stream to store it.
pub async fn write(jetstream: &jetstream::Context, subjects: &Subjects, record: &AuditRecord) {
    let Some(service) = record.service_name() else {
        warn!(service = %record.service, "audit record of an unknown service; not written");
        return;
    };
    let subject = subjects.audit(service, &record.operation);
    let body = match bikestore_codec::encode(ContentType::Json, record) {
        Ok(body) => body,
        Err(encode_error) => {
            error!(error = %encode_error, "could not encode an audit record");
            return;
        }
    };
    let stored = match jetstream.publish(subject, body.into()).await {
        Ok(ack) => ack.await.map(|_| ()),
        Err(publish_error) => Err(publish_error),
    };
    if let Err(publish_error) = stored {
        error!(
            operation = %record.operation,
            error = %publish_error,
            "could not write an audit record"
        );
    }
}
