//! Two replicas and the recovery scan drive the same sagas at the same time, forced: every saga
//! has several work items queued before either replica starts (so both replicas' workers pull
//! one saga's items at once), and both replicas' recovery scans re-queue every saga nobody
//! holds every 100 ms. Every fifth card is declined, so compensations contend too. The lease
//! lets one driver at a time send a saga's requests, so each step's request goes out once (a
//! test connection counts them on the participants' subjects), each effect happens once, and
//! each record's history is consistent. Without the lease (a driver that sends before taking
//! it) every saga's first request goes out four or five times here.

use std::collections::BTreeMap;
use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream;
use bikestore_contracts::orders::{GetPayment, ListOrders, OrderStatus, PaymentStatus};
use bikestore_contracts::sagas::{ListSagas, Outcome, Phase, SagaPayload, SagaRecord, SagaState};
use bikestore_contracts::{ServiceName, Subjects, headers};
use bikestore_orchestrator::engine::record::idempotency_key;
use bikestore_testkit::{InProcess, eventually};
use futures::StreamExt;

use crate::place_order::{APPROVES, DECLINED};
use crate::support::{Stack, place_order_record};

const SAGAS: usize = 150;
/// Work items queued for each saga before the replicas start, each under its own message ID
/// so that JetStream keeps them all.
const ITEMS_PER_SAGA: usize = 4;
/// Every fifth saga pays with a card that is declined, so compensations contend too.
fn declined(number: usize) -> bool {
    number.is_multiple_of(5)
}
/// The history of a saga whose card is declined: the stock given back and the order rejected.
const DECLINED_HISTORY: [(&str, Phase, Outcome); 5] = [
    ("create_order", Phase::Action, Outcome::Succeeded),
    ("reserve_stock", Phase::Action, Outcome::Succeeded),
    ("authorize_payment", Phase::Action, Outcome::Failed),
    ("reserve_stock", Phase::Compensation, Outcome::Succeeded),
    ("create_order", Phase::Compensation, Outcome::Succeeded),
];
/// An operation no participant has: the last message the request counter reads.
const END_MARKER: &str = "end_of_the_test";
/// Place order's steps, in order.
const STEPS: [&str; 6] = [
    "create_order",
    "reserve_stock",
    "authorize_payment",
    "capture_payment",
    "commit_reservation",
    "confirm_order",
];

