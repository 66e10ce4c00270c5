//! Saga records in the KV bucket: JSON values, every change a compare-and-set on the revision.
//!
//! Every call rides out a JetStream outage (a restarted server, a stream electing a new leader)
//! for up to [`outage::PATIENCE`], and a compare-and-set that lost is [`Written::Lost`] in both
//! forms a server or a cluster answers with (see [`outage`]).
//!
//! Reads are direct gets, which any replica of a clustered bucket answers, so a read may miss
//! the newest writes: NATS does not promise a KV read sees the caller's own writes. A newer
//! record is caught by the compare-and-set that follows, but a missing one would end a work
//! item queued right after its saga's record was created (a replica that had not caught up
//! with it, after a restart or under load, said there was no record), so [`SagaStore::load`]
//! asks the bucket's leader before it answers that a saga does not exist.

use async_nats::jetstream::{self, kv, stream};
use bikestore_contracts::sagas::{SagaId, SagaRecord};
use bikestore_contracts::{Subjects, headers};
use bikestore_runtime::outage::{self, Failure, Patience};
use bikestore_runtime::{header_name, streams};
use bytes::Bytes;
use tracing::info;

use crate::error::OrchestratorError;

/// The largest saga record accepted: history is bounded, so this is generous.
const MAX_RECORD_BYTES: i32 = 256 * 1024;

/// The outcome of a compare-and-set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Stored; the record's new revision.
    Revision(u64),
    /// Not stored as written: someone else wrote first (or, for a create, the key exists),
    /// or, after a try whose outcome was unknown, wrote after it. Read again.
    Lost,
}

/// The `sagas` bucket.
#[derive(Clone)]
pub struct SagaStore {
    bucket: kv::Store,
}

impl SagaStore {
    /// Opens the bucket, creating it on first use with `replicas` copies; a bucket found with
    /// fewer is raised to that many (never lowered), its records kept.
    pub async fn open(
        jetstream: &jetstream::Context,
        subjects: &Subjects,
        replicas: usize,
    ) -> Result<SagaStore, OrchestratorError> {
        let name = subjects.sagas_bucket();
        let bucket = match jetstream.get_key_value(&name).await {
            Ok(bucket) => {
                let found = &bucket.stream.cached_info().config;
                streams::raise_replicas(jetstream, found, replicas)
                    .await
                    .map_err(|error| {
                        OrchestratorError::nats(format!("raise KV bucket {name}'s replicas"), error)
                    })?;
                bucket
            }
            Err(_) => jetstream
                .create_key_value(kv::Config {
                    bucket: name.clone(),
                    description: "Bikestore saga records, one JSON value per saga".into(),
                    history: 1,
                    max_value_size: MAX_RECORD_BYTES,
                    storage: jetstream::stream::StorageType::File,
                    num_replicas: replicas,
                    ..Default::default()
                })
                .await
                .map_err(|error| {
                    OrchestratorError::nats(format!("create KV bucket {name}"), error)
                })?,
        };
        Ok(SagaStore { bucket })
    }

    /// The bucket itself, for the saga index's watch and retention's removals.
    pub fn bucket(&self) -> &kv::Store {
        &self.bucket
    }

    /// The record and its revision, if the saga exists (the leader confirms that it does not);
    /// rides out an outage.
    pub async fn load(
        &self,
        saga_id: &SagaId,
    ) -> Result<Option<(SagaRecord, u64)>, OrchestratorError> {
        decode(saga_id, self.stored(saga_id).await?)
    }

    /// The record and its revision as some replica has it: `None` may mean its replica has not
    /// caught up with the record's creation. Only for a look whose `None` a compare-and-set
    /// then checks (an intake's look for a repeat, before it creates the record), which spares
    /// the leader's read.
    pub async fn load_from_any_replica(
        &self,
        saga_id: &SagaId,
    ) -> Result<Option<(SagaRecord, u64)>, OrchestratorError> {
        decode(saga_id, self.stored_in_any_replica(saga_id).await?)
    }

    /// The stored bytes and revision of a saga's record, if it exists, the leader confirming
    /// that it does not; rides out an outage.
    async fn stored(&self, saga_id: &SagaId) -> Result<Option<(Bytes, u64)>, OrchestratorError> {
        if let Some(found) = self.stored_in_any_replica(saga_id).await? {
            return Ok(Some(found));
        }
        let at_leader = self.stored_at_leader(saga_id).await?;
        if at_leader.is_some() {
            info!(saga_id = %saga_id, "a replica behind the bucket's leader missed the saga's record; read it from the leader");
        }
        Ok(at_leader)
    }

