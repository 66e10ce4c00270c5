//! [`FaultProxy`]: a real nats-server, an async-nats client through the proxy, and each fault
//! seen as the client sees it.

use std::time::Duration;

use bikestore_testkit::{Fault, FaultKind, FaultProxy, FaultSchedule, NatsServer, eventually};
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::time::Instant;

const SUBJECT: &str = "kit.echo";

/// A server with an echo responder connected directly, a proxy with `schedule` in front of
/// it, a client through the proxy, and the client's connection events.
async fn echo_through_proxy(
    schedule: FaultSchedule,
) -> (
    NatsServer,
    FaultProxy,
    async_nats::Client,
    mpsc::Receiver<async_nats::Event>,
) {
    let server = NatsServer::start().await.expect("nats-server starts");
    let responder = server.client().await.expect("connect directly");
    let mut requests = responder.subscribe(SUBJECT).await.expect("subscribe");
    responder.flush().await.expect("flush the subscription");
    tokio::spawn(async move {
        while let Some(request) = requests.next().await {
            if let Some(reply) = request.reply {
                let _ = responder.publish(reply, request.payload).await;
            }
        }
    });
    let proxy = FaultProxy::to_url(&server.url(), schedule)
        .await
        .expect("proxy starts");
    // Far more room than the few connection events a test sees.
    let (events, events_seen) = mpsc::channel(256);
    let client = server
        .user_options("ops")
        .event_callback(move |event| {
            let events = events.clone();
            async move {
                let _ = events.send(event).await;
            }
        })
        .connect(proxy.url())
        .await
        .expect("connect through the proxy");
    (server, proxy, client, events_seen)
}

async fn echo(client: &async_nats::Client, timeout: Duration) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let reply = tokio::time::timeout(timeout, client.request(SUBJECT, "ping".into())).await??;
    anyhow::ensure!(reply.payload.as_ref() == b"ping", "echoed");
    Ok(started.elapsed())
}

async fn next_event(
    events: &mut mpsc::Receiver<async_nats::Event>,
    wanted: fn(&async_nats::Event) -> bool,
) {
    tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(event) = events.recv().await {
            if wanted(&event) {
                return;
            }
        }
        panic!("the client's events ended");
    })
    .await
    .expect("the event within 10 s");
}

#[tokio::test]
async fn a_cut_makes_the_client_reconnect_and_requests_succeed_again() {
    let (_server, proxy, client, mut events) = echo_through_proxy(FaultSchedule::none()).await;
    echo(&client, Duration::from_secs(2))
        .await
        .expect("a request before the cut");

    proxy.inject(Fault::Cut);
    next_event(&mut events, |event| {
        matches!(event, async_nats::Event::Disconnected)
    })
    .await;
    next_event(&mut events, |event| {
        matches!(event, async_nats::Event::Connected)
    })
    .await;

    echo(&client, Duration::from_secs(2))
        .await
        .expect("a request after the reconnect");
    assert_eq!(proxy.connections(), 2, "the client connected a second time");
    assert_eq!(proxy.counts().cuts, 1);
}

#[tokio::test]
async fn a_delay_shows_in_a_requests_latency() {
    let (_server, proxy, client, _events) = echo_through_proxy(FaultSchedule::none()).await;
    let before = echo(&client, Duration::from_secs(2))
        .await
        .expect("a quick request");
    assert!(before < Duration::from_millis(250), "undelayed: {before:?}");

    proxy.inject(Fault::Delay {
        latency: Duration::from_millis(300),
        lasting: Duration::from_secs(30),
    });
    let delayed = echo(&client, Duration::from_secs(5))
        .await
        .expect("a slow request");
    // The request waits on its way in and the reply on its way out.
    assert!(
        delayed >= Duration::from_millis(600),
        "delayed: {delayed:?}"
    );
    assert_eq!(proxy.counts().delays, 1);
}

#[tokio::test]
async fn a_stall_times_a_request_out_and_the_next_one_succeeds() {
    let (_server, proxy, client, mut events) = echo_through_proxy(FaultSchedule::none()).await;
    echo(&client, Duration::from_secs(2))
        .await
        .expect("a request before the stall");

    proxy.inject(Fault::Stall(Duration::from_secs(2)));
    let stalled = echo(&client, Duration::from_millis(500)).await;
    assert!(
        stalled.is_err(),
        "the stalled request timed out: {stalled:?}"
    );
    let next = echo(&client, Duration::from_secs(5))
        .await
        .expect("the next request gets through once the stall ends");
    assert!(
        next >= Duration::from_millis(500),
        "it waited out the stall: {next:?}"
    );
    assert_eq!(proxy.counts().stalls, 1);
    while let Ok(event) = events.try_recv() {
        assert!(
            !matches!(event, async_nats::Event::Disconnected),
            "a stall is no disconnect"
        );
    }
    assert_eq!(proxy.connections(), 1);
}

#[test]
fn a_schedule_is_the_same_for_the_same_seed_and_has_every_kind() {
    let schedule = FaultSchedule::new(7);
    let first: Vec<_> = schedule.plan(0).take(200).collect();
    let again: Vec<_> = FaultSchedule::new(7).plan(0).take(200).collect();
    let other_seed: Vec<_> = FaultSchedule::new(8).plan(0).take(200).collect();
    let other_connection: Vec<_> = schedule.plan(1).take(200).collect();
    assert_eq!(first, again);
    assert_ne!(first, other_seed);
    assert_ne!(first, other_connection);
    for kind in [FaultKind::Delay, FaultKind::Stall, FaultKind::Cut] {
        assert!(
            first.iter().any(|(_, fault)| fault.kind() == kind),
            "{kind:?}"
        );
    }
    for (gap, fault) in &first {
        assert!(schedule.gap_ms.contains(&(gap.as_millis() as u64)));
        match fault {
            Fault::Delay { latency, lasting } => {
                assert!(schedule.latency_ms.contains(&(latency.as_millis() as u64)));
                assert!(
                    schedule
                        .delay_lasting_ms
                        .contains(&(lasting.as_millis() as u64))
                );
            }
            Fault::Stall(lasting) => {
                assert!(schedule.stall_ms.contains(&(lasting.as_millis() as u64)));
            }
            Fault::Cut => {}
        }
    }
    assert_eq!(FaultSchedule::none().plan(0).next(), None);
}

#[tokio::test]
async fn scheduled_faults_happen_and_the_client_gets_through_once_they_pause() {
    let schedule = FaultSchedule {
        gap_ms: 50..=150,
        stall_ms: 100..=300,
        ..FaultSchedule::new(42)
    };
    let (_server, proxy, client, _events) = echo_through_proxy(schedule).await;
    let faults = eventually(
        "ten scheduled faults",
        Duration::from_secs(20),
        async || {
            // Keep traffic flowing so delays and stalls hold something up.
            let _ = echo(&client, Duration::from_millis(200)).await;
            let counts = proxy.counts();
            (counts.total() >= 10).then_some(counts)
        },
    )
    .await
    .expect("the schedule injects faults");
    assert!(faults.delays > 0, "{faults:?}");

    proxy.pause(true);
    let paused_at = proxy.counts();
    eventually(
        "a request through the quiet proxy",
        Duration::from_secs(10),
        async || echo(&client, Duration::from_secs(1)).await.ok(),
    )
    .await
    .expect("requests succeed again");
    echo(&client, Duration::from_secs(2))
        .await
        .expect("and keep succeeding");
    assert_eq!(proxy.counts(), paused_at, "no fault while paused");
}
