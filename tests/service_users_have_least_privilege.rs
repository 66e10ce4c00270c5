//! Each service's NATS user may do what the service does and nothing more (nats/users.conf):
//! calling another service it does not call, reading another service's streams, writing the
//! audit trail or identity's key events, reading others' inboxes or internal subjects, and
//! deleting or purging a stream are refused by nats-server itself; so is anything a database
//! replica's Litestream user does beyond its own replica bucket. The audit stream refuses
//! deletes and purges from anyone, the all-permitted operator included.

use std::time::Duration;

use bikestore_contracts::database_replicas::replica_user;
use bikestore_contracts::identity::SigningKeyRotated;
use bikestore_contracts::inventory::{StockChanged, StockLow};
use bikestore_contracts::{ServiceName, StoreId, Subjects};
use bikestore_harness::System;
use bikestore_testkit::ServerErrors;

const WAIT: Duration = Duration::from_secs(10);

/// What a user tries.
#[derive(Debug, Clone)]
enum Attempt {
    Publish(String),
    Subscribe(String),
}

/// Each attempt that must be refused, by the user who tries it.
fn refused(subjects: &Subjects) -> Vec<(ServiceName, Attempt)> {
    use Attempt::{Publish, Subscribe};
    use ServiceName::{Gateway, Identity, Inventory, Notifications, Orchestrator, Orders};
    let audit_stream = subjects.audit_stream();
    let svc = |service, operation| subjects.svc(service, operation);
    let api = |action, stream: &str| Subjects::jetstream_api(action, stream);
    let store = Some(StoreId(1));
    vec![
        // Calling a service it has no business with: staff administration, from anything but
        // the gateway.
        (Notifications, Publish(svc(Identity, "create_staff"))),
        (Orchestrator, Publish(svc(Identity, "create_staff"))),
        (Inventory, Publish(svc(Orders, "capture_payment"))),
        (Orders, Publish(svc(Inventory, "receive_stock"))),
        // Identity's key events and the audit trail, forged.
        (
            Notifications,
            Publish(subjects.event_of::<SigningKeyRotated>()),
        ),
        (Orders, Publish(subjects.audit(Identity, "create_staff"))),
        // Another service's streams, consumers and bucket.
        (
            Inventory,
            Publish(api("STREAM.INFO", &subjects.event_stream(Orders))),
        ),
        (
            Orders,
            Publish(api("CONSUMER.CREATE", &subjects.saga_work_stream())),
        ),
        (
            Identity,
            Publish(Subjects::key_value(&subjects.sagas_bucket(), "forged")),
        ),
        (Notifications, Publish(api("STREAM.INFO", &audit_stream))),
        // Every service's statistics are the orchestrator's alone to gather (system health),
        // and its grant reads streams' states, never their messages.
        (
            Inventory,
            Publish(Subjects::every_service_stats().to_owned()),
        ),
        (Orchestrator, Publish(api("STREAM.MSG.GET", &audit_stream))),
        // Live feeds forged: stock news comes only from the inventory stream's republish, and
        // the orchestrator's live grant is saga progress alone.
        (
            Inventory,
            Publish(subjects.live_event_of::<StockChanged>(store)),
        ),
        (
            Orchestrator,
            Publish(subjects.live_event_of::<StockLow>(store)),
        ),
        (
            Orchestrator,
            Publish(subjects.live_store_notifications(StoreId(1))),
        ),
        // Deleting or purging a stream, even one's own.
        (Gateway, Publish(api("STREAM.DELETE", &audit_stream))),
        (Gateway, Publish(api("STREAM.PURGE", &audit_stream))),
        (
            Inventory,
            Publish(api("STREAM.PURGE", &subjects.event_stream(Inventory))),
        ),
        // Reading what is not its own: other services' requests and replies, the public
        // subjects, identity's events.
        (Notifications, Subscribe(svc(Identity, ">"))),
        (Inventory, Subscribe("_INBOX.>".to_owned())),
        (Inventory, Subscribe("_INBOX.gateway.>".to_owned())),
        (Orchestrator, Subscribe(subjects.api_all())),
        (Orders, Subscribe(subjects.events_of_service(Identity))),
    ]
}

