//! Saga records in the KV bucket: JSON values, every change a compare-and-set on the revision.

use async_nats::jetstream::{self, kv};
use bikestore_contracts::Subjects;
use bikestore_contracts::sagas::{SagaId, SagaRecord};
use bikestore_runtime::streams;
use futures::TryStreamExt;

use crate::error::OrchestratorError;

/// The largest saga record accepted: history is bounded, so this is generous.
const MAX_RECORD_BYTES: i32 = 256 * 1024;

/// The outcome of a compare-and-set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Stored; the record's new revision.
    Revision(u64),
    /// Someone else wrote first (or, for a create, the key exists): read again.
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

    /// The record and its revision, if the saga exists.
    pub async fn load(
        &self,
        saga_id: &SagaId,
    ) -> Result<Option<(SagaRecord, u64)>, OrchestratorError> {
        let entry = self
            .bucket
            .entry(saga_id.0.as_str())
            .await
            .map_err(|error| OrchestratorError::nats(format!("read saga {saga_id}"), error))?;
        let Some(entry) = entry else {
            return Ok(None);
        };
        if entry.operation != kv::Operation::Put {
            return Ok(None);
        }
        let record: SagaRecord = serde_json::from_slice(&entry.value).map_err(|error| {
            OrchestratorError::CorruptRecord {
                saga_id: saga_id.clone(),
                reason: error.to_string(),
            }
        })?;
        Ok(Some((record, entry.revision)))
    }

    /// Stores a new record; [`Written::Lost`] if the saga already exists.
    pub async fn create(&self, record: &SagaRecord) -> Result<Written, OrchestratorError> {
        let value = encode(record)?;
        match self
            .bucket
            .create(record.saga_id.0.as_str(), value.into())
            .await
        {
            Ok(revision) => Ok(Written::Revision(revision)),
            Err(error) if error.kind() == kv::CreateErrorKind::AlreadyExists => Ok(Written::Lost),
            Err(error) => Err(OrchestratorError::nats(
                format!("create saga {}", record.saga_id),
                error,
            )),
        }
    }

    /// Replaces the record if it is still at `revision`; [`Written::Lost`] otherwise.
    pub async fn update(
        &self,
        record: &SagaRecord,
        revision: u64,
    ) -> Result<Written, OrchestratorError> {
        let value = encode(record)?;
        match self
            .bucket
            .update(record.saga_id.0.as_str(), value.into(), revision)
            .await
        {
            Ok(revision) => Ok(Written::Revision(revision)),
            Err(error) if error.kind() == kv::UpdateErrorKind::WrongLastRevision => {
                Ok(Written::Lost)
            }
            Err(error) => Err(OrchestratorError::nats(
                format!("update saga {}", record.saga_id),
                error,
            )),
        }
    }

    /// Every saga ID in the bucket.
    pub async fn ids(&self) -> Result<Vec<SagaId>, OrchestratorError> {
        let keys = self
            .bucket
            .keys()
            .await
            .map_err(|error| OrchestratorError::nats("list saga keys", error))?;
        keys.map_ok(SagaId)
            .try_collect()
            .await
            .map_err(|error| OrchestratorError::nats("list saga keys", error))
    }

    /// Every record, for operators' lists and statistics.
    pub async fn all(&self) -> Result<Vec<SagaRecord>, OrchestratorError> {
        let mut records = Vec::new();
        for saga_id in self.ids().await? {
            if let Some((record, _)) = self.load(&saga_id).await? {
                records.push(record);
            }
        }
        Ok(records)
    }
}

fn encode(record: &SagaRecord) -> Result<Vec<u8>, OrchestratorError> {
    serde_json::to_vec(record).map_err(|error| OrchestratorError::CorruptRecord {
        saga_id: record.saga_id.clone(),
        reason: error.to_string(),
    })
}
