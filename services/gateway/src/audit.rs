//! The audit trail: one JSON [`AuditRecord`] per state-changing call through the gateway, per
//! refusal (unauthorized, forbidden, rate-limited: a run of rate-limited refusals from one
//! bucket once) and per read of customer data, in the `<PREFIX>_AUDIT` stream on
//! `<prefix>.audit.<service>.<operation>`.
//!
//! Records are built from what the gateway decided (who, what, which store, the outcome, why it
//! refused), never from the request body as such, so no password, token, signature or card
//! number can reach the stream. Of a login the username is kept; of a customer read, what it
//! asked for (the customer's ID, or which search fields were used, not their text) and how many
//! rows it answered ([`customer_read`], [`rows_answered`]), never the rows: such reads are
//! forwarded through the gateway, not handed over, so the gateway sees the reply to count.

use std::collections::BTreeMap;
use std::time::Duration;

use async_nats::jetstream::{self, stream};
use bikestore_codec::ContentType;
use bikestore_contracts::gateway::AuditRecord;
use bikestore_contracts::orders::{Customer, CustomerPage, GetCustomer, SearchCustomers};
use bikestore_contracts::{Request, Subjects};
use bikestore_runtime::RuntimeError;
use bikestore_runtime::streams;
use tracing::{error, warn};

use crate::table::Rule;

/// How long audit records are kept.
const RETENTION: Duration = Duration::from_secs(365 * 24 * 3600);

/// Creates the audit stream with `replicas` copies, or brings an existing one to this
/// configuration (its copies raised, never lowered): its records can be neither deleted nor
/// purged, by anyone (the stream refuses, whatever a user's permissions).
pub async fn ensure_stream(
    jetstream: &jetstream::Context,
    subjects: &Subjects,
    replicas: usize,
) -> Result<(), RuntimeError> {
    let config = stream::Config {
        name: subjects.audit_stream(),
        subjects: vec![subjects.audit_all()],
        storage: stream::StorageType::File,
        retention: stream::RetentionPolicy::Limits,
        max_age: RETENTION,
        deny_delete: true,
        deny_purge: true,
        ..Default::default()
    };
    streams::ensure_stream(jetstream, config.clone(), replicas, |_| config.clone()).await?;
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

/// Whether `rule` reads customer data, so each call is audited with its row count.
pub fn reads_customers(rule: &Rule) -> bool {
    rule.service == GetCustomer::SERVICE
        && [GetCustomer::OPERATION, SearchCustomers::OPERATION].contains(&rule.operation)
}

/// What a customer read asks for, for its record's `target_ids`: the customer's ID, or the
/// names of the search fields given (their text is customer data, so it is not kept).
pub fn customer_read(
    rule: &Rule,
    content_type: ContentType,
    version: Option<u16>,
    body: &[u8],
    max_bytes: usize,
) -> BTreeMap<String, String> {
    let mut asked = BTreeMap::new();
    if rule.operation == GetCustomer::OPERATION {
        if let Ok(get) =
            bikestore_codec::decode::<GetCustomer>(content_type, version, body, max_bytes)
        {
            asked.insert("customer_id".to_owned(), get.customer_id.to_string());
        }
    } else if let Ok(search) =
        bikestore_codec::decode::<SearchCustomers>(content_type, version, body, max_bytes)
    {
        let fields = [
            ("name", search.name.is_some()),
            ("email", search.email.is_some()),
            ("phone", search.phone.is_some()),
            ("address", search.address.is_some()),
        ];
        let searched: Vec<&str> = fields
            .iter()
            .filter(|(_, given)| *given)
            .map(|(field, _)| *field)
            .collect();
        asked.insert("searched".to_owned(), searched.join(","));
        asked.insert("offset".to_owned(), search.page.offset.to_string());
        asked.insert("limit".to_owned(), search.page.limit.to_string());
    }
    asked
}

/// How many customers a successful customer read's reply holds; `None` for an error reply or
/// one that does not decode.
pub fn rows_answered(rule: &Rule, reply: &async_nats::Message) -> Option<u64> {
    if rule.operation == GetCustomer::OPERATION {
        crate::forward::decode_success::<Customer>(reply).map(|_| 1)
    } else {
        crate::forward::decode_success::<CustomerPage>(reply)
            .and_then(|page| u64::try_from(page.customers.len()).ok())
    }
}