    /// What some replica has of a saga's record; rides out an outage.
    async fn stored_in_any_replica(
        &self,
        saga_id: &SagaId,
    ) -> Result<Option<(Bytes, u64)>, OrchestratorError> {
        let entry = outage::ride_out(&format!("read saga {saga_id}"), || {
            self.bucket.entry(saga_id.0.as_str())
        })
        .await
        .map_err(|error| OrchestratorError::nats(format!("read saga {saga_id}"), error))?;
        Ok(entry
            .filter(|entry| entry.operation == kv::Operation::Put)
            .map(|entry| (entry.value, entry.revision)))
    }

    /// What the bucket's leader has of a saga's record, which every acknowledged write
    /// reached; rides out an outage.
    async fn stored_at_leader(
        &self,
        saga_id: &SagaId,
    ) -> Result<Option<(Bytes, u64)>, OrchestratorError> {
        let what = format!("read saga {saga_id} from the leader");
        let subject = format!("{}{}", self.bucket.prefix, saga_id.0);
        let found = outage::ride_out(&what, || {
            self.bucket.stream.get_last_raw_message_by_subject(&subject)
        })
        .await;
        match found {
            Ok(message) => {
                Ok(holds_value(&message.headers).then_some((message.payload, message.sequence)))
            }
            Err(error) if error.kind() == stream::LastRawMessageErrorKind::NoMessageFound => {
                Ok(None)
            }
            Err(error) => Err(OrchestratorError::nats(what, error)),
        }
    }

    /// Stores a new record; [`Written::Lost`] if the saga already exists.
    pub async fn create(&self, record: &SagaRecord) -> Result<Written, OrchestratorError> {
        let written = self.compare_and_set(record, None).await?;
        if let Written::Revision(_) = written {
            crate::metrics::saga_started(record);
        }
        Ok(written)
    }

    /// Replaces the record if it is still at `revision`; [`Written::Lost`] otherwise.
    pub async fn update(
        &self,
        record: &SagaRecord,
        revision: u64,
    ) -> Result<Written, OrchestratorError> {
        let written = self.compare_and_set(record, Some(revision)).await?;
        match written {
            Written::Revision(_) => crate::metrics::saga_written(record),
            Written::Lost => crate::metrics::lost_cas(),
        }
        Ok(written)
    }

    /// Writes `record` if the saga is at `expected` (`None`: does not exist), riding out an
    /// outage. A write that failed transiently (or timed out) may have landed, so before it is
    /// tried again the record is read: the very bytes written mean it landed (each write stamps
    /// the time and its driver, so no other write leaves the same bytes); the expected revision
    /// still there means it did not, and it is tried again; anything else means another write
    /// came first, or after it, and the caller reads and decides anew, as after any lost race.
    /// A write that succeeds, or loses at its first try, costs one round trip, as before.
    async fn compare_and_set(
        &self,
        record: &SagaRecord,
        expected: Option<u64>,
    ) -> Result<Written, OrchestratorError> {
        let saga_id = &record.saga_id;
        let value = Bytes::from(encode(record)?);
        let what = match expected {
            None => format!("create saga {saga_id}"),
            Some(_) => format!("update saga {saga_id}"),
        };
        let mut patience = Patience::default();
        let mut may_have_landed = false;
        loop {
            let attempt = match expected {
                // A create whose own write timed out and landed comes back as `AlreadyExists`
                // (async-nats reads the key after a failed create), so it is checked below.
                None => self
                    .bucket
                    .create(saga_id.0.as_str(), value.clone())
                    .await
                    .map_err(|error| OrchestratorError::nats(what.as_str(), error)),
                Some(revision) => self
                    .bucket
                    .update(saga_id.0.as_str(), value.clone(), revision)
                    .await
                    .map_err(|error| OrchestratorError::nats(what.as_str(), error)),
            };
            let error = match attempt {
                Ok(revision) => return Ok(Written::Revision(revision)),
                Err(error) => error,
            };
            match outage::classify(&error) {
                Failure::Permanent => return Err(error),
                Failure::LostRace if expected.is_some() && !may_have_landed => {
                    return Ok(Written::Lost);
                }
                Failure::LostRace | Failure::Transient => {}
            }
            let current = self.stored(saga_id).await?;
            let current = current
                .as_ref()
                .map(|(stored, revision)| (&stored[..], *revision));
            match after_failed_write(current, &value, expected) {
                Found::Landed(revision) => return Ok(Written::Revision(revision)),
                Found::MovedOn => return Ok(Written::Lost),
                Found::Unchanged => {}
            }
            // Still as it was: the write did not land, or is still on its way (a cluster
            // answers 10164 while a write to the key is in flight, which may be this one's).
            may_have_landed = true;
            if !patience.wait(&what, &error).await {
                return Err(error);
            }
        }
    }
}