/// Each attempt a database replica's Litestream user must be refused: another service's
/// replica bucket, any service's subjects, the other streams, and every Bikestore inbox.
fn refused_to_replicas(subjects: &Subjects) -> Vec<(String, Attempt)> {
    use Attempt::{Publish, Subscribe};
    use ServiceName::{Identity, Inventory, Orders};
    let orders_replica = replica_user(Orders);
    let inventory_bucket = subjects.database_replica_bucket(Inventory);
    let inventory_stream = Subjects::object_store_stream(&inventory_bucket);
    let api = |action, stream: &str| Subjects::jetstream_api(action, stream);
    vec![
        (
            orders_replica.clone(),
            Publish(Subjects::object_store_all(&inventory_bucket).replace('>', "C.forged")),
        ),
        (
            orders_replica.clone(),
            Publish(api("STREAM.PURGE", &inventory_stream)),
        ),
        (
            orders_replica.clone(),
            Publish(api("STREAM.INFO", &subjects.event_stream(Orders))),
        ),
        (
            orders_replica.clone(),
            Publish(api(
                "STREAM.DELETE",
                &Subjects::object_store_stream(&subjects.database_replica_bucket(Orders)),
            )),
        ),
        (
            orders_replica.clone(),
            Publish(subjects.svc(Orders, "get_order")),
        ),
        (
            replica_user(Identity),
            Publish(Subjects::key_value(&subjects.sagas_bucket(), "forged")),
        ),
        (
            orders_replica.clone(),
            Subscribe("_INBOX.orders.>".to_owned()),
        ),
        (
            orders_replica.clone(),
            Subscribe("_INBOX.console.>".to_owned()),
        ),
        (
            orders_replica,
            Subscribe(subjects.events_of_service(Orders)),
        ),
    ]
}

/// A connection as the NATS user `user`, and the server errors it receives.
async fn connect_as(
    system: &System,
    user: &str,
) -> anyhow::Result<(async_nats::Client, ServerErrors)> {
    let (options, errors) = ServerErrors::watch(system.nats().user_options(user));
    Ok((options.connect(system.nats().url()).await?, errors))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_service_user_is_refused_what_its_service_does_not_do() -> anyhow::Result<()> {
    let system = System::builder()
        .secured()
        .services(&[ServiceName::Gateway])
        .start()
        .await?;
    let service_attempts = refused(system.subjects())
        .into_iter()
        .map(|(service, attempt)| (service.as_str().to_owned(), attempt));
    for (user, attempt) in service_attempts.chain(refused_to_replicas(system.subjects())) {
        let (client, mut errors) = connect_as(&system, &user).await?;
        // A subscription must live until its violation is seen.
        let (_subscription, subject, kind) = match &attempt {
            Attempt::Publish(subject) => {
                client.publish(subject.clone(), "{}".into()).await?;
                (None, subject, "Publish")
            }
            Attempt::Subscribe(subject) => {
                let subscription = client.subscribe(subject.clone()).await?;
                (Some(subscription), subject, "Subscription")
            }
        };
        client.flush().await?;
        let error = errors.violation(subject, WAIT).await?;
        anyhow::ensure!(
            error.contains(&format!("Permissions Violation for {kind}")),
            "{user} {attempt:?}: {error}"
        );
    }
    system.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_stream_refuses_deletes_and_purges_from_anyone() -> anyhow::Result<()> {
    let system = System::builder()
        .secured()
        .services(&[ServiceName::Gateway])
        .start()
        .await?;
    // The operator may do anything NATS allows; the stream itself still says no.
    let jetstream = async_nats::jetstream::new(system.client().clone());
    let stream_name = system.subjects().audit_stream();
    jetstream
        .publish(
            system
                .subjects()
                .audit(ServiceName::Identity, "create_staff"),
            "{}".into(),
        )
        .await?
        .await?;
    let mut stream = jetstream.get_stream(&stream_name).await?;
    let config = stream.info().await?.config.clone();
    anyhow::ensure!(config.deny_delete && config.deny_purge, "{config:?}");
    anyhow::ensure!(stream.purge().await.is_err(), "the audit stream was purged");
    anyhow::ensure!(
        stream.delete_message(1).await.is_err(),
        "an audit record was deleted"
    );
    system.stop().await
}
