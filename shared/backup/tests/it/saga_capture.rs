//! The saga records part holds each saga as it was before the database copies began, each
//! saga created during them as its intake created it, and none created after them.

use bikestore_backup::sagas::{SAGAS_FILE, SagaCapture};
use bikestore_backup::verify::read_records;
use bikestore_contracts::Subjects;
use bikestore_contracts::sagas::{CancelOrderSaga, SagaId, SagaPayload, SagaRecord};
use bikestore_orchestrator::engine::record::at_first_step;
use bikestore_orchestrator::engine::store::{SagaStore, Written};
use bikestore_testkit::NatsServer;

fn record(saga_id: &str) -> SagaRecord {
    let payload = SagaPayload::CancelOrder(CancelOrderSaga {
        order_id: bikestore_contracts::OrderId(1),
        reason: "test".into(),
        store_id: None,
        reservation_id: None,
    });
    at_first_step(SagaId(saga_id.into()), "cancel_order", 1, payload, 1)
}

/// Writes `record` over revision `revision` (a step done), answering the new revision.
async fn step_done(
    store: &SagaStore,
    record: &mut SagaRecord,
    revision: u64,
) -> anyhow::Result<u64> {
    record.step += 1;
    record.completed_steps = record.step;
    match store.update(record, revision).await? {
        Written::Revision(revision) => Ok(revision),
        Written::Lost => anyhow::bail!("lost a write nobody raced"),
    }
}

async fn create(store: &SagaStore, record: &SagaRecord) -> anyhow::Result<u64> {
    match store.create(record).await? {
        Written::Revision(revision) => Ok(revision),
        Written::Lost => anyhow::bail!("the saga exists"),
    }
}

#[tokio::test]
async fn sagas_are_kept_as_before_the_copies_new_ones_as_created_and_later_ones_not_at_all()
-> anyhow::Result<()> {
    let server = NatsServer::start().await?;
    let client = server.client().await?;
    let jetstream = async_nats::jetstream::new(client);
    let subjects = Subjects::default();
    let store = SagaStore::open(&jetstream, &subjects, 1).await?;
    let mut old = record("old");
    let revision = create(&store, &old).await?;
    let revision = step_done(&store, &mut old, revision).await?;
    let held_old = old.clone();

    let capture = SagaCapture::start(&jetstream, &subjects).await?;
    capture.copies_begin();
    // While the databases are copied: the old saga moves on, a new one starts and moves on.
    step_done(&store, &mut old, revision).await?;
    let mut new = record("new");
    let revision = create(&store, &new).await?;
    let revision = step_done(&store, &mut new, revision).await?;
    step_done(&store, &mut new, revision).await?;
    let dir = tempfile::tempdir()?;
    let part = capture.finish(&jetstream, dir.path()).await?;
    // After the copies: a saga no copy knows.
    create(&store, &record("later")).await?;

    let records = read_records(&dir.path().join(SAGAS_FILE))?;
    let by_id = |id: &str| {
        records
            .iter()
            .find(|record| record.saga_id.0 == id)
            .cloned()
    };
    assert_eq!(records.len(), 2, "{records:#?}");
    assert_eq!(
        by_id("old"),
        Some(held_old),
        "the old saga as it was before the copies"
    );
    let new = by_id("new").expect("the new saga is kept");
    assert_eq!(
        (new.step, new.completed_steps),
        (0, 0),
        "the new saga as created"
    );
    assert!(by_id("later").is_none());
    match part {
        bikestore_backup::manifest::Part::Sagas {
            records, restarted, ..
        } => assert_eq!((records, restarted), (2, 1)),
        other => panic!("not the sagas part: {other:?}"),
    }
    Ok(())
}