#[tokio::test]
async fn contending_replicas_and_recovery_send_each_step_once() -> anyhow::Result<()> {
    let participants = [
        ServiceName::Inventory,
        ServiceName::Orders,
        ServiceName::Notifications,
    ];
    let mut stack = Stack::configured(&participants, |configs| {
        configs.orchestrator.recovery_interval = Duration::from_millis(100);
        configs.orchestrator.stale_after = Duration::ZERO;
    })
    .await?;
    // An orchestrator that ran before creates the bucket and the work queue.
    stack
        .system
        .start_service(ServiceName::Orchestrator)
        .await?;
    stack.system.stop_service(ServiceName::Orchestrator).await?;

    let subjects = Subjects::default();
    // Beside the services' queue groups, a plain subscription sees every request.
    let mut sent = Vec::new();
    for service in participants {
        sent.push(stack.client.subscribe(subjects.svc(service, "*")).await?);
    }

    let customer_id = stack.customer().await?;
    let (store_id, product_id) = stack.store_with_stock(SAGAS as i64).await?;
    let jetstream = jetstream::new(stack.client.clone());
    let bucket = jetstream.get_key_value(subjects.sagas_bucket()).await?;
    for number in 0..SAGAS {
        let saga_id = format!("contended-{number}");
        let card = if declined(number) { DECLINED } else { APPROVES };
        let payload = stack
            .place_order_payload(customer_id, store_id, product_id, card)
            .await?;
        let record = place_order_record(&saga_id, 1, payload);
        bucket
            .create(&saga_id, serde_json::to_vec(&record)?.into())
            .await?;
        for item in 0..ITEMS_PER_SAGA {
            let mut work_headers = HeaderMap::new();
            work_headers.insert(headers::NATS_MSG_ID, format!("{saga_id}:contend-{item}"));
            jetstream
                .publish_with_headers(subjects.saga_work(&saga_id), work_headers, "".into())
                .await?
                .await?;
        }
    }

    // Both replicas at once, each with its own engine and leases.
    let config = stack.system.configs().orchestrator.clone();
    let replica = || {
        let config = config.clone();
        InProcess::start(
            &stack.client,
            ServiceName::Orchestrator.as_str(),
            |shutdown| bikestore_orchestrator::run(config, shutdown),
        )
    };
    let (first, second) = tokio::try_join!(replica(), replica())?;

    let sagas: Vec<SagaRecord> = eventually(
        "every saga to end or get stuck",
        Duration::from_secs(60),
        async || {
            let sagas = stack
                .caller
                .call(&ListSagas {
                    limit: Some(1_000),
                    ..ListSagas::default()
                })
                .await
                .ok()?
                .sagas;
            let ended = sagas
                .iter()
                .filter(|saga| saga.state.is_terminal() || saga.state == SagaState::Stuck)
                .count();
            (ended == SAGAS).then_some(sagas)
        },
    )
    .await?;

    // A marker published now reaches each subscription after every request the server
    // routed to it before, that is every request of a saga seen ended.
    for service in participants {
        stack
            .client
            .publish(subjects.svc(service, END_MARKER), "".into())
            .await?;
    }
    let mut sent_per_key: BTreeMap<String, usize> = BTreeMap::new();
    for (service, mut requests) in participants.into_iter().zip(sent) {
        let marker = subjects.svc(service, END_MARKER);
        loop {
            let request = tokio::time::timeout(Duration::from_secs(10), requests.next())
                .await?
                .ok_or_else(|| anyhow::anyhow!("the subscription ended"))?;
            if request.subject.as_str() == marker {
                break;
            }
            let request_headers = request.headers.unwrap_or_default();
            if request_headers.get(headers::SAGA_ID).is_none() {
                continue;
            }
            let key = request_headers
                .get(headers::IDEMPOTENCY_KEY)
                .map(|key| key.to_string())
                .unwrap_or_default();
            *sent_per_key.entry(key).or_default() += 1;
        }
    }
    // Each attempt in a record's history is one request under its step's key; any other
    // request was sent by a driver that should have waited for another's lease.
    let mut recorded_per_key: BTreeMap<String, usize> = BTreeMap::new();
    for saga in &sagas {
        for entry in &saga.history {
            let phase = match entry.phase {
                Phase::Action => "action",
                Phase::Compensation => "compensation",
            };
            let key = idempotency_key(saga, &format!("{}:{phase}", entry.step));
            *recorded_per_key.entry(key).or_default() += 1;
        }
    }
    let unexplained: Vec<_> = sent_per_key
        .iter()
        .filter(|(key, sent)| recorded_per_key.get(*key) != Some(sent))
        .collect();
    assert!(
        unexplained.is_empty(),
        "requests sent more often than the history records: {} of {} keys, e.g. {:?}",
        unexplained.len(),
        sent_per_key.len(),
        &unexplained[..unexplained.len().min(5)]
    );
    assert_eq!(
        sent_per_key, recorded_per_key,
        "every recorded step was sent"
    );

    let mut rejected = 0;
    for saga in &sagas {
        let SagaPayload::PlaceOrder(payload) = &saga.payload else {
            anyhow::bail!("not a place-order saga: {:?}", saga.payload);
        };
        assert!(
            saga.history
                .windows(2)
                .all(|pair| pair[0].finished_at_ms <= pair[1].started_at_ms),
            "one step at a time: {:?}",
            saga.history
        );
        let steps: Vec<(&str, Phase, Outcome)> = saga
            .history
            .iter()
            .map(|entry| (entry.step.as_str(), entry.phase, entry.outcome))
            .collect();
        if saga.state == SagaState::Failed {
            rejected += 1;
            assert_eq!(steps, DECLINED_HISTORY, "{}", saga.saga_id);
            continue;
        }
        assert_eq!(saga.state, SagaState::Completed, "{:?}", saga.error);
        let done: Vec<(&str, Phase, Outcome)> = STEPS
            .iter()
            .map(|step| (*step, Phase::Action, Outcome::Succeeded))
            .collect();
        assert_eq!(steps, done, "each step once, in order");
        let payment_id = payload
            .payment_id
            .ok_or_else(|| anyhow::anyhow!("{} has no payment", saga.saga_id))?;
        let payment = stack.caller.call(&GetPayment { payment_id }).await?;
        assert_eq!(payment.status, PaymentStatus::Captured);
        assert_eq!(payment.captured, payment.authorized, "captured once");
    }
    let declined_sagas = (0..SAGAS).filter(|number| declined(*number)).count();
    assert_eq!(
        rejected, declined_sagas,
        "every declined card failed its saga"
    );
    for (status, count) in [
        (OrderStatus::Processing, SAGAS - declined_sagas),
        (OrderStatus::Rejected, declined_sagas),
    ] {
        let orders = stack
            .caller
            .call(&ListOrders {
                customer_id: Some(customer_id),
                status: Some(status),
                ..ListOrders::default()
            })
            .await?;
        assert_eq!(orders.total, count as u64, "one {status:?} order per saga");
    }
    let level = stack.stock(store_id, product_id).await?;
    assert_eq!(
        (level.on_hand, level.reserved),
        (declined_sagas as i64, 0),
        "each completed saga's stock moved once, each failed one's given back"
    );
    first.stop().await?;
    second.stop().await?;
    stack.stop().await
}