/// What the record read after a failed write says about that write.
#[derive(Debug, PartialEq, Eq)]
enum Found {
    /// The bytes written are there, at this revision: it landed.
    Landed(u64),
    /// The record is as the write expected it: it did not land (or not yet).
    Unchanged,
    /// Another write is there.
    MovedOn,
}

/// Reads `current` (the stored bytes and revision, if any) against the `written` bytes of a
/// write that expected `expected` (`None`: no record).
fn after_failed_write(
    current: Option<(&[u8], u64)>,
    written: &[u8],
    expected: Option<u64>,
) -> Found {
    match (current, expected) {
        (Some((stored, revision)), _) if stored == written => Found::Landed(revision),
        (Some((_, revision)), Some(expected)) if revision == expected => Found::Unchanged,
        (None, None) => Found::Unchanged,
        _ => Found::MovedOn,
    }
}

/// Whether a message of the bucket's stream holds a value, rather than marking its key
/// deleted or purged.
fn holds_value(message_headers: &async_nats::HeaderMap) -> bool {
    let operation = message_headers.get(header_name::KV_OPERATION);
    operation.is_none_or(|operation| operation.as_str() == headers::KV_OPERATION_PUT)
        && message_headers
            .get(async_nats::header::NATS_MARKER_REASON)
            .is_none()
}

fn decode(
    saga_id: &SagaId,
    stored: Option<(Bytes, u64)>,
) -> Result<Option<(SagaRecord, u64)>, OrchestratorError> {
    let Some((value, revision)) = stored else {
        return Ok(None);
    };
    let record: SagaRecord =
        serde_json::from_slice(&value).map_err(|error| OrchestratorError::CorruptRecord {
            saga_id: saga_id.clone(),
            reason: error.to_string(),
        })?;
    Ok(Some((record, revision)))
}

fn encode(record: &SagaRecord) -> Result<Vec<u8>, OrchestratorError> {
    serde_json::to_vec(record).map_err(|error| OrchestratorError::CorruptRecord {
        saga_id: record.saga_id.clone(),
        reason: error.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_update_landed_when_its_bytes_are_there() {
        let written = b"record at 8".as_slice();
        assert_eq!(
            after_failed_write(Some((written, 8)), written, Some(7)),
            Found::Landed(8)
        );
        assert_eq!(
            after_failed_write(Some((b"record at 7", 7)), written, Some(7)),
            Found::Unchanged
        );
        // Another write came first, or came after this one and replaced it.
        assert_eq!(
            after_failed_write(Some((b"theirs", 9)), written, Some(7)),
            Found::MovedOn
        );
        assert_eq!(after_failed_write(None, written, Some(7)), Found::MovedOn);
    }

    #[test]
    fn a_message_read_from_the_leader_holds_a_value_unless_it_marks_a_deletion() {
        let mut put = async_nats::HeaderMap::new();
        assert!(holds_value(&put), "a plain put");
        put.insert(header_name::KV_OPERATION, "PUT");
        assert!(holds_value(&put));
        for operation in ["DEL", "PURGE"] {
            let mut deleted = async_nats::HeaderMap::new();
            deleted.insert(header_name::KV_OPERATION, operation);
            assert!(!holds_value(&deleted), "{operation}");
        }
        let mut expired = async_nats::HeaderMap::new();
        expired.insert(async_nats::header::NATS_MARKER_REASON, "MaxAge");
        assert!(!holds_value(&expired));
    }

    #[test]
    fn a_failed_create_landed_when_its_bytes_are_there() {
        let written = b"new record".as_slice();
        assert_eq!(
            after_failed_write(Some((written, 3)), written, None),
            Found::Landed(3)
        );
        assert_eq!(after_failed_write(None, written, None), Found::Unchanged);
        assert_eq!(
            after_failed_write(Some((b"a repeat's", 3)), written, None),
            Found::MovedOn
        );
    }
}
